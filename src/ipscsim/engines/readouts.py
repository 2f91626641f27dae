"""The ODE engine's readouts, compiled: cells of each type and marker-positive cells per recorded day.

The gating is the model's (``READOUT`` for progenitors, ``NEURON`` for neurons, in
:mod:`ipscsim.model.network`), through the compiled forms the agent-based engine's recording also runs
(:func:`~ipscsim.engines.network.progenitor_readout` and
:func:`~ipscsim.engines.network.neuron_readout`). Each cohort's progenitors are scored with the
cohort's gene levels and each neuron class at its mean birth level (``LV_c / c``: a neuron keeps the
rostro-caudal level it was born at), weighted by the cells they stand for, exactly as the numpy reference
:func:`ipscsim.model.readouts.readout_counts` does (``tests/test_readouts_compiled.py`` holds the two to
each other). It is what :class:`~ipscsim.results.Result`, batch outputs and sweeps use.

The rows are scored ``LANES`` at a time, one recorded day per vector lane, through the rows form of
the generated readouts (``engines/network_lanes.py``, :func:`ipscsim.model.codegen_lanes.rows_function`):
the gates' logarithm and normal distribution function in straight-line arithmetic
(:func:`~ipscsim.engines.mathfns.fgate`, within 2e-15 of the library's), one compiled call
(:func:`~ipscsim.engines.mathfns.fgate_row`) per gate for a row of eight. For a maury2015 run (57
records, 12 cohorts) the numpy reference costs about 5 ms in interpreted gates; one row at a time with
the library's ``log`` and ``erfc`` this cost 0.54 ms on one thread, the rows form 0.20-0.23 ms
(measured on the development machine, AVX-512). Scoring each neuron class at its own birth level
evaluates the neurons' gates per class rather than once per cohort: 0.27 ms against 0.12 ms on the
same rows (2 cores, AVX-512, 2026-12-05).

Rows (recorded days, or days of several runs stacked) are independent, so the result does not depend
on the number of threads.
"""

from __future__ import annotations

import numpy as np

from ..model import layout as L
from ._jit import jit, prange
from .kernels import param_arrays
from .network_lanes import (
    LANES,
    NEURON_READOUT_GATES,
    PROGENITOR_READOUT_GATES,
    neuron_readout_rows,
    progenitor_readout_rows,
)

__all__ = ["readout_counts", "readout_counts_many", "record_counts"]

_NP = L.N_PROGENITOR_TYPES
_NM = L.N_MARKERS
_NT = L.N_CELL_TYPES
_NC = L.N_NEURON_CLASSES
S = LANES
_TYPE_OF_CLASS = np.array(L.NEURON_TYPE_INDEX, dtype=np.int64)
_LV0 = L.COUNTS_END  # the first level mass in a cohort's block


@jit(parallel=True)
def record_counts(rows, n_cohorts, p, ip, dp, cassette_nil, type_of_class, types, markers):
    """Score every row of ``rows`` (``(n, n_state)`` states) into ``types`` and ``markers``.

    ``types`` is ``(n, N_CELL_TYPES)``, ``markers`` ``(n, N_MARKERS)``; both are overwritten.
    ``type_of_class`` is the cell type of each neuron class (``NEURON_TYPE_INDEX``). The rows are
    scored ``LANES`` at a time (the rows form of the readouts), each block in its own thread.
    """
    n = rows.shape[0]
    n_state = rows.shape[1]
    for b in prange((n + S - 1) // S):
        _score_block(rows, b * S, min(S, n - b * S), n_state, n_cohorts, p, ip, dp, cassette_nil,
                     type_of_class, types, markers)  # fmt: skip


@jit
def _score_block(rows, r0, nl, n_state, n_cohorts, p, ip, dp, cassette_nil, type_of_class, types,
                 markers):  # fmt: skip
    """:func:`record_counts` of rows ``r0 .. r0 + nl`` (``nl <= LANES``), one row per lane.

    All ``LANES`` lanes are scored (the unused ones hold zeros, which gate to zero): with the constant
    trip count the compiler vectorises every lane loop without a remainder.
    """
    y = np.zeros(n_state * S)
    for i in range(n_state):
        for ln in range(nl):
            y[i * S + ln] = rows[r0 + ln, i]
    tsum = np.zeros(_NT * S)
    msum = np.zeros(_NM * S)
    g = np.empty(max(PROGENITOR_READOUT_GATES, NEURON_READOUT_GATES) * S)
    _score_lanes(S, y, n_cohorts, p, ip, dp, cassette_nil, type_of_class, np.empty(_NP * S),
                 np.empty(_NM * S), np.empty(S), np.empty(S), np.empty(S), g, tsum,
                 msum)  # fmt: skip
    for ln in range(nl):
        for q in range(_NT):
            types[r0 + ln, q] = tsum[q * S + ln]
        for q in range(_NM):
            markers[r0 + ln, q] = msum[q * S + ln]


@jit(noalias=True)
def _score_lanes(nl, y, n_cohorts, p, ip, dp, cassette_nil, type_of_class, tp, mk, prog, cells, lv,
                 g, tsum, msum):  # fmt: skip
    """Add every cohort's cells of each type and marker to ``tsum`` and ``msum`` (lane layout).

    A neuron class is scored at its mean birth level, ``LV_c / c`` (its cohort's current level while
    it has no cells, which then count nothing); a class with no cells on any of the rows is skipped.
    Compiled with ``noalias`` (its arrays are separate buffers), so that the lane loops vectorise.
    """
    for k in range(n_cohorts):
        o = k * L.N_COHORT
        progenitor_readout_rows(nl, y, o, p, ip, dp, cassette_nil, tp, mk, g)
        yo = y[o * S :]
        for ln in range(nl):
            prog[ln] = max(yo[L.C_PROG * S + ln], 0.0)
        for q in range(_NP):
            for ln in range(nl):
                tsum[q * S + ln] += prog[ln] * tp[q * S + ln]
        for q in range(_NM):
            for ln in range(nl):
                msum[q * S + ln] += prog[ln] * mk[q * S + ln]
        for c in range(_NC):
            tc = type_of_class[c] * S
            some = 0.0
            for ln in range(nl):
                n = max(yo[(L.C_PROG + 1 + c) * S + ln], 0.0)
                cells[ln] = n
                tsum[tc + ln] += n
                lv[ln] = yo[(_LV0 + c) * S + ln] / n if n > 0.0 else yo[L.G_LEVEL * S + ln]
                some = max(some, n)
            if some > 0.0:
                neuron_readout_rows(nl, c + 1, lv, cells, p, ip, dp, msum, g)


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
