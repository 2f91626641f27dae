"""The ensemble engine: many runs integrated ``LANES`` at a time in the vector units (numba).

A *bundle* holds ``LANES`` runs in the lanes of its arrays (:mod:`.lane_rhs`); one right-hand-side call
evaluates all of them with vector instructions. Each lane integrates its own run with its own
Dormand-Prince step size (:mod:`.dopri5`: same tableau, error norm, step-size control, records and
status codes); the lanes share only the stage they are at, so that a call evaluates stage *s* of every
lane's own step and the stage arithmetic runs over all lanes at once (:mod:`.lane_steps`). A lane at a
segment's start, or starting a run, needs one or two evaluations of its own (the segment's first, the
starting-step trial); the other lanes idle through them. A lane whose run ends takes the next run of
its bundle's queue. Bundles run in parallel (``prange``).

A run's result does not depend on which runs share its bundle, their order or the thread count: a lane
reads and writes only its own column, and every lane runs the same vector instructions. It equals
:func:`.ode.run` of the same inputs to rounding (``tests/test_lanes.py``: 1e-10 relative; the two
compiled forms may fuse a multiply-add differently).
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any, NamedTuple

import numpy as np

from ..model import layout as L
from ._jit import jit, prange
from .dopri5 import ALPHA, BETA, C2, C3, C4, C5, FAC_MAX, FAC_MIN, SAFETY
from .lane_rhs import LANES, SY, LaneWork, load_lane, make_lane_work, rhs_lanes
from .lane_steps import (
    _ACTIVE,
    _D1,
    _E,
    _EPS,
    _ERR_OLD,
    _F,
    _H,
    _H0,
    _HS,
    _K1,
    _LAST,
    _NEED,
    _NEED_INIT,
    _NEED_K1,
    _NF,
    _NI,
    _READY,
    _REC,
    _REC_END,
    _REJ,
    _RUN,
    _SEG,
    _SEG_END,
    _STEPS,
    _T,
    _T1,
    _TAKE,
    _TIN,
    _Y,
    _YIN,
    S,
    _dense_lane,
    _error_norms,
    _ix,
    _norm_lane,
    _record_state,
    _stage_inputs,
    _take_steps,
)  # fmt: skip
from .ode import apply_operation, scrambled_order

__all__ = ["LANES", "run_lanes", "vector_width"]


@jit
def _end_run(li, ln, code, rec_out, status):
    """Close lane ``ln``'s run with status ``code`` (days not reached become NaN)."""
    for q in range(li[_REC, ln], li[_REC_END, ln]):
        for i in range(rec_out.shape[1]):
            rec_out[q, i] = np.nan
    status[li[_RUN, ln]] = code
    li[_ACTIVE, ln] = 0


@jit
def _begin_step(li, lf, ln, max_steps, rec_out, status):
    """Size lane ``ln``'s next step (the top of :func:`.dopri5.integrate_segment`'s loop).

    Returns:
        1 when the lane takes the step, 0 when its run failed (step budget, step too small).
    """
    if li[_STEPS, ln] >= max_steps:
        _end_run(li, ln, 1, rec_out, status)
        return 0
    t = lf[_T, ln]
    t1 = lf[_T1, ln]
    hs = lf[_H, ln]
    last = 0
    if t + hs >= t1 - lf[_EPS, ln]:
        hs = t1 - t
        last = 1
    if hs < 1e-12:
        _end_run(li, ln, 2, rec_out, status)
        return 0
    lf[_HS, ln] = hs
    li[_LAST, ln] = last
    return 1


@jit
def _begin_segment(B, li, lf, lw, ln, n, k, seg_ptr, tb, U, ops, opc, rec_t, rec_out):
    """Move lane ``ln`` to its next segment that has length (:func:`.ode.run_segments`).

    Returns:
        1 when the lane waits for the segment's first evaluation, 0 when its run has no segments left.
    """
    r = li[_RUN, ln]
    while li[_SEG, ln] < li[_SEG_END, ln]:
        s = li[_SEG, ln]
        if s > seg_ptr[r] or ops[s] != L.OP_NONE:
            apply_operation(B, ops[s], opc[s], k, SY, ln)
        t0 = tb[s + r]
        t1 = tb[s + r + 1]
        if lf[_H, ln] > 0:
            lf[_H, ln] = min(lf[_H, ln], t1 - t0)
        for j in range(U.shape[1]):
            lw.u[j * S + ln] = U[s, j]
        eps = 1e-9 * max(1.0, abs(t1))
        q = li[_REC, ln]
        while q < li[_REC_END, ln] and rec_t[q] <= t0 + eps:
            _record_state(B, ln, n, _Y, rec_out[q])
            q += 1
        li[_REC, ln] = q
        if t1 - t0 <= eps:
            li[_SEG, ln] += 1
            continue
        lf[_T, ln] = t0
        lf[_T1, ln] = t1
        lf[_EPS, ln] = eps
        lf[_ERR_OLD, ln] = 1e-4
        li[_REJ, ln] = 0
        li[_STEPS, ln] = 0
        for i in range(n):
            B[_ix(i, _YIN, ln)] = B[_ix(i, _Y, ln)]
        lf[_TIN, ln] = t0
        li[_NEED, ln] = _NEED_K1
        return 1
    return 0


@jit
def _next_segment(B, li, lf, lw, ln, n, k, seg_ptr, tb, U, ops, opc, rec_t, rec_out, status):
    """Lane ``ln`` finished a segment: begin the next one, or close the run (1 if it goes on)."""
    li[_SEG, ln] += 1
    if _begin_segment(B, li, lf, lw, ln, n, k, seg_ptr, tb, U, ops, opc, rec_t, rec_out):
        return 1
    _end_run(li, ln, 4 if li[_REC, ln] < li[_REC_END, ln] else 0, rec_out, status)
    return 0


@jit
def _start_run(B, li, lf, lw, ln, r, n, k, y0s, ps, nodes, seg_ptr, tb, U, ops, opc, rec_ptr,
               rec_t, rec_out, status):  # fmt: skip
    """Put run ``r`` in lane ``ln``; 1 when it waits for an evaluation, 0 when it ended at once."""
    li[_RUN, ln] = r
    li[_ACTIVE, ln] = 1
    for i in range(n):
        B[_ix(i, _Y, ln)] = y0s[r, i]
    load_lane(lw, ln, ps[r], nodes)
    li[_SEG, ln] = seg_ptr[r]
    li[_SEG_END, ln] = seg_ptr[r + 1]
    li[_REC, ln] = rec_ptr[r]
    li[_REC_END, ln] = rec_ptr[r + 1]
    lf[_H, ln] = -1.0
    li[_SEG, ln] -= 1
    return _next_segment(B, li, lf, lw, ln, n, k, seg_ptr, tb, U, ops, opc, rec_t, rec_out, status)


@jit
def _first_evaluation(B, li, lf, ln, n, rtol, atol, stats):
    """After a segment's first evaluation (in ``B[_F]``): ``k1``, and the starting-step trial."""
    for i in range(n):
        B[_ix(i, _K1, ln)] = B[_ix(i, _F, ln)]
    stats[li[_RUN, ln], 0] += 1
    if lf[_H, ln] > 0.0:
        li[_NEED, ln] = _READY
        return
    # Hairer's starting step (dopri5.initial_step); its trial evaluation comes next
    d0 = _norm_lane(B, _Y, ln, n, rtol, atol, _Y, _Y)
    d1 = _norm_lane(B, _K1, ln, n, rtol, atol, _Y, _Y)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h0 = min(h0, lf[_T1, ln] - lf[_T, ln])
    for i in range(n):
        B[_ix(i, _YIN, ln)] = B[_ix(i, _Y, ln)] + h0 * B[_ix(i, _K1, ln)]
    lf[_H0, ln] = h0
    lf[_D1, ln] = d1
    lf[_TIN, ln] = lf[_T, ln] + h0
    li[_NEED, ln] = _NEED_INIT


@jit
def _initial_step(B, li, lf, ln, n, rtol, atol, stats):
    """After the starting-step trial (in ``B[_F]``): the step size of dopri5.initial_step."""
    stats[li[_RUN, ln], 0] += 1
    for i in range(n):
        B[_ix(i, _YIN, ln)] = B[_ix(i, _F, ln)] - B[_ix(i, _K1, ln)]
    h0 = lf[_H0, ln]
    d2 = _norm_lane(B, _YIN, ln, n, rtol, atol, _Y, _Y) / h0
    dm = max(lf[_D1, ln], d2)
    h1 = max(1e-6, h0 * 1e-3) if dm <= 1e-15 else (0.01 / dm) ** 0.2
    lf[_H, ln] = min(100.0 * h0, h1, lf[_T1, ln] - lf[_T, ln])
    li[_NEED, ln] = _READY


@jit
def _judge(B, li, lf, ln, n, rec_t, rec_out, status, stats):
    """Accept or reject lane ``ln``'s step from its error ``lf[_E]``; record the days it passed.

    Sets ``li[_TAKE, ln]`` (the state is updated by :func:`_take_steps`) and the next step size.
    Returns 0 when the run failed (the error is not finite and the step is already tiny).
    """
    e = lf[_E, ln]
    hs = lf[_HS, ln]
    li[_TAKE, ln] = 0
    if not math.isfinite(e):
        if hs < 1e-10:
            _end_run(li, ln, 3, rec_out, status)
            return 0
        lf[_H, ln] = 0.1 * hs
        li[_REJ, ln] = 1
        stats[li[_RUN, ln], 2] += 1
        return 1
    if e > 1.0:
        lf[_H, ln] = hs * max(FAC_MIN, SAFETY * e ** (-ALPHA))
        li[_REJ, ln] = 1
        stats[li[_RUN, ln], 2] += 1
        return 1
    t = lf[_T, ln]
    eps = lf[_EPS, ln]
    last = li[_LAST, ln] == 1
    fac = SAFETY * max(e, 1e-10) ** (-ALPHA) * lf[_ERR_OLD, ln] ** BETA
    fac = min(FAC_MAX, max(FAC_MIN, fac))
    if li[_REJ, ln] == 1:
        fac = min(1.0, fac)
    t_new = lf[_T1, ln] if last else t + hs
    q = li[_REC, ln]
    while q < li[_REC_END, ln] and rec_t[q] <= t_new + eps:
        if rec_t[q] >= t_new - eps:
            _record_state(B, ln, n, _YIN, rec_out[q])
        else:
            _dense_lane(B, ln, n, hs, (rec_t[q] - t) / hs, rec_out[q])
        q += 1
    li[_REC, ln] = q
    lf[_ERR_OLD, ln] = max(e, 1e-4)
    lf[_T, ln] = t_new
    li[_REJ, ln] = 0
    li[_TAKE, ln] = 1
    stats[li[_RUN, ln], 1] += 1
    h = lf[_H, ln]
    lf[_H, ln] = max(h, hs) if last and fac >= 1.0 else hs * fac
    return 1


@jit
def _clone_lane(B, lf, lw, src, dst):
    """Copy lane ``src``'s inputs into idle lane ``dst`` (so that it computes finite numbers)."""
    for arr in (lw.p, lw.ip, lw.dp, lw.u, lw.theta, lw.phi):
        for i in range(arr.shape[0] // S):
            arr[i * S + dst] = arr[i * S + src]
    for i in range(B.shape[0] // SY):
        for buf in (_Y, _YIN):
            B[_ix(i, buf, dst)] = B[_ix(i, buf, src)]
    lf[_TIN, dst] = lf[_TIN, src]
    lf[_HS, dst] = lf[_HS, src]


class _Bundle(NamedTuple):
    """A bundle's buffers, lane fields and lane work (one per thread's bundle)."""

    B: np.ndarray
    li: np.ndarray
    lf: np.ndarray
    lw: LaneWork


@jit
def _evaluate(bd, comp, k, out):
    """Evaluate the right-hand side of every lane (at ``lf[_TIN]``, buffer ``_YIN``) into ``out``."""
    lw = bd.lw
    B = bd.B
    rhs_lanes(S, bd.lf[_TIN], B[_YIN * S :], lw.p, lw.ip, lw.dp, lw.u, lw.theta, lw.phi, comp,
              lw.a, lw.f, lw.z, lw.env, lw.sh, lw.r, lw.e, lw.s, lw.acc, B[out * S :], k)  # fmt: skip


class _Runs(NamedTuple):
    """The runs of a call and where their results go (the arguments of :func:`run_lanes`)."""

    y0s: np.ndarray
    ps: np.ndarray
    seg_ptr: np.ndarray
    tb: np.ndarray
    U: np.ndarray
    ops: np.ndarray
    opc: np.ndarray
    comp: np.ndarray
    nodes: np.ndarray
    rec_ptr: np.ndarray
    rec_t: np.ndarray
    order: np.ndarray
    rec_out: np.ndarray
    stats: np.ndarray
    status: np.ndarray


@jit
def _fill(bd, rs, ln, pos, step):
    """Start the next runs of the queue in lane ``ln`` until one waits for an evaluation."""
    n = rs.y0s.shape[1]
    k = rs.nodes.shape[0]
    while pos < rs.order.shape[0]:
        r = rs.order[pos]
        pos += step
        if _start_run(
            bd.B,
            bd.li,
            bd.lf,
            bd.lw,
            ln,
            r,
            n,
            k,
            rs.y0s,
            rs.ps,
            rs.nodes,
            rs.seg_ptr,
            rs.tb,
            rs.U,
            rs.ops,
            rs.opc,
            rs.rec_ptr,
            rs.rec_t,
            rs.rec_out,
            rs.status,
        ):
            break  # fmt: skip
    return pos


@jit
def _waiting(li, need):
    """Whether an active lane waits for ``need``."""
    found = False
    for ln in range(S):
        found = found or (li[_ACTIVE, ln] == 1 and li[_NEED, ln] == need)
    return found


@jit
def _ready_lanes(bd, rs, pos, step, rtol, atol, max_steps):
    """Serve the lanes waiting for a segment's first evaluation or a starting-step trial.

    The other lanes idle meanwhile. Returns when every active lane can step; a run that fails to
    size a step makes room for the next run of the queue.
    """
    B, li, lf = bd.B, bd.li, bd.lf
    n = rs.y0s.shape[1]
    k = rs.nodes.shape[0]
    while True:
        if _waiting(li, _NEED_K1):
            _evaluate(bd, rs.comp, k, _F)
            for ln in range(S):
                if li[_ACTIVE, ln] == 1 and li[_NEED, ln] == _NEED_K1:
                    _first_evaluation(B, li, lf, ln, n, rtol, atol, rs.stats)
        if _waiting(li, _NEED_INIT):
            _evaluate(bd, rs.comp, k, _F)
            for ln in range(S):
                if li[_ACTIVE, ln] == 1 and li[_NEED, ln] == _NEED_INIT:
                    _initial_step(B, li, lf, ln, n, rtol, atol, rs.stats)
        for ln in range(S):
            ready = li[_ACTIVE, ln] == 1 and li[_NEED, ln] == _READY
            if ready and not _begin_step(li, lf, ln, max_steps, rs.rec_out, rs.status):
                pos = _fill(bd, rs, ln, pos, step)
        if not (_waiting(li, _NEED_K1) or _waiting(li, _NEED_INIT)):
            return pos


@jit
def _step(bd, rs, rtol, atol):
    """The six Runge-Kutta stages of every lane's step (each lane with its own size) and their errors."""
    B, li, lf = bd.B, bd.li, bd.lf
    n = rs.y0s.shape[1]
    k = rs.nodes.shape[0]
    hs = lf[_HS]
    # LANES as a run-time value (an array's length): the stage and error loops vectorise over it,
    # where the constant S makes numba compile them for a literal 8 and LLVM unroll them first
    # (measured: stages 2-7 of a bundle 11.0 against 15.1 us, the error norms 2.3 against 6.4 us);
    # the right-hand side is the other way round and keeps S
    nl = hs.shape[0]
    for stage in range(2, 8):
        _stage_inputs(nl, n, stage, hs, B)
        c = (
            C2
            if stage == 2
            else C3
            if stage == 3
            else C4
            if stage == 4
            else C5
            if stage == 5
            else 1.0
        )
        for ln in range(S):
            lf[_TIN, ln] = lf[_T, ln] + hs[ln] if stage > 5 else lf[_T, ln] + c * hs[ln]
        _evaluate(bd, rs.comp, k, _K1 + stage - 1)
    for ln in range(S):
        if li[_ACTIVE, ln] == 1:
            rs.stats[li[_RUN, ln], 0] += 6
            li[_STEPS, ln] += 1
    _error_norms(nl, n, hs, rtol, atol, B, lf[_E])


@jit
def _after_step(bd, rs, pos, step):
    """Accept or reject every lane's step; lanes at a segment's end move on, ended runs make room."""
    B, li, lf, lw = bd.B, bd.li, bd.lf, bd.lw
    n = rs.y0s.shape[1]
    k = rs.nodes.shape[0]
    for ln in range(S):
        li[_TAKE, ln] = 0
        active = li[_ACTIVE, ln] == 1
        if active and not _judge(B, li, lf, ln, n, rs.rec_t, rs.rec_out, rs.status, rs.stats):
            pos = _fill(bd, rs, ln, pos, step)
    _take_steps(S, n, li[_TAKE], B)
    for ln in range(S):
        ended = li[_ACTIVE, ln] == 1 and li[_TAKE, ln] == 1 and not lf[_T, ln] < lf[_T1, ln]
        if ended and not _next_segment(B, li, lf, lw, ln, n, k, rs.seg_ptr, rs.tb, rs.U, rs.ops,
                                       rs.opc, rs.rec_t, rs.rec_out, rs.status):  # fmt: skip
            pos = _fill(bd, rs, ln, pos, step)
    return pos


@jit
def _bundle(b, step, rs, rtol, atol, max_steps):
    """Integrate the runs ``rs.order[b::step]`` in one bundle of lanes."""
    n = rs.y0s.shape[1]
    k = rs.nodes.shape[0]
    npar = rs.ps.shape[1]
    lw = make_lane_work(npar, rs.U.shape[1], k)
    bd = _Bundle(np.zeros(n * SY), np.zeros((_NI, S), dtype=np.int64), np.zeros((_NF, S)), lw)
    pos = b
    for ln in range(S):
        pos = _fill(bd, rs, ln, pos, step)
    src = -1
    for ln in range(S):
        if bd.li[_ACTIVE, ln] == 1:
            src = ln
    if src < 0:
        return
    for ln in range(S):
        if bd.li[_ACTIVE, ln] == 0:
            _clone_lane(bd.B, bd.lf, lw, src, ln)
    while True:
        pos = _ready_lanes(bd, rs, pos, step, rtol, atol, max_steps)
        active = 0
        for ln in range(S):
            active += bd.li[_ACTIVE, ln]
        if active == 0:
            return
        _step(bd, rs, rtol, atol)
        pos = _after_step(bd, rs, pos, step)


@jit(parallel=True)
def run_lanes(y0s, ps, seg_ptr, tb, U, ops, opc, comp, nodes, rec_ptr, rec_t, rtol, atol, max_steps,
              n_bundles):  # fmt: skip
    """Integrate many runs in bundles of ``LANES`` (arguments and results as :func:`.ode.run_many`).

    The runs are queued in a scrambled order (as in :func:`.ode.run_many`, so that costly runs that
    come together spread over the bundles); bundle ``b`` takes every ``n_bundles``-th run of the queue,
    and the bundles run in parallel.
    """
    n_runs = ps.shape[0]
    order = scrambled_order(n_runs)
    rs = _Runs(y0s, ps, seg_ptr, tb, U, ops, opc, comp, nodes, rec_ptr, rec_t, order,
               np.empty((rec_t.shape[0], y0s.shape[1])), np.zeros((n_runs, 3), dtype=np.int64),
               np.zeros(n_runs, dtype=np.int64))  # fmt: skip
    for b in prange(n_bundles):
        _bundle(np.int64(b), np.int64(n_bundles), rs, rtol, atol, max_steps)
    return rs.rec_out, rs.stats, rs.status


@functools.cache
def vector_width() -> dict[str, Any]:
    """The vector registers a loop over lanes compiles to on this machine.

    The ensemble engine's stage combination is compiled afresh (numba cannot show cached machine code)
    and its instructions read: packed double-precision arithmetic on ``zmm`` registers is AVX-512 (8
    doubles at once), on ``ymm`` AVX2 (4), on ``xmm`` SSE2 (2).

    Returns:
        ``{"bits": ..., "doubles": ..., "isa": ..., "label": ...}``; 64 bits and ``"scalar"`` when the
        loop did not vectorise.
    """
    probe = jit(_stage_inputs.py_func, cache=False)
    probe(S, 1, 7, np.zeros(S), np.zeros(SY))
    asm = probe.inspect_asm(probe.signatures[0])
    for reg, bits, isa in (("zmm", 512, "AVX-512"), ("ymm", 256, "AVX2"), ("xmm", 128, "SSE2")):
        if re.search(rf"\tv?(?:add|mul|sub|fmadd\w*)pd\s[^\n]*%{reg}", asm):
            return {"bits": bits, "doubles": bits // 64, "isa": isa,
                    "label": f"{isa}, {bits // 64} doubles per instruction"}  # fmt: skip
    return {"bits": 64, "doubles": 1, "isa": "scalar", "label": "scalar (not vectorised)"}
