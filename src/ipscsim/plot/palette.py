"""Colours: one fixed, colour-blind-safe colour per cell type (Paul Tol's 'muted' scheme) and marker."""

from __future__ import annotations

#: Cell type -> colour, the same in every ipscsim plot.
CELL_TYPE_COLORS: dict[str, str] = {
    "iPSC": "#DDDDDD",
    "neuroectoderm": "#88CCEE",
    "rostral_progenitor": "#DDCC77",
    "pMN": "#117733",
    "p3": "#332288",
    "p2": "#44AA99",
    "MN": "#CC6677",
    "interneuron": "#AA4499",
    "rostral_neuron": "#999933",
    "offtarget": "#882255",
}

#: Marker -> colour (Tol 'bright' and 'muted' colours, distinct within a marker plot).
MARKER_COLORS: dict[str, str] = {
    "OCT4": "#BBBBBB",
    "PAX6": "#4477AA",
    "SOX1": "#66CCEE",
    "HOX": "#CCBB44",
    "OLIG2": "#228833",
    "NKX2.2": "#332288",
    "IRX3": "#44AA99",
    "NKX6.1": "#999933",
    "ISL1": "#EE6677",
    "MNX1": "#AA3377",
    "CHAT": "#882255",
}
