"""The ODE engine's readouts, compiled: cells of each type and marker-positive cells per recorded day.

The gating is the model's (``READOUT`` for progenitors, ``NEURON`` for neurons, in
:mod:`ipscsim.model.network`), through the compiled forms the agent-based engine's recording also runs
(:func:`~ipscsim.engines.network.progenitor_readout`; for neurons
:func:`~ipscsim.engines.network.neuron_readout_sum`, the ``NEURON`` gating summed over a cohort's classes).
Each cohort's progenitors are scored with the cohort's gene levels and each neuron class with its
class's gates, weighted by the cells they stand for, exactly as the numpy reference
:func:`ipscsim.model.readouts.readout_counts` does (``tests/test_readouts_compiled.py`` holds the two to
each other). It is what :class:`~ipscsim.results.Result`, batch outputs and sweeps use: for a
maury2015 run (57 records, 12 cohorts) the numpy reference costs about 5 ms in interpreted gates,
this about 0.3 ms, nearly all of it the gates' logarithms and error functions.

Rows (recorded days, or days of several runs stacked) are independent, so the result does not depend
on the number of threads.
"""

from __future__ import annotations

import numpy as np

from ..model import layout as L
from ._jit import jit, prange
from .kernels import param_arrays
from .network import neuron_readout_sum, progenitor_readout

__all__ = ["readout_counts", "readout_counts_many", "record_counts"]

_NP = L.N_PROGENITOR_TYPES
_NM = L.N_MARKERS
_NT = L.N_CELL_TYPES
_NC = L.N_NEURON_CLASSES
_TYPE_OF_CLASS = np.array(L.NEURON_TYPE_INDEX, dtype=np.int64)


@jit(parallel=True)
def record_counts(rows, n_cohorts, p, ip, dp, cassette_nil, type_of_class, types, markers):
    """Score every row of ``rows`` (``(n, n_state)`` states) into ``types`` and ``markers``.

    ``types`` is ``(n, N_CELL_TYPES)``, ``markers`` ``(n, N_MARKERS)``; both are overwritten.
    ``type_of_class`` is the cell type of each neuron class (``NEURON_TYPE_INDEX``).
    """
    n = rows.shape[0]
    for d in prange(n):
        y = rows[d]
        tp = np.empty(_NP)
        mk = np.empty(_NM)
        cells = np.empty(_NC)
        for q in range(_NT):
            types[d, q] = 0.0
        for q in range(_NM):
            markers[d, q] = 0.0
        for k in range(n_cohorts):
            o = k * L.N_COHORT
            prog = max(y[o + L.C_PROG], 0.0)
            progenitor_readout(y, o, p, ip, dp, cassette_nil, tp, mk)
            for q in range(_NP):
                types[d, q] += prog * tp[q]
            for q in range(_NM):
                markers[d, q] += prog * mk[q]
            for c in range(_NC):
                cells[c] = max(y[o + L.C_PROG + 1 + c], 0.0)
                types[d, type_of_class[c]] += cells[c]
            neuron_readout_sum(y, o, p, ip, dp, cells, mk)
            for q in range(_NM):
                markers[d, q] += mk[q]


def readout_counts(
    records: np.ndarray, p: np.ndarray, n_cohorts: int, cassette_nil: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Cells of each type and marker-positive cells per recorded day, in state units (compiled).

    The compiled twin of :func:`ipscsim.model.readouts.readout_counts`, with its arguments and
    results: ``records`` is ``(..., n_state)`` (one run's days, or several runs' stacked); the results
    keep the leading axes, with ``CELL_TYPES`` and ``MARKERS`` last.
    """
    return readout_counts_many([records], p, n_cohorts, cassette_nil)[0]


def readout_counts_many(
    records: list[np.ndarray], p: np.ndarray, n_cohorts: int, cassette_nil: float = 0.0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`readout_counts` of several runs' records that share a parameter set (no copies)."""
    p = np.ascontiguousarray(p, dtype=np.float64)
    ip, dp = param_arrays(p)
    out = []
    for rec in records:
        rows = np.ascontiguousarray(rec, dtype=np.float64).reshape(-1, rec.shape[-1])
        types = np.empty((rows.shape[0], _NT))
        markers = np.empty((rows.shape[0], _NM))
        record_counts(
            rows, int(n_cohorts), p, ip, dp, float(cassette_nil), _TYPE_OF_CLASS, types, markers
        )
        lead = rec.shape[:-1]
        out.append((types.reshape((*lead, _NT)), markers.reshape((*lead, _NM))))
    return out
