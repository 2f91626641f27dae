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

import numpy as np

from . import layout as L
from .gates import gate

__all__ = ["CELL_TYPES", "MARKERS", "cell_counts", "marker_counts", "score_cells"]

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
