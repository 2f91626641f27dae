"""The Runge-Kutta arithmetic of the ensemble engine (numba): a bundle's buffers and their updates.

A bundle (:mod:`.lanes`) keeps ten buffers per state, interleaved state by state: the state, the stage
input, an evaluation and the seven stages of Dormand-Prince 5(4), each holding ``LANES`` lanes, so
buffer ``b`` of state ``i`` of lane ``ln`` is at ``i * SY + b * S + ln`` (:func:`_ix`). The stage
combinations, error norms and step updates run over all lanes at once (vector instructions, each lane
with its own step size); the rest serves one lane at a time (segment starts, records). The formulas
are those of :mod:`.dopri5`, term for term.
"""

from __future__ import annotations

import math

from ._jit import jit
from .dopri5 import (
    A21,
    A31,
    A32,
    A41,
    A42,
    A43,
    A51,
    A52,
    A53,
    A54,
    A61,
    A62,
    A63,
    A64,
    A65,
    B1,
    B3,
    B4,
    B5,
    B6,
    E1,
    E3,
    E4,
    E5,
    E6,
    E7,
    dense_weights,
)  # fmt: skip
from .lane_rhs import BUFFERS, LANES, SY

S = LANES
# a bundle's buffers, interleaved state by state (see _ix): state, stage input, evaluation, the
# seven stages; the lane kernels' state stride SY counts them (unpacking fails if they disagree)
_Y, _YIN, _F, _K1, _K2, _K3, _K4, _K5, _K6, _K7 = range(BUFFERS)
# integer fields of a lane
(_RUN, _NEED, _SEG, _SEG_END, _REC, _REC_END, _STEPS, _REJ, _LAST, _ACTIVE, _TAKE) = range(11)
_NI = 11
# float fields of a lane
(_T, _T1, _EPS, _H, _HS, _ERR_OLD, _H0, _D1, _TIN, _E) = range(10)
_NF = 10
# what a lane waits for before its next step: nothing, a segment's first evaluation, the
# starting-step trial
_READY, _NEED_K1, _NEED_INIT = 0, 1, 2


@jit(inline="always")
def _ix(i, buf, ln):
    """Where state ``i`` of buffer ``buf`` of lane ``ln`` is in a bundle's buffer array."""
    return i * SY + buf * S + ln


@jit(inline="always")
def _norm_lane(B, v_buf, ln, n, rtol, atol, yb, y1b):
    """:func:`.dopri5._norm` of lane ``ln`` (for the rare per-lane uses: the starting step)."""
    acc = 0.0
    for i in range(n):
        y0 = B[_ix(i, yb, ln)]
        sk = atol + rtol * max(abs(y0), abs(B[_ix(i, y1b, ln)]))
        q = B[_ix(i, v_buf, ln)] / sk
        acc += q * q
    return math.sqrt(acc / n)


# fmt: off
@jit
def _stage_inputs(nl, n, stage, hs, B):
    """The input of Runge-Kutta stage ``stage`` (2..7) of every lane, each with its step ``hs[ln]``.

    The lane loop runs to ``nl`` (= ``LANES``, passed at run time so that it is vectorised rather
    than unrolled); the buffers of a state sit at constant offsets, so no two iterations overlap.
    """
    if stage == 2:
        for i in range(n):
            for ln in range(nl):
                o = i * SY + ln
                B[o + _YIN * S] = B[o] + hs[ln] * A21 * B[o + _K1 * S]
    elif stage == 3:
        for i in range(n):
            for ln in range(nl):
                o = i * SY + ln
                B[o + _YIN * S] = B[o] + hs[ln] * (A31 * B[o + _K1 * S] + A32 * B[o + _K2 * S])
    elif stage == 4:
        for i in range(n):
            for ln in range(nl):
                o = i * SY + ln
                B[o + _YIN * S] = B[o] + hs[ln] * (
                    A41 * B[o + _K1 * S] + A42 * B[o + _K2 * S] + A43 * B[o + _K3 * S]
                )
    elif stage == 5:
        for i in range(n):
            for ln in range(nl):
                o = i * SY + ln
                B[o + _YIN * S] = B[o] + hs[ln] * (
                    A51 * B[o + _K1 * S] + A52 * B[o + _K2 * S] + A53 * B[o + _K3 * S]
                    + A54 * B[o + _K4 * S]
                )
    elif stage == 6:
        for i in range(n):
            for ln in range(nl):
                o = i * SY + ln
                B[o + _YIN * S] = B[o] + hs[ln] * (
                    A61 * B[o + _K1 * S] + A62 * B[o + _K2 * S] + A63 * B[o + _K3 * S]
                    + A64 * B[o + _K4 * S] + A65 * B[o + _K5 * S]
                )
    else:
        for i in range(n):
            for ln in range(nl):
                o = i * SY + ln
                B[o + _YIN * S] = B[o] + hs[ln] * (
                    B1 * B[o + _K1 * S] + B3 * B[o + _K3 * S] + B4 * B[o + _K4 * S]
                    + B5 * B[o + _K5 * S] + B6 * B[o + _K6 * S]
                )
# fmt: on


@jit
def _error_norms(nl, n, hs, rtol, atol, B, e):
    """Every lane's error estimate of the step just made (:func:`.dopri5._norm` of its error)."""
    for ln in range(nl):
        e[ln] = 0.0
    for i in range(n):
        for ln in range(nl):
            o = i * SY + ln
            err = hs[ln] * (
                E1 * B[o + _K1 * S] + E3 * B[o + _K3 * S] + E4 * B[o + _K4 * S]
                + E5 * B[o + _K5 * S] + E6 * B[o + _K6 * S] + E7 * B[o + _K7 * S]
            )  # fmt: skip
            sk = atol + rtol * max(abs(B[o]), abs(B[o + _YIN * S]))
            q = err / sk
            e[ln] += q * q
    for ln in range(nl):
        e[ln] = math.sqrt(e[ln] / n)


@jit
def _take_steps(nl, n, take, B):
    """``y = ynew`` and ``k1 = k7`` (first same as last) in the lanes whose step was accepted."""
    for i in range(n):
        for ln in range(nl):
            o = i * SY + ln
            B[o] = B[o + _YIN * S] if take[ln] else B[o]
            B[o + _K1 * S] = B[o + _K7 * S] if take[ln] else B[o + _K1 * S]


@jit
def _dense_lane(B, ln, n, h, s, row):
    """:func:`.dopri5._dense` of lane ``ln`` into ``row``."""
    b1, b3, b4, b5, b6, b7 = dense_weights(s)
    for i in range(n):
        o = i * SY + ln
        row[i] = B[o] + h * (
            b1 * B[o + _K1 * S] + b3 * B[o + _K3 * S] + b4 * B[o + _K4 * S] + b5 * B[o + _K5 * S]
            + b6 * B[o + _K6 * S] + b7 * B[o + _K7 * S]
        )  # fmt: skip


@jit
def _record_state(B, ln, n, buf, row):
    for i in range(n):
        row[i] = B[_ix(i, buf, ln)]
