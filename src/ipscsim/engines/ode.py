"""The deterministic engine: runs of the model from day 0 through every protocol segment (numba).

:func:`run` integrates one run (protocol segments, operations, recording days) in compiled code;
:func:`run_many` runs many (protocol, parameter set) pairs in one call across threads with ``prange``,
each run independent, so the results equal the single-run results exactly.

Operations at a segment's start act on the state: *replate* and *aggregate* rescale every cell count to
the seeded number (recording the discarded share in ``LINEAGE`` for yields) and set the dissociation
stress to 1; *plate* changes only the format (an input).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model import layout as L
from ._jit import jit, prange
from .dopri5 import integrate_segment
from .kernels import prepare_work, rhs, work_size

__all__ = [
    "OdeRun",
    "apply_operation",
    "rhs_calls",
    "run",
    "run_many",
    "run_segments",
    "scrambled_order",
]


@jit
def apply_operation(y, op, count, n_cohorts, stride=1, lane=0):
    """Apply a replate/aggregate to the state in place (plate changes nothing in the state).

    Every count of every cohort (progenitors and neurons) is scaled to the seeded number, and the
    neurons' level masses with them (the survivors keep their mean birth levels); the discarded share
    goes to ``LINEAGE`` (for yields), the change to ``CUM_REPLATED``, and the stress is set to 1.
    State ``i`` is ``y[i * stride + lane]`` (the ensemble engine's lanes; one run: ``y[i]``).
    """
    if op != L.OP_REPLATE and op != L.OP_AGGREGATE:
        return
    gbase = n_cohorts * L.N_COHORT
    total = 0.0
    for i in range(n_cohorts):
        for c in range(L.N_GENES, L.COUNTS_END):
            total += y[(i * L.N_COHORT + c) * stride + lane]
    if total <= 0.0:
        return
    scale = count / total
    for i in range(n_cohorts):
        for c in range(L.N_GENES, L.N_COHORT):
            y[(i * L.N_COHORT + c) * stride + lane] *= scale
    y[(gbase + L.X_LINEAGE) * stride + lane] /= scale
    y[(gbase + L.X_CUM_REPLATED) * stride + lane] += count - total
    y[(gbase + L.X_STRESS) * stride + lane] = 1.0


@jit
def run_segments(
    y, p, tb, U, ops, opc, comp, nodes, work, ks, rec_t, rec_out, rec_pos, h, s0, s1, rtol, atol,
    max_steps, stats,
):  # fmt: skip
    """Integrate segments ``s0 .. s1 - 1`` in place (each one's operation applied at its start).

    ``h`` is the step size carried in (``-1`` to choose one) and ``rec_pos`` the next record; returns
    ``(h, rec_pos, status)`` so that a driver can resume at ``s1``.
    """
    n_cohorts = nodes.shape[0]
    n_rec = rec_t.shape[0]
    for s in range(s0, s1):
        if s > 0 or ops[s] != L.OP_NONE:
            apply_operation(y, ops[s], opc[s], n_cohorts)
        h = min(h, tb[s + 1] - tb[s]) if h > 0 else h
        h, rec_pos, status = integrate_segment(
            tb[s],
            tb[s + 1],
            y,
            p,
            U[s],
            comp,
            nodes,
            work,
            rec_t,
            rec_pos,
            n_rec,
            rec_out,
            h,
            rtol,
            atol,
            max_steps,
            stats,
            ks,
        )
        if status != 0:
            return h, rec_pos, status
    return h, rec_pos, 0


@jit
def _fill_nan(rec_out, rec_pos):
    for r in range(rec_pos, rec_out.shape[0]):
        for i in range(rec_out.shape[1]):
            rec_out[r, i] = np.nan


@jit
def _run(y, p, tb, U, ops, opc, comp, nodes, rec_t, rec_out, rtol, atol, max_steps, stats):
    n_cohorts = nodes.shape[0]
    n = y.shape[0]
    work = np.zeros(work_size(n_cohorts))
    prepare_work(p, nodes, work)
    ks = np.empty((9, n))
    _, rec_pos, status = run_segments(
        y, p, tb, U, ops, opc, comp, nodes, work, ks, rec_t, rec_out, 0, -1.0, 0,
        tb.shape[0] - 1, rtol, atol, max_steps, stats,
    )  # fmt: skip
    if status != 0:
        _fill_nan(rec_out, rec_pos)
        return status
    if rec_pos < rec_t.shape[0]:  # days past the end: not simulated
        _fill_nan(rec_out, rec_pos)
        return 4
    return 0


@jit
def run(y0, p, tb, U, ops, opc, comp, nodes, rec_t, rtol, atol, max_steps):
    """Integrate one run.

    Args:
        y0: Initial state (not modified).
        p: Parameter array.
        tb: Segment boundaries ``(n_seg + 1,)``.
        U: Segment inputs ``(n_seg, n_u)``.
        ops: Operation code at each segment's start.
        opc: Cells seeded by each operation (units of the day-0 seeding).
        comp: Compound table.
        nodes: Cohort table.
        rec_t: Recording days, ascending, within ``[tb[0], tb[-1]]``.
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        max_steps: Step budget per segment.

    Returns:
        ``(records, stats, status)``: states at ``rec_t`` ``(n_rec, n_state)``; right-hand-side
        evaluations, accepted and rejected steps; status code (0 ok).
    """
    y = y0.copy()
    rec_out = np.empty((rec_t.shape[0], y.shape[0]))
    stats = np.zeros(3, dtype=np.int64)
    status = _run(y, p, tb, U, ops, opc, comp, nodes, rec_t, rec_out, rtol, atol, max_steps, stats)
    return rec_out, stats, status


@jit
def _gcd(a, b):
    while b:
        a, b = b, a % b
    return a


@jit
def scrambled_order(n_runs):
    """The runs ``0 .. n_runs - 1`` in a scrambled order: ``i * stride mod n_runs``.

    ``stride`` is coprime to ``n_runs``, near ``0.618 n_runs``, so costly runs that come together in a
    batch (a sweep towards a stiffening parameter, two protocols in turn) spread over the threads.
    """
    stride = max(1, int(0.6180339887 * n_runs))
    while _gcd(stride, n_runs) != 1:
        stride += 1
    order = np.empty(n_runs, dtype=np.int64)
    for i in range(n_runs):
        order[i] = (i * stride) % n_runs
    return order


@jit(parallel=True)
def run_many(y0s, ps, seg_ptr, tb, U, ops, opc, comp, nodes, rec_ptr, rec_t, rtol, atol, max_steps):
    """Integrate many runs in parallel (one thread per run, no shared mutable state).

    Run ``r`` uses parameters ``ps[r]``, initial state ``y0s[r]``, segments
    ``seg_ptr[r]:seg_ptr[r+1]`` (boundaries ``tb[seg_ptr[r] + r : seg_ptr[r+1] + r + 1]``) and
    recording days ``rec_t[rec_ptr[r]:rec_ptr[r+1]]``.

    The runs are visited in a scrambled order (``r = i * stride mod n_runs``, ``stride`` coprime to
    ``n_runs`` near ``0.618 n_runs``): ``prange`` gives each thread one contiguous block of iterations,
    and a batch whose costly runs come together (a sweep over a stiffening parameter, two protocols in
    turn) would otherwise leave one thread with all of them. Results do not depend on the order.

    Returns:
        ``(records, stats, status)`` with records stacked ``(total_records, n_state)`` in run order,
        stats ``(n_runs, 3)`` and status ``(n_runs,)``.
    """
    n_runs = ps.shape[0]
    order = scrambled_order(n_runs)
    n = y0s.shape[1]
    rec_out = np.empty((rec_t.shape[0], n))
    stats = np.zeros((n_runs, 3), dtype=np.int64)
    status = np.zeros(n_runs, dtype=np.int64)
    for i in prange(n_runs):
        r = order[i]
        s0 = seg_ptr[r]
        s1 = seg_ptr[r + 1]
        y = y0s[r].copy()
        status[r] = _run(
            y,
            ps[r],
            tb[s0 + r : s1 + r + 1],
            U[s0:s1],
            ops[s0:s1],
            opc[s0:s1],
            comp,
            nodes,
            rec_t[rec_ptr[r] : rec_ptr[r + 1]],
            rec_out[rec_ptr[r] : rec_ptr[r + 1]],
            rtol,
            atol,
            max_steps,
            stats[r],
        )
    return rec_out, stats, status


@jit
def rhs_calls(n, t0, t1, y, p, u, comp, nodes, work, out):
    """Evaluate the right-hand side ``n`` times at days spread over ``[t0, t1)`` (its cost, timed).

    The benchmarks divide the wall time of this loop by ``n``: the cost of one evaluation, which times
    the evaluations an integration needs is its practical lower bound.
    """
    prepare_work(p, nodes, work)
    acc = 0.0
    for i in range(n):
        rhs(t0 + (t1 - t0) * i / n, y, p, u, comp, nodes, work, out)
        acc += out[0]
    return acc


class OdeRun:
    """One run of the ODE engine driven segment by segment from Python (the run trackers see).

    :meth:`step` integrates one segment (protocol breakpoint to breakpoint) in compiled code; the
    arithmetic is that of :func:`run`, so a run driven this way gives the same records to rounding (it
    is a separately compiled entry point, where LLVM may fuse multiply-adds differently).

    Attributes:
        t: The day reached.
        y: The state vector now (cohorts, then globals).
        days: The last day of the run.
    """

    def __init__(self, prepared: Any, rtol: float, atol: float, max_steps: int) -> None:
        from ..model.cohorts import cohort_nodes
        from ..model.pharmacology import compound_table

        self.prepared = prepared
        self._opts = (float(rtol), float(atol), int(max_steps))
        self._nodes = cohort_nodes(prepared.n_cohorts)
        self._comp = compound_table()
        self.y = prepared.y0.copy()
        self._work = np.zeros(work_size(self._nodes.shape[0]))
        prepare_work(prepared.params, self._nodes, self._work)
        self._ks = np.empty((9, self.y.shape[0]))
        self.records = np.full((len(prepared.record_days), self.y.shape[0]), np.nan)
        self.stats = np.zeros(3, dtype=np.int64)
        self._h = -1.0
        self._rec_pos = 0
        self._seg = 0
        self.status = 0
        self.t = 0.0
        self.days = prepared.days

    @property
    def done(self) -> bool:
        """Whether the run has reached its end (or failed)."""
        return self.status != 0 or self._seg >= len(self.prepared.compiled.t) - 1

    def step(self) -> float:
        """Integrate the next segment; returns the day reached."""
        c = self.prepared.compiled
        rtol, atol, max_steps = self._opts
        s = self._seg
        self._h, self._rec_pos, self.status = run_segments(
            self.y, self.prepared.params, c.t, c.u, c.op, c.op_count, self._comp, self._nodes,
            self._work, self._ks, self.prepared.record_days, self.records, self._rec_pos, self._h,
            s, s + 1, rtol, atol, max_steps, self.stats,
        )  # fmt: skip
        self._seg += 1
        self.t = float(c.t[self._seg])
        return self.t

    def composition(self) -> dict[str, float]:
        """Fraction of live cells of each cell type now (less than one cell per well is none)."""
        from ..model.readouts import CELL_TYPES, floor_cells
        from .readouts import readout_counts

        prep = self.prepared
        counts = readout_counts(self.y[None, :], prep.params, prep.n_cohorts)[0][0]
        counts = floor_cells(counts, self.prepared.compiled.seeded)  # as the Result reports
        total = counts.sum()
        return {
            k: float(v / total) if total > 0 else 0.0
            for k, v in zip(CELL_TYPES, counts, strict=True)
        }

    def run(self, trackers: Any) -> tuple[np.ndarray, np.ndarray, int, str]:
        """Run to the end under ``trackers`` (a :class:`~ipscsim.trackers.TrackerCollection`).

        Returns:
            ``(records, stats, status, stopped)``: the records up to the stop (all of them if the
            run ended normally), solver statistics, status code, and why a tracker stopped it.
        """
        trackers.initialize(self)
        try:
            going = trackers.handle(self, 0.0)
            while going and not self.done:
                self.step()
                if self.status == 0:
                    going = trackers.handle(self, self.t)
        finally:
            trackers.finalize(self)
        if self.status == 0 and self.done and self._rec_pos < len(self.records):
            self.status = 4  # days past the end: not simulated (as run())
        if self.status != 0:
            return self.records, self.stats, self.status, ""
        if not self.done:  # stopped early: keep the records taken so far
            return self.records[: self._rec_pos], self.stats, 0, trackers.stopped
        return self.records, self.stats, 0, ""
