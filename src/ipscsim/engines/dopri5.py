"""Adaptive Dormand-Prince 5(4) integration of the model between two breakpoints (numba).

The method is the one of scipy's ``RK45`` and Hairer's DOPRI5 (Dormand & Prince 1980): seven stages with
the first-same-as-last property, a fifth-order solution and an embedded fourth-order error estimate, and
Hairer's PI step-size controller. It was chosen by measurement: the model is not stiff at the tolerances
a user asks for (the fastest rates are ~10/day against 10-40 day horizons), so an explicit method needs
fewer right-hand-side evaluations than scipy's implicit Radau/BDF at equal accuracy and no Jacobian
(see ``docs/engines.md``).
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit
from .kernels import rhs

__all__ = ["STATUS_MESSAGES", "dense_weights", "initial_step", "integrate_segment"]

# Butcher tableau (Dormand & Prince 1980)
A21 = 1.0 / 5.0
A31, A32 = 3.0 / 40.0, 9.0 / 40.0
A41, A42, A43 = 44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0
A51, A52, A53, A54 = 19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0
A61, A62, A63, A64, A65 = (
    9017.0 / 3168.0,
    -355.0 / 33.0,
    46732.0 / 5247.0,
    49.0 / 176.0,
    -5103.0 / 18656.0,
)
B1, B3, B4, B5, B6 = 35.0 / 384.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0
E1, E3, E4, E5, E6, E7 = (
    71.0 / 57600.0,
    -71.0 / 16695.0,
    71.0 / 1920.0,
    -17253.0 / 339200.0,
    22.0 / 525.0,
    -1.0 / 40.0,
)
C2, C3, C4, C5 = 0.2, 0.3, 0.8, 8.0 / 9.0
# Dense output: y(t + s h) = y + h sum_j k_j (s P[j,0] + s^2 P[j,1] + s^3 P[j,2] + s^4 P[j,3]),
# the fourth-order interpolant of Dormand & Prince (the P matrix of scipy's RK45)
P10, P11, P12, P13 = (
    1.0,
    -8048581381.0 / 2820520608.0,
    8663915743.0 / 2820520608.0,
    (-12715105075.0 / 11282082432.0),
)
P31, P32, P33 = (
    131558114200.0 / 32700410799.0,
    -68118460800.0 / 10900136933.0,
    (87487479700.0 / 32700410799.0),
)
P41, P42, P43 = (
    -1754552775.0 / 470086768.0,
    14199869525.0 / 1410260304.0,
    (-10690763975.0 / 1880347072.0),
)
P51, P52, P53 = (
    127303824393.0 / 49829197408.0,
    -318862633887.0 / 49829197408.0,
    (701980252875.0 / 199316789632.0),
)
P61, P62, P63 = -282668133.0 / 205662961.0, 2019193451.0 / 616988883.0, -1453857185.0 / 822651844.0
P71, P72, P73 = 40617522.0 / 29380423.0, -110615467.0 / 29380423.0, 69997945.0 / 29380423.0

SAFETY = 0.9
FAC_MIN = 0.2
FAC_MAX = 10.0
BETA = 0.04
ALPHA = 0.2 - BETA * 0.75

#: Status codes of a run and their meaning.
STATUS_MESSAGES = {
    0: "ok",
    1: "the integrator exceeded its step budget (max_steps); loosen rtol or raise max_steps",
    2: "the step size fell below 1e-12 day (a discontinuity the integrator cannot pass, or parameters "
    "that make the model stiff); check the parameters or loosen rtol",
    3: "the state became non-finite (NaN or inf): a parameter is likely out of range",
    4: "a recording day lies outside the simulated days",
}


@jit
def _norm(v, y0, y1, rtol, atol):
    acc = 0.0
    n = v.shape[0]
    for i in range(n):
        sk = atol + rtol * max(abs(y0[i]), abs(y1[i]))
        q = v[i] / sk
        acc += q * q
    return math.sqrt(acc / n)


@jit
def initial_step(t, y, f0, p, u, comp, nodes, work, rtol, atol, hmax, tmp, f1):
    """Hairer's starting step-size heuristic (costs one right-hand-side evaluation)."""
    d0 = _norm(y, y, y, rtol, atol)
    d1 = _norm(f0, y, y, rtol, atol)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h0 = min(h0, hmax)
    for i in range(y.shape[0]):
        tmp[i] = y[i] + h0 * f0[i]
    rhs(t + h0, tmp, p, u, comp, nodes, work, f1)
    for i in range(y.shape[0]):
        tmp[i] = f1[i] - f0[i]
    d2 = _norm(tmp, y, y, rtol, atol) / h0
    dm = max(d1, d2)
    h1 = max(1e-6, h0 * 1e-3) if dm <= 1e-15 else (0.01 / dm) ** 0.2
    return min(100.0 * h0, h1, hmax)


@jit(inline="always")
def dense_weights(s):
    """The stages' weights ``(b1, b3, b4, b5, b6, b7)`` in the dense output at ``t + s h``."""
    s2 = s * s
    s3 = s2 * s
    s4 = s3 * s
    return (
        P10 * s + P11 * s2 + P12 * s3 + P13 * s4,
        P31 * s2 + P32 * s3 + P33 * s4,
        P41 * s2 + P42 * s3 + P43 * s4,
        P51 * s2 + P52 * s3 + P53 * s4,
        P61 * s2 + P62 * s3 + P63 * s4,
        P71 * s2 + P72 * s3 + P73 * s4,
    )


@jit
def _dense(y, k1, k3, k4, k5, k6, k7, h, s, out):
    """The dense-output value at ``t + s h`` of the step from ``(t, y)`` with stages ``k``."""
    b1, b3, b4, b5, b6, b7 = dense_weights(s)
    for i in range(y.shape[0]):
        out[i] = y[i] + h * (
            b1 * k1[i] + b3 * k3[i] + b4 * k4[i] + b5 * k5[i] + b6 * k6[i] + b7 * k7[i]
        )


@jit
def integrate_segment(
    t0,
    t1,
    y,
    p,
    u,
    comp,
    nodes,
    work,
    rec_t,
    rec_pos,
    rec_end,
    rec_out,
    h,
    rtol,
    atol,
    max_steps,
    stats,
    ks,
):
    """Integrate ``y`` in place from ``t0`` to ``t1`` (one segment without discontinuities).

    Records the state at every ``rec_t[i]`` in ``[t0, t1]`` (``i`` from ``rec_pos`` to ``rec_end``)
    into ``rec_out[i]`` with the method's fourth-order dense output, so the steps (and therefore the
    trajectory) do not depend on which days are recorded. A record within 1e-9 day of ``t0`` or ``t1``
    is the state there.

    Returns:
        ``(h, rec_pos, status)``: the step size to try next, the next record index, the status code.
    """
    n = y.shape[0]
    k1, k2, k3, k4, k5, k6, k7, ynew, err = (
        ks[0],
        ks[1],
        ks[2],
        ks[3],
        ks[4],
        ks[5],
        ks[6],
        ks[7],
        ks[8],
    )
    eps = 1e-9 * max(1.0, abs(t1))
    while rec_pos < rec_end and rec_t[rec_pos] <= t0 + eps:
        for i in range(n):
            rec_out[rec_pos, i] = y[i]
        rec_pos += 1
    if t1 - t0 <= eps:
        return h, rec_pos, 0
    rhs(t0, y, p, u, comp, nodes, work, k1)
    stats[0] += 1
    if h <= 0.0:
        h = initial_step(t0, y, k1, p, u, comp, nodes, work, rtol, atol, t1 - t0, ynew, k2)
        stats[0] += 1
    t = t0
    err_old = 1e-4
    rejected = False
    steps = 0
    while t < t1:
        if steps >= max_steps:
            return h, rec_pos, 1
        hs = h
        last = False
        if t + hs >= t1 - eps:
            hs = t1 - t
            last = True
        if hs < 1e-12:
            return h, rec_pos, 2
        for i in range(n):
            ynew[i] = y[i] + hs * A21 * k1[i]
        rhs(t + C2 * hs, ynew, p, u, comp, nodes, work, k2)
        for i in range(n):
            ynew[i] = y[i] + hs * (A31 * k1[i] + A32 * k2[i])
        rhs(t + C3 * hs, ynew, p, u, comp, nodes, work, k3)
        for i in range(n):
            ynew[i] = y[i] + hs * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i])
        rhs(t + C4 * hs, ynew, p, u, comp, nodes, work, k4)
        for i in range(n):
            ynew[i] = y[i] + hs * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i])
        rhs(t + C5 * hs, ynew, p, u, comp, nodes, work, k5)
        for i in range(n):
            ynew[i] = y[i] + hs * (
                A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]
            )
        rhs(t + hs, ynew, p, u, comp, nodes, work, k6)
        for i in range(n):
            ynew[i] = y[i] + hs * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i])
        rhs(t + hs, ynew, p, u, comp, nodes, work, k7)
        stats[0] += 6
        steps += 1
        for i in range(n):
            err[i] = hs * (
                E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]
            )
        e = _norm(err, y, ynew, rtol, atol)
        if not math.isfinite(e):
            if hs < 1e-10:
                return h, rec_pos, 3
            h = 0.1 * hs
            rejected = True
            stats[2] += 1
            continue
        if e <= 1.0:
            fac = SAFETY * max(e, 1e-10) ** (-ALPHA) * err_old**BETA
            fac = min(FAC_MAX, max(FAC_MIN, fac))
            if rejected:
                fac = min(1.0, fac)
            t_new = t1 if last else t + hs
            # records inside the step from the dense output; at its end, the state itself
            while rec_pos < rec_end and rec_t[rec_pos] <= t_new + eps:
                if rec_t[rec_pos] >= t_new - eps:
                    for i in range(n):
                        rec_out[rec_pos, i] = ynew[i]
                else:
                    _dense(
                        y, k1, k3, k4, k5, k6, k7, hs, (rec_t[rec_pos] - t) / hs, rec_out[rec_pos]
                    )
                rec_pos += 1
            err_old = max(e, 1e-4)
            t = t_new
            for i in range(n):
                y[i] = ynew[i]
                k1[i] = k7[i]
            stats[1] += 1
            rejected = False
            # a step cut by the segment's end keeps the proposal it had when its error allows growth
            h = max(h, hs) if last and fac >= 1.0 else hs * fac
        else:
            fac = max(FAC_MIN, SAFETY * e ** (-ALPHA))
            h = hs * fac
            rejected = True
            stats[2] += 1
    return h, rec_pos, 0


def make_stage_buffers(n_state: int) -> np.ndarray:
    """Scratch for the seven stages, the trial state and the error vector."""
    return np.empty((9, n_state))
