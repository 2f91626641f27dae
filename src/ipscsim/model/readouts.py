"""Read a simulated population the way a biologist would: cell types and marker-positive fractions.

Cells are scored through marker gates with measurement noise (``gate`` of :mod:`ipscsim.model.expr`).
The gating, cell type by cell type and marker by marker, is written once with the equations
(``READOUT`` for progenitors, ``NEURON`` for neurons, in :mod:`ipscsim.model.network`): this module
evaluates it with numpy, the agent-based engine's recording kernel runs its compiled form.

Cell types (:data:`CELL_TYPES`) are exclusive and exhaustive, so fractions sum to 1:

* pluripotent ``iPSC`` (OCT4+); then, in order of precedence, ``NMP`` (SOX2+T+), ``mesendoderm``,
  ``neural_crest`` (the crest lineage: crest, or the pre-neural border state before it; SOX10 reads
  crest only), ``non_neural_ectoderm`` and the neural lineage (cells with no programme on yet are
  split by their programmes' levels);
* neural cells: ``floor_plate`` (FOXA2+), glia (``OPC`` if OLIG2+ or NKX2.2+, else ``astrocyte``: the
  gliogenic switch on), ``neuroectoderm`` (SOX1-), then SOX1+ progenitors by level: ``rostral_progenitor``
  (HOX-), else by the ventral code ``pMN`` (OLIG2+, with or without NKX2.2: human OLIG2+/NKX2.2+
  cells are ventral MN progenitors), ``p3`` (NKX2.2+ OLIG2-), ``p2`` (the rest: p2/p1 and dorsal);
* neurons by class: ``MN`` (medial and lateral column, CHAT- and CHAT+), ``interneuron`` (V3, V1/V2,
  dorsal), ``rostral_neuron``, ``glutamatergic_neuron`` (NGN2-only programming).

The old single ``offtarget`` class is now three fates; :data:`GROUPS` gives it (and other groupings)
as sums of cell types, and :func:`group_fraction` reads them.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import suggest
from . import layout as L
from .expr import evaluate
from .network import CELL_TYPES, MARKERS, NEURON_CLASSES, NEURON_TYPE, PROGENITOR_TYPES, network

__all__ = [
    "CELL_TYPES",
    "GENE_COLUMNS",
    "GROUPS",
    "MARKERS",
    "NEGLIGIBLE",
    "ONSET_LEVEL",
    "STAGE_MARKERS",
    "SUMMARY_FIELDS",
    "TIMING_READOUTS",
    "cell_counts",
    "cells_frame",
    "floor_cells",
    "floor_readouts",
    "group_fraction",
    "marker_counts",
    "neuron_levels",
    "readout_counts",
    "score_cells",
    "select_share",
    "summary_values",
    "timing_day",
    "timing_kind",
]

#: Groupings of cell types (sums of fractions), e.g. the old ``offtarget`` class.
GROUPS: dict[str, tuple[str, ...]] = {
    "offtarget": ("mesendoderm", "neural_crest", "non_neural_ectoderm"),
    "neural_progenitor": (
        "neuroectoderm",
        "rostral_progenitor",
        "floor_plate",
        "pMN",
        "p3",
        "p2",
    ),
    "glia": ("OPC", "astrocyte"),
    "neurons": ("MN", "interneuron", "rostral_neuron", "glutamatergic_neuron"),
}
#: Every ectoderm-derived type: the CNS lineage, crest (with the pre-neural border state) and surface
#: ectoderm; with ``iPSC``, ``NMP`` and ``mesendoderm`` it makes up every cell.
GROUPS["ectoderm"] = (
    *GROUPS["neural_progenitor"],
    *GROUPS["glia"],
    "neural_crest",
    "non_neural_ectoderm",
    *GROUPS["neurons"],
)

_KEYS = tuple(m.replace(".", "_") for m in MARKERS)


def _blocks(records: np.ndarray, n_cohorts: int) -> np.ndarray:
    flat = records.reshape(-1, records.shape[-1])
    return flat[:, : n_cohorts * L.N_COHORT].reshape(flat.shape[0], n_cohorts, L.N_COHORT)


def _progenitor_env(genes: np.ndarray, p: np.ndarray, cassette_nil: float) -> dict:
    from .reference import derived

    env = {**derived(p), "cassette_nil": cassette_nil}
    env.update({g: genes[..., i] for i, g in enumerate(L.GENES)})
    return evaluate(list(network().readout), env)


def neuron_levels(blocks: np.ndarray) -> np.ndarray:
    """Each neuron class's mean birth level, ``(..., n_classes)``, from cohort blocks ``(..., N_COHORT)``.

    ``LV_c / c``: a neuron keeps the rostro-caudal level it was born at. A class without cells reads
    its cohort's current level (it counts nothing).
    """
    n = np.maximum(blocks[..., L.C_PROG + 1 : L.COUNTS_END], 0.0)
    mass = blocks[..., L.COUNTS_END : L.N_COHORT]
    here = np.broadcast_to(blocks[..., L.G_LEVEL, None], n.shape)
    return np.where(n > 0.0, mass / np.where(n > 0.0, n, 1.0), here)


def _neuron_markers(levels: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Marker positivity of each neuron class at its level: ``(..., n_classes, n_markers)``.

    ``levels`` is ``(..., n_classes)``: the level each class's neurons were born at.
    """
    from .reference import derived

    out = np.zeros((*levels.shape, len(MARKERS)))
    for c, cls in enumerate(NEURON_CLASSES):
        env = {**derived(p), "LEVEL": levels[..., c]}
        env.update({f"is_{k}": float(k == cls) for k in NEURON_CLASSES})
        res = evaluate(list(network().neuron), env)
        for m, key in enumerate(_KEYS):
            out[..., c, m] = res[f"marker.{key}"]
    return out


def readout_counts(
    records: np.ndarray, p: np.ndarray, n_cohorts: int, cassette_nil: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Cells of each type and marker-positive cells per recorded day, in state units.

    ``records`` is ``(..., n_state)`` (one run's days, or several runs' stacked); the results keep
    the leading axes, with :data:`CELL_TYPES` and :data:`MARKERS` last. Progenitors are scored at
    their cohort's gene levels, each neuron class at its mean birth level (:func:`neuron_levels`).
    """
    blocks = _blocks(records, n_cohorts)
    genes = blocks[..., : L.N_GENES]
    prog = np.maximum(blocks[..., L.C_PROG], 0.0)
    neurons = np.maximum(blocks[..., L.C_PROG + 1 : L.COUNTS_END], 0.0)  # (days, k, classes)
    ro = _progenitor_env(genes, p, cassette_nil)
    types = np.zeros((blocks.shape[0], len(CELL_TYPES)))
    for t in PROGENITOR_TYPES:
        types[:, CELL_TYPES.index(t)] = np.sum(prog * ro[f"type.{t}"], axis=1)
    for c, cls in enumerate(NEURON_CLASSES):
        types[:, CELL_TYPES.index(NEURON_TYPE[cls])] += neurons[..., c].sum(axis=1)
    markers = np.stack([np.sum(prog * ro[f"marker.{k}"], axis=1) for k in _KEYS], axis=-1)
    markers += np.einsum("dkc,dkcm->dm", neurons, _neuron_markers(neuron_levels(blocks), p))
    lead = records.shape[:-1]
    return types.reshape((*lead, len(CELL_TYPES))), markers.reshape((*lead, len(MARKERS)))


def cell_counts(
    records: np.ndarray, p: np.ndarray, n_cohorts: int, cassette_nil: float = 0.0
) -> np.ndarray:
    """Cells of each type (last axis :data:`CELL_TYPES`) at each recorded day, in state units."""
    return readout_counts(records, p, n_cohorts, cassette_nil)[0]


def marker_counts(
    records: np.ndarray, p: np.ndarray, n_cohorts: int, cassette_nil: float = 0.0
) -> np.ndarray:
    """Cells positive for each marker (last axis :data:`MARKERS`) per recorded day, in state units."""
    return readout_counts(records, p, n_cohorts, cassette_nil)[1]


def group_fraction(fractions, name: str):
    """The fraction of a group of cell types (:data:`GROUPS`), or of one cell type, from fractions."""
    if name in GROUPS:
        return sum(fractions[t] for t in GROUPS[name])
    return fractions[name]


def select_share(name: str, types: np.ndarray, markers: np.ndarray) -> np.ndarray:
    """The cells of a marker, a cell type or a group of types (:data:`GROUPS`, summed).

    Works on counts and on fractions alike: ``types`` and ``markers`` hold the cell types and the
    markers on their last axis (:data:`CELL_TYPES`, :data:`MARKERS`), any leading axes (days,
    draws) kept.

    Raises:
        ValueError: ``name`` is none of them (the message suggests the nearest names).
    """
    if name in MARKERS:
        return markers[..., MARKERS.index(name)]
    if name in CELL_TYPES or name in GROUPS:
        return types[..., [CELL_TYPES.index(c) for c in GROUPS.get(name, (name,))]].sum(axis=-1)
    raise ValueError(
        f"{name!r} is not a marker, cell type or group{suggest(name, (*MARKERS, *CELL_TYPES, *GROUPS))}"
    )


def score_cells(genes: np.ndarray, kind: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Score single cells into cell types, as a cytometer would (one draw per cell).

    A progenitor takes a type with the probabilities of the gating (``READOUT``), so that scored
    fractions average to the population readouts; a neuron takes its class's type.

    Args:
        genes: ``(n, N_GENES)`` gene levels.
        kind: ``(n,)`` 0 for progenitors, else the neuron class (1-based).
        p: Parameter array.
        u: ``(n,)`` uniforms in [0, 1) (one per cell; a 2-D array uses its first column).

    Returns:
        ``(n,)`` array of cell-type names.
    """
    u = u[:, 0] if np.ndim(u) == 2 else u
    ro = _progenitor_env(genes, p, 0.0)
    probs = np.stack(
        [np.broadcast_to(ro[f"type.{t}"], kind.shape) for t in PROGENITOR_TYPES], axis=1
    )
    cum = np.cumsum(probs, axis=1)
    pick = np.minimum(np.sum(cum < (u * cum[:, -1])[:, None], axis=1), len(PROGENITOR_TYPES) - 1)
    out = np.asarray(PROGENITOR_TYPES, dtype=object)[pick]
    neurons = kind > 0
    types = np.asarray([NEURON_TYPE[c] for c in NEURON_CLASSES], dtype=object)
    out[neurons] = types[kind[neurons].astype(int) - 1]
    return out


#: A fraction below which a cell type is taken as absent when timing its appearance.
NEGLIGIBLE = 1e-3

#: Entries of :meth:`Result.summary`, with their meaning.
SUMMARY_FIELDS: dict[str, str] = {
    "mn_fraction": "MN fraction of live cells on the last day",
    "mn_yield": "MNs per cell seeded at day 0 (splits at replating accounted for)",
    "residual_pluripotent": "OCT4+ fraction of live cells on the last day (safety; 0 below one cell)",
    "residual_pluripotent_per_well": "OCT4+ cells per well on the last day (safety)",
    "residual_pluripotent_per_million": "OCT4+ cells per million live cells on the last day (safety)",
    "day_mn_10pct": "first day the MN fraction reaches 0.10 (NaN if never)",
    "day_mn_half": "first day the MN fraction reaches half its last-day value (NaN below 0.001 MNs)",
    "peak_pmn_fraction": "largest pMN fraction",
    "day_peak_pmn": "day of the largest pMN fraction (NaN if it stays below 0.001)",
    "interneuron_fraction": "interneuron fraction on the last day",
    "offtarget_fraction": (
        "non-neural fraction (mesendoderm, neural crest, non-neural ectoderm) on the last day"
    ),
    "glia_fraction": "OPC and astrocyte fraction on the last day",
    "lmc_share": "share of MNs in the lateral motor column (FOXP1+) on the last day",
    "hox_fraction": "HOX+ fraction on the last day",
    "chat_fraction": "CHAT+ fraction on the last day",
    "total_cells": "live cells per well on the last day",
}


#: Share of live cells at which a marker or cell type is taken to have appeared (``onset:``): a
#: population clearly seen in immunostaining counts, above the scattered cells a field shows before.
ONSET_LEVEL = 0.10

#: Timing readouts of a share of live cells (a cell type, a group or a marker) over a run, written
#: ``<kind>:<share>`` (``onset:OLIG2``, ``peak:SOX1``), with their meaning.
TIMING_READOUTS: dict[str, str] = {
    "onset": "first day the share of live cells reaches ONSET_LEVEL (0.10; NaN if it never does)",
    "peak": "day of the share's largest value over the run (NaN if it stays below NEGLIGIBLE)",
}


#: The stage markers of a motor-neuron protocol, by stage: neural induction (PAX6, then SOX1),
#: ventral patterning (NKX6.1, OLIG2), motor neurons (ISL1, MNX1), maturation (CHAT).
STAGE_MARKERS: tuple[str, ...] = ("PAX6", "SOX1", "NKX6.1", "OLIG2", "ISL1", "MNX1", "CHAT")


def timing_kind(readout: str) -> str:
    """The timing kind of a readout (``"onset"``, ``"peak"``), or ``""`` for any other readout."""
    kind = readout.split(":", 1)[0] if ":" in readout else ""
    return kind if kind in TIMING_READOUTS else ""


def timing_day(kind: str, days: np.ndarray, share: np.ndarray) -> float:
    """The day a share of live cells appears (``onset``) or peaks (``peak``), per :data:`TIMING_READOUTS`.

    Args:
        kind: ``"onset"`` or ``"peak"``.
        days: Recorded days.
        share: The share of live cells on each recorded day.
    """
    share = np.nan_to_num(np.asarray(share, dtype=np.float64), nan=0.0)
    if kind == "onset":
        return _first_crossing(days, share, ONSET_LEVEL)
    if kind != "peak":
        raise ValueError(
            f"kind: {kind!r} is not a timing readout; use one of {list(TIMING_READOUTS)}"
        )
    i = int(np.argmax(share))
    return float(days[i]) if share[i] >= NEGLIGIBLE else math.nan


def _first_crossing(days: np.ndarray, values: np.ndarray, level: float) -> float:
    above = np.nonzero(values >= level)[0]
    if level <= 0 or len(above) == 0:
        return float("nan")
    i = above[0]
    if i == 0:
        return float(days[0])
    d0, d1, v0, v1 = days[i - 1], days[i], values[i - 1], values[i]
    return float(d0 + (level - v0) * (d1 - d0) / (v1 - v0)) if v1 != v0 else float(d1)


def floor_cells(cells: np.ndarray, seeded: float) -> np.ndarray:
    """Readout counts (in units of the cells seeded) with less than one cell per well set to none.

    The reported readouts all apply it (``Result``, batch readouts, sweeps, validation, the ODE
    engine's view for trackers; the agent-based engine's tracker view does not), so a type's trace
    of a cell (1e-80 of one) is never reported and these paths give the same fractions.
    """
    return np.where(cells * seeded < 1.0, 0.0, cells)


def floor_readouts(
    counts: np.ndarray, markers: np.ndarray, seeded: float
) -> tuple[np.ndarray, np.ndarray]:
    """Cell types and markers floored as :func:`floor_cells` does, markers kept within the total.

    A marker is counted over every cell type, so once a type's trace (less than one cell) is removed
    from the counts, the marker's share of it must go too: a marker-positive count never exceeds the
    cells counted on its day (without this, HOX+ could read 1.000004 of the cells).

    Args:
        counts: Cells of each type, the type on the last axis.
        markers: Marker-positive cells, the marker on the last axis (same leading axes).
        seeded: Cells per well at day 0.
    """
    counts = floor_cells(counts, seeded)
    total = counts.sum(axis=-1, keepdims=True)
    return counts, np.minimum(floor_cells(markers, seeded), total)


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
    counts, markers = floor_readouts(counts, markers, seeded)
    total = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = counts / total[:, None]
        mark = markers / total[:, None]
        lmc = markers[-1, MARKERS.index("FOXP1")] / counts[-1, CELL_TYPES.index("MN")]
    mn = frac[:, CELL_TYPES.index("MN")]
    pmn = frac[:, CELL_TYPES.index("pMN")]
    i_pmn = int(np.nanargmax(pmn)) if np.isfinite(pmn).any() else 0
    return {
        "mn_fraction": float(mn[-1]),
        "mn_yield": float(counts[-1, CELL_TYPES.index("MN")] * lineage),
        "residual_pluripotent": float(mark[-1, MARKERS.index("OCT4")]),
        "residual_pluripotent_per_well": float(markers[-1, MARKERS.index("OCT4")] * seeded),
        "residual_pluripotent_per_million": float(mark[-1, MARKERS.index("OCT4")] * 1e6),
        "day_mn_10pct": _first_crossing(days, mn, 0.10),
        "day_mn_half": _first_crossing(days, mn, 0.5 * mn[-1])
        if mn[-1] >= NEGLIGIBLE
        else math.nan,
        "peak_pmn_fraction": float(pmn[i_pmn]),
        "day_peak_pmn": float(days[i_pmn]) if pmn[i_pmn] >= NEGLIGIBLE else math.nan,
        "interneuron_fraction": float(frac[-1, CELL_TYPES.index("interneuron")]),
        "offtarget_fraction": float(
            sum(frac[-1, CELL_TYPES.index(t)] for t in GROUPS["offtarget"])
        ),
        "glia_fraction": float(sum(frac[-1, CELL_TYPES.index(t)] for t in GROUPS["glia"])),
        "lmc_share": float(lmc) if np.isfinite(lmc) else math.nan,
        "hox_fraction": float(mark[-1, MARKERS.index("HOX")]),
        "chat_fraction": float(mark[-1, MARKERS.index("CHAT")]),
        "total_cells": float(total[-1] * seeded),
    }


#: Gene levels kept in a snapshot, and the column each becomes (markers by their marker name).
GENE_COLUMNS: dict[str, str] = {
    g: g.replace("_", ".") if g.startswith("NKX") else g for g in L.GENES
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
