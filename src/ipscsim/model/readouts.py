"""Read a simulated population the way a biologist would: cell types and marker-positive fractions.

Progenitors are scored through marker gates (:mod:`ipscsim.model.gates`) with measurement noise. The
cell types are exclusive and exhaustive by construction (a gating tree), so fractions sum to 1:

* ``iPSC``: OCT4+;
* ``offtarget``: OCT4-, off-target programme on (non-neural ectoderm, mesendoderm);
* ``neuroectoderm``: OCT4-, neural programme on (PAX6/SOX1 early neural), not yet SOX1+ definitive;

Cells that have left pluripotency with neither programme on yet (the transient epiblast-like stage of
Chambers et al. 2009) are split between ``neuroectoderm`` and ``offtarget`` by their bias, the relative
levels of the two programmes.
* committed (SOX1+) progenitors: ``rostral_progenitor`` (HOX-), else by the ventral code ``p3``
  (NKX2.2+), ``pMN`` (NKX2.2-, OLIG2+), ``p2`` (NKX2.2-, OLIG2-: PAX6/IRX3 p2 and dorsal progenitors);
* neurons, by the identity they took at birth: ``MN``, ``interneuron`` (V3 and V2/dorsal),
  ``rostral_neuron``.

Markers are the fraction of live cells positive: progenitor markers from the gates; neurons are
negative for progenitor markers, MNs are ISL1+ MNX1+ (CHAT+ once mature), spinal neurons HOX+.
"""

from __future__ import annotations

import math

import numpy as np

from . import layout as L
from .gates import gate

__all__ = [
    "CELL_TYPES",
    "GENE_COLUMNS",
    "MARKERS",
    "NEGLIGIBLE",
    "SUMMARY_FIELDS",
    "cell_counts",
    "cells_frame",
    "marker_counts",
    "score_cells",
    "summary_values",
]

#: Cell types, in the order of the readout columns.
CELL_TYPES: tuple[str, ...] = (
    "iPSC",
    "neuroectoderm",
    "rostral_progenitor",
    "pMN",
    "p3",
    "p2",
    "MN",
    "interneuron",
    "rostral_neuron",
    "offtarget",
)
#: Markers, in the order of the readout columns.
MARKERS: tuple[str, ...] = (
    "OCT4",
    "PAX6",
    "SOX1",
    "HOX",
    "OLIG2",
    "NKX2.2",
    "IRX3",
    "NKX6.1",
    "ISL1",
    "MNX1",
    "CHAT",
)


def _split(records: np.ndarray, n_cohorts: int):
    flat = records.reshape(-1, records.shape[-1])
    coh = flat[:, : n_cohorts * L.N_GENES].reshape(flat.shape[0], n_cohorts, L.N_GENES)
    glob = flat[:, n_cohorts * L.N_GENES :]
    return coh, glob


def cell_counts(records: np.ndarray, p: np.ndarray, n_cohorts: int) -> np.ndarray:
    """Cells of each type (last axis :data:`CELL_TYPES`) at each recorded day, in state units.

    ``records`` is ``(..., n_state)`` (one run's days, or several runs' stacked); the result keeps the
    leading axes.
    """
    coh, glob = _split(records, n_cohorts)
    th, sd = p[L.P_gate_threshold], p[L.P_sigma_measurement]
    prog = np.maximum(coh[..., L.G_PROG], 0.0)
    o4 = gate(coh[..., L.G_OCT4], th, sd)
    ne_level = np.maximum(coh[..., L.G_NEURAL], 0.0)
    off_level = np.maximum(coh[..., L.G_OFF], 0.0)
    ne_on = gate(ne_level, th, sd)
    off_on = gate(off_level, th, sd)
    bias = ne_level / np.maximum(ne_level + off_level, 1e-12)
    bias = np.where(ne_level + off_level > 1e-12, bias, 0.5)
    neural = ne_on * (1.0 - off_on) + (1.0 - ne_on) * (1.0 - off_on) * bias
    mat = gate(coh[..., L.G_MAT], th, sd)
    hox = gate(coh[..., L.G_HOX], th, sd)
    nkx = gate(coh[..., L.G_NKX22], th, sd)
    oli = gate(coh[..., L.G_OLIG2], th, sd)
    rest = prog * (1.0 - o4)
    committed = rest * neural * mat
    out = np.empty((coh.shape[0], len(CELL_TYPES)))
    out[:, 0] = np.sum(prog * o4, axis=1)
    out[:, 1] = np.sum(rest * neural * (1.0 - mat), axis=1)
    out[:, 2] = np.sum(committed * (1.0 - hox), axis=1)
    out[:, 3] = np.sum(committed * hox * (1.0 - nkx) * oli, axis=1)
    out[:, 4] = np.sum(committed * hox * nkx, axis=1)
    out[:, 5] = np.sum(committed * hox * (1.0 - nkx) * (1.0 - oli), axis=1)
    pos = lambda j: np.maximum(glob[:, j], 0.0)  # noqa: E731
    out[:, 6] = pos(L.X_MN) + pos(L.X_MN_CHAT) + pos(L.X_MN_HN) + pos(L.X_MN_CHAT_HN)
    out[:, 7] = pos(L.X_V3) + pos(L.X_V2)
    out[:, 8] = pos(L.X_RN)
    out[:, 9] = np.sum(rest * (1.0 - neural), axis=1)
    return out.reshape((*records.shape[:-1], len(CELL_TYPES)))


def marker_counts(records: np.ndarray, p: np.ndarray, n_cohorts: int) -> np.ndarray:
    """Cells positive for each marker (last axis :data:`MARKERS`) per recorded day, in state units."""
    coh, glob = _split(records, n_cohorts)
    th, sd = p[L.P_gate_threshold], p[L.P_sigma_measurement]
    prog = np.maximum(coh[..., L.G_PROG], 0.0)

    def frac(g):
        return np.sum(prog * gate(coh[..., g], th, sd), axis=1)

    pos = lambda j: np.maximum(glob[:, j], 0.0)  # noqa: E731
    mn_hox = pos(L.X_MN) + pos(L.X_MN_CHAT)
    mn_all = mn_hox + pos(L.X_MN_HN) + pos(L.X_MN_CHAT_HN)
    out = np.empty((coh.shape[0], len(MARKERS)))
    out[:, 0] = frac(L.G_OCT4)
    out[:, 1] = frac(L.G_PAX6)
    out[:, 2] = frac(L.G_MAT)
    out[:, 3] = frac(L.G_HOX) + mn_hox + pos(L.X_V3) + pos(L.X_V2)
    out[:, 4] = frac(L.G_OLIG2)
    out[:, 5] = frac(L.G_NKX22)
    out[:, 6] = frac(L.G_IRX3)
    out[:, 7] = frac(L.G_NKX61)
    out[:, 8] = frac(L.G_TG) + mn_all
    out[:, 9] = mn_all
    out[:, 10] = pos(L.X_MN_CHAT) + pos(L.X_MN_CHAT_HN)
    return out.reshape((*records.shape[:-1], len(MARKERS)))


#: Cell type of each neuron class (``kind`` codes 1-7 of the agent-based engine).
NEURON_KIND_TYPES: tuple[str, ...] = (
    "MN",
    "MN",
    "interneuron",
    "interneuron",
    "rostral_neuron",
    "MN",
    "MN",
)


def score_cells(genes: np.ndarray, kind: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Score single cells into cell types, as a cytometer would (one draw per gate).

    The gating tree of :func:`cell_counts`, each gate passed with its probability; ``u`` holds five
    uniforms per cell (``(n, 5)``), so that the scored fractions average to the expected ones.

    Args:
        genes: ``(n, N_GENES)`` gene levels.
        kind: ``(n,)`` 0 for progenitors, else the neuron class (1-7).
        p: Parameter array.
        u: ``(n, 5)`` uniforms in [0, 1).

    Returns:
        ``(n,)`` array of cell-type names.
    """
    th, sd = p[L.P_gate_threshold], p[L.P_sigma_measurement]
    o4 = gate(genes[:, L.G_OCT4], th, sd)
    ne_level = np.maximum(genes[:, L.G_NEURAL], 0.0)
    off_level = np.maximum(genes[:, L.G_OFF], 0.0)
    ne_on = gate(ne_level, th, sd)
    off_on = gate(off_level, th, sd)
    tot = ne_level + off_level
    bias = np.where(tot > 1e-12, ne_level / np.maximum(tot, 1e-12), 0.5)
    neural = ne_on * (1.0 - off_on) + (1.0 - ne_on) * (1.0 - off_on) * bias
    mat = gate(genes[:, L.G_MAT], th, sd)
    hox = gate(genes[:, L.G_HOX], th, sd)
    nkx = gate(genes[:, L.G_NKX22], th, sd)
    oli = gate(genes[:, L.G_OLIG2], th, sd)
    out = np.empty(len(kind), dtype=object)
    is_ipsc = u[:, 0] < o4
    is_neural = u[:, 1] < neural
    is_mat = u[:, 2] < mat
    is_hox = u[:, 3] < hox
    is_nkx = u[:, 4] < nkx
    is_oli = u[:, 4] < nkx + (1.0 - nkx) * oli  # beyond the NKX2.2 draw, OLIG2's share
    out[:] = "p2"
    out[is_oli & ~is_nkx] = "pMN"
    out[is_nkx] = "p3"
    out[~is_hox] = "rostral_progenitor"
    out[~is_mat] = "neuroectoderm"
    out[~is_neural] = "offtarget"
    out[is_ipsc] = "iPSC"
    neurons = kind > 0
    out[neurons] = np.asarray(NEURON_KIND_TYPES, dtype=object)[kind[neurons].astype(int) - 1]
    return out


#: A fraction below which a cell type is taken as absent when timing its appearance.
NEGLIGIBLE = 1e-3

#: Entries of :meth:`Result.summary`, with their meaning.
SUMMARY_FIELDS: dict[str, str] = {
    "mn_fraction": "MN fraction of live cells on the last day",
    "mn_yield": "MNs per cell seeded at day 0 (splits at replating accounted for)",
    "residual_pluripotent": "OCT4+ fraction of live cells on the last day (safety)",
    "day_mn_10pct": "first day the MN fraction reaches 0.10 (NaN if never)",
    "day_mn_half": "first day the MN fraction reaches half its last-day value (NaN below 0.001 MNs)",
    "peak_pmn_fraction": "largest pMN fraction",
    "day_peak_pmn": "day of the largest pMN fraction (NaN if it stays below 0.001)",
    "interneuron_fraction": "interneuron fraction on the last day",
    "offtarget_fraction": "off-target fraction on the last day",
    "hox_fraction": "HOX+ fraction on the last day",
    "chat_fraction": "CHAT+ fraction on the last day",
    "total_cells": "live cells per well on the last day",
}


def _first_crossing(days: np.ndarray, values: np.ndarray, level: float) -> float:
    above = np.nonzero(values >= level)[0]
    if level <= 0 or len(above) == 0:
        return float("nan")
    i = above[0]
    if i == 0:
        return float(days[0])
    d0, d1, v0, v1 = days[i - 1], days[i], values[i - 1], values[i]
    return float(d0 + (level - v0) * (d1 - d0) / (v1 - v0)) if v1 != v0 else float(d1)


def summary_values(
    days: np.ndarray, counts: np.ndarray, markers: np.ndarray, lineage: float, seeded: float
) -> dict[str, float]:
    """The :data:`SUMMARY_FIELDS` of a run from its readout arrays (numpy only).

    Args:
        days: Recorded days.
        counts: Cells of each type per day (:func:`~ipscsim.model.readouts.cell_counts`).
        markers: Marker-positive cells per day (:func:`~ipscsim.model.readouts.marker_counts`).
        lineage: Cells of the original culture one cell stands for on the last day (replating).
        seeded: Cells per well at day 0.
    """
    total = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = counts / total[:, None]
        mark = markers / total[:, None]
    mn = frac[:, CELL_TYPES.index("MN")]
    pmn = frac[:, CELL_TYPES.index("pMN")]
    i_pmn = int(np.nanargmax(pmn)) if np.isfinite(pmn).any() else 0
    return {
        "mn_fraction": float(mn[-1]),
        "mn_yield": float(counts[-1, CELL_TYPES.index("MN")] * lineage),
        "residual_pluripotent": float(mark[-1, MARKERS.index("OCT4")]),
        "day_mn_10pct": _first_crossing(days, mn, 0.10),
        "day_mn_half": _first_crossing(days, mn, 0.5 * mn[-1])
        if mn[-1] >= NEGLIGIBLE
        else math.nan,
        "peak_pmn_fraction": float(pmn[i_pmn]),
        "day_peak_pmn": float(days[i_pmn]) if pmn[i_pmn] >= NEGLIGIBLE else math.nan,
        "interneuron_fraction": float(frac[-1, CELL_TYPES.index("interneuron")]),
        "offtarget_fraction": float(frac[-1, CELL_TYPES.index("offtarget")]),
        "hox_fraction": float(mark[-1, MARKERS.index("HOX")]),
        "chat_fraction": float(mark[-1, MARKERS.index("CHAT")]),
        "total_cells": float(total[-1] * seeded),
    }


#: Gene levels kept in a snapshot, and the column each becomes (markers by their marker name).
GENE_COLUMNS: dict[str, str] = {
    "OCT4": "OCT4",
    "NEURAL": "NEURAL",
    "OFFTARGET": "OFFTARGET",
    "MATURATION": "SOX1",
    "HOX": "HOX",
    "PAX6": "PAX6",
    "OLIG2": "OLIG2",
    "NKX2_2": "NKX2.2",
    "IRX3": "IRX3",
    "NKX6_1": "NKX6.1",
    "HES": "HES",
    "NGN2": "NGN2",
    "GLI": "GLI",
}


def cells_frame(snap: dict[str, np.ndarray], day: float, params: np.ndarray, seed: int):
    """A snapshot's cells as a DataFrame, one row per cell, each scored as a cytometer would.

    Columns: ``x``, ``y`` (and ``z`` in aggregates) in um, ``identity`` (:func:`score_cells`, one draw
    per gate from the cell's own snapshot stream, so the scored fractions average to the population
    readouts), ``kind``, ``aggregate``, ``born``, the gene levels (:data:`GENE_COLUMNS`),
    ``sensitivity``, ``tempo``, ``notch_input`` and ``cell_id``.

    Args:
        snap: Per-cell arrays of an agent-based snapshot.
        day: Its day.
        params: The run's parameter array.
        seed: The run's seed.
    """
    import pandas as pd

    from .streams import STREAM_SNAPSHOT, hash_uniform_np

    kind = snap["kind"].astype(np.int64)
    genes = snap["genes"]
    ids = snap["cell_id"]
    u = np.stack(
        [hash_uniform_np(seed, ids, round(day * 1000), STREAM_SNAPSHOT * 8 + q) for q in range(5)],
        axis=1,
    )
    cols: dict[str, object] = {"x": snap["x"], "y": snap["y"]}
    if "z" in snap:
        cols["z"] = snap["z"]
    cols["identity"] = pd.Categorical(score_cells(genes, kind, params, u))
    cols["kind"] = pd.Categorical(np.asarray(L.KIND_NAMES, dtype=object)[kind])
    cols["aggregate"] = snap["aggregate"]
    cols["born"] = snap["born"]
    for gene, col in GENE_COLUMNS.items():
        cols[col] = genes[:, L.GENES.index(gene)]
    for extra in ("sensitivity", "tempo", "notch_input", "cell_id"):
        cols[extra] = snap[extra]
    df = pd.DataFrame(cols)
    df.attrs.update(
        {
            "day": day,
            "dims": int(snap["_dims"][0]),
            "box_um": snap["_box"].tolist(),
            "unit": float(snap["_unit"][0]),
        }
    )
    return df
