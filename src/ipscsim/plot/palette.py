"""Colours: one fixed, colour-blind-safe colour per cell type, marker and pathway (Paul Tol's schemes).

Every ipscsim plot takes its colours from here, so a cell type has the same colour in a stacked
fraction plot, a comparison, a snapshot of cells and a report figure.
"""

from __future__ import annotations

__all__ = [
    "CATEGORICAL",
    "CELL_TYPE_COLORS",
    "FACTOR_COLORS",
    "KIND_COLORS",
    "MARKER_COLORS",
    "PATHWAY_COLORS",
    "compound_color",
    "readout_color",
]

#: Cell type -> colour, the same in every ipscsim plot (Paul Tol's 'muted', 'light' and 'dark'
#: schemes): the motor-neuron lineage keeps the muted colours; the fates that sit beside it in a dish
#: (non-neural, floor plate, glia, other neurons) take the light and dark ones.
CELL_TYPE_COLORS: dict[str, str] = {
    "iPSC": "#DDDDDD",
    "NMP": "#EE8866",
    "mesendoderm": "#882255",
    "neural_crest": "#FFAABB",
    "non_neural_ectoderm": "#663333",
    "neuroectoderm": "#88CCEE",
    "rostral_progenitor": "#DDCC77",
    "floor_plate": "#225555",
    "pMN": "#117733",
    "p3": "#332288",
    "p2": "#44AA99",
    "OPC": "#BBCC33",
    "astrocyte": "#666633",
    "MN": "#CC6677",
    "interneuron": "#AA4499",
    "rostral_neuron": "#999933",
    "glutamatergic_neuron": "#0077BB",
}

#: Marker -> colour (Paul Tol's and IBM's colour-blind-safe schemes). Every pair of markers is at least
#: 20 CIELAB units apart, the default markers panel (:data:`~ipscsim.plot.timecourse.DEFAULT_MARKERS`)
#: at least 30, the cell types at least 20 (tested; about 2.3 units is just noticeable).
MARKER_COLORS: dict[str, str] = {
    "OCT4": "#BBBBBB",
    "PAX6": "#4477AA",
    "SOX1": "#66CCEE",
    "HOX": "#CCBB44",
    "OLIG2": "#228833",
    "NKX2.2": "#332288",
    "IRX3": "#44AA99",
    "NKX6.1": "#A50026",
    "ISL1": "#EE6677",
    "MNX1": "#AA3377",
    "CHAT": "#222222",
    "SOX2": "#648FFF",
    "T": "#EE7733",
    "SOX17": "#CC3311",
    "SOX10": "#785EF0",
    "TFAP2A": "#663333",
    "FOXA2": "#225555",
    "OTX2": "#FFB000",
    "EN1": "#666633",
    "HOXB4": "#FFAABB",
    "HOXC6": "#FDB366",
    "HOXC8": "#225522",
    "HOXC9": "#CC11BB",
    "HOXC10": "#222255",
    "FOXP1": "#90C987",
    "LHX3": "#997700",
    "PDGFRA": "#72190E",
    "O4": "#66A61E",
    "NFIA": "#364B9A",
    "TUBB3": "#AA6F9E",
}

#: Pathway a compound acts on -> colour of its bars and windows (Tol 'light', pale enough for text).
PATHWAY_COLORS: dict[str, str] = {
    "TGFB": "#77AADD",
    "BMP": "#99DDFF",
    "WNT": "#EE8866",
    "GSK3": "#EE8866",
    "RA": "#EEDD88",
    "SHH": "#44BB99",
    "SMO": "#44BB99",
    "NOTCH": "#FFAABB",
    "FGF": "#BBCC33",
    "RET": "#AAAA00",
    "TRKB": "#CCCC55",
    "GP130": "#999933",
    "IGF1R": "#DDDD99",
    "ROCK": "#DDDDDD",
    "TRANSGENE": "#BBBBBB",
    "CAMP": "#DDCC77",
    "HDAC": "#CC99BB",
    "STAT3": "#88CCEE",
}

#: A categorical cycle for things that are not cell types or markers (Tol 'bright', then 'muted').
CATEGORICAL: tuple[str, ...] = (
    "#4477AA",
    "#EE6677",
    "#228833",
    "#CCBB44",
    "#66CCEE",
    "#AA3377",
    "#BBBBBB",
    "#332288",
    "#117733",
    "#999933",
    "#882255",
    "#DDCC77",
)

#: Agent-based cell kind (progenitor or neuron class; snapshot column ``kind``) -> colour. Motor
#: neurons keep the MN colour family (CHAT+ ones darker), the other neurons their cell type's colour.
KIND_COLORS: dict[str, str] = {
    "progenitor": "#BBBBBB",
    "MMC": "#CC6677",
    "MMC_CHAT": "#882255",
    "LMC": "#EE8866",
    "LMC_CHAT": "#AA3377",
    "V3": "#4477AA",
    "VIN": "#66CCEE",
    "DIN": "#AA4499",
    "RN": "#999933",
    "IN": "#77AADD",
}

#: Secreted factor -> colour (the same in culture-medium and transplant plots).
FACTOR_COLORS: dict[str, str] = {
    "GDNF": "#4477AA",
    "BDNF": "#EE6677",
    "CNTF": "#228833",
    "IGF1": "#CCBB44",
    "VEGF": "#66CCEE",
    "HGF": "#AA3377",
}

#: Summary readouts drawn in the colour of the cell type (or marker) they count.
_READOUT_OF: dict[str, str] = {
    "mn_fraction": "MN",
    "mn_yield": "MN",
    "day_mn_10pct": "MN",
    "day_mn_half": "MN",
    "peak_pmn_fraction": "pMN",
    "day_peak_pmn": "pMN",
    "interneuron_fraction": "interneuron",
    "offtarget_fraction": "mesendoderm",
    "glia_fraction": "OPC",
    "lmc_share": "FOXP1",
    "residual_pluripotent": "OCT4",
    "residual_pluripotent_per_well": "OCT4",
    "residual_pluripotent_per_million": "OCT4",
    "hox_fraction": "HOX",
    "chat_fraction": "CHAT",
}


def compound_color(name: str) -> str:
    """The colour of a compound: that of the pathway it acts on (grey if unknown).

    Args:
        name: A compound name or alias (``"SAG"``, ``"retinoic acid"``).
    """
    from ..protocols.compounds import registry

    try:
        pathway = registry().get(name).pathway
    except (KeyError, ValueError):
        return "#BBBBBB"
    return PATHWAY_COLORS.get(pathway, "#BBBBBB")


def readout_color(readout: str, default: str = "#4477AA") -> str:
    """The colour of a readout: its cell type's or marker's (``"MN@14"``, ``"mn_fraction"``).

    Args:
        readout: A summary field, cell type, marker, or ``"<cell type or marker>@<day>"``.
        default: Colour of a readout that counts no one cell type or marker (``total_cells``).
    """
    field = readout.partition("@")[0]
    field = _READOUT_OF.get(field, field)
    return CELL_TYPE_COLORS.get(field) or MARKER_COLORS.get(field) or default
