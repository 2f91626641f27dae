"""The right-hand side of ``LANES`` runs at once (numba): the lane form of :mod:`.kernels`.

Every array holds the runs of one bundle side by side: value ``i`` of lane ``ln`` at ``[i * S + ln]``
(``S`` = :data:`LANES`); the state ``y`` and its derivative ``out`` have the stride ``SY`` (they are
slots of the integrator's interleaved buffers, :mod:`.lanes`). The biology is the generated lane form
of the same equations (``engines/network_lanes.py``, written by
:mod:`ipscsim.model.codegen_lanes`); this module is the driver around it, line for line the driver of
:func:`.kernels.rhs_each` with each statement looped over the lanes, so a lane computes what the
single-run kernel computes for its run
(``tests/test_lanes.py`` holds both to the numpy reference and to each other).

:func:`rhs_lanes` is compiled with ``noalias``: its arrays are separate buffers (a :class:`LaneWork`),
which lets the compiler vectorise the lane loops without runtime overlap checks.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..model import layout as L
from ..model.network import ENV
from ._jit import jit
from .kernels import prepare_work, work_size
from .mathfns import fexp
from .network import N_DERIVED, N_EMIT, N_RATES, N_SHARED, N_SUMS
from .network_lanes import (
    BUFFERS,
    LANES,
    SY,
    cell_lanes,
    cohort_lanes,
    emit_lanes,
    globals_lanes,
    shared_lanes,
)

__all__ = ["BUFFERS", "LANES", "SY", "LaneWork", "load_lane", "make_lane_work", "rhs_lanes"]

S = LANES
_NP = L.N_PATHWAYS
_NENV = len(ENV)
_N_ACC = 5  # culture sums: progenitors, all cells, Nodal, BMP and Delta sources


class LaneWork(NamedTuple):
    """The per-lane inputs and scratch of a bundle (each array in lane layout)."""

    p: np.ndarray  #: parameters
    ip: np.ndarray  #: their reciprocals
    dp: np.ndarray  #: derived values
    u: np.ndarray  #: the current segment's inputs
    theta: np.ndarray  #: each cohort's tempo
    phi: np.ndarray  #: each cohort's sensitivity
    a: np.ndarray
    f: np.ndarray
    z: np.ndarray
    env: np.ndarray
    sh: np.ndarray
    r: np.ndarray
    e: np.ndarray
    s: np.ndarray
    acc: np.ndarray


@jit
def make_lane_work(n_params, n_u, n_cohorts):
    """Allocate the work arrays of one bundle (zeros; :func:`load_lane` fills a lane)."""
    return LaneWork(
        np.zeros(n_params * S), np.zeros(n_params * S), np.zeros(N_DERIVED * S),
        np.zeros(n_u * S), np.zeros(n_cohorts * S), np.zeros(n_cohorts * S), np.zeros(_NP * S),
        np.zeros(_NP * S), np.zeros(_NP * S), np.zeros(_NENV * S), np.zeros(N_SHARED * S),
        np.zeros(N_RATES * S), np.zeros(N_EMIT * S), np.zeros(N_SUMS * S), np.zeros(_N_ACC * S),
    )  # fmt: skip


@jit
def load_lane(lw, ln, p, nodes):
    """Put parameter set ``p`` in lane ``ln``: its reciprocals, derived values and cohort factors.

    The values are those of :func:`.kernels.prepare_work` (the same function computes them).
    """
    k = nodes.shape[0]
    work = np.empty(work_size(k))
    prepare_work(p, nodes, work)
    b = 2 * k
    for i in range(p.shape[0]):
        lw.p[i * S + ln] = p[i]
        lw.ip[i * S + ln] = work[b + i]
    for i in range(N_DERIVED):
        lw.dp[i * S + ln] = work[b + p.shape[0] + i]
    for i in range(k):
        lw.phi[i * S + ln] = work[i]
        lw.theta[i * S + ln] = work[k + i]


@jit(inline="always")
def pathway_inputs_lanes(nl, t, u, comp, a, f, z):
    """:func:`.kernels.pathway_inputs` for every lane (a row no lane doses is skipped).

    The decay uses :func:`.mathfns.fexp` (within 1 ulp of ``math.exp``), so the loop vectorises.
    """
    for q in range(_NP * S):
        a[q] = 0.0
        f[q] = 0.0
        z[q] = 0.0
    tc = u[L.U_T_CHANGE * S :]
    for row in range(comp.shape[0]):
        j = int(comp[row, L.T_COMPOUND])
        c = u[(L.U_CONC + j) * S :]
        dosed = False
        for ln in range(nl):
            dosed = dosed or c[ln] != 0.0
        if not dosed:
            continue
        decay = comp[row, L.T_DECAY]
        potency = comp[row, L.T_POTENCY]
        eff = comp[row, L.T_EFFICACY]
        pw = int(comp[row, L.T_PATHWAY])
        mode = int(comp[row, L.T_MODE])
        if mode == L.MODE_AGONIST:
            ap = a[pw * S :]
            for ln in range(nl):
                ap[ln] += eff * (c[ln] * fexp(-decay * (t[ln] - tc[ln])) / potency)
        else:
            tp = f[pw * S :] if mode == L.MODE_INHIBITOR else z[pw * S :]
            for ln in range(nl):
                tp[ln] += c[ln] * fexp(-decay * (t[ln] - tc[ln])) / potency
    for q in range(_NP * S):
        f[q] = 1.0 / (1.0 + f[q])
        z[q] = 1.0 + z[q]


@jit(inline="always")
def culture_inputs_lanes(nl, y, p, u, k, e, ip, dp, a, f, z, env, acc):
    """:func:`.kernels.culture_inputs` for every lane."""
    for q in range(_N_ACC * S):
        acc[q] = 0.0
    for i in range(k):
        o = i * L.N_COHORT
        emit_lanes(nl, y, o, p, ip, dp, a, f, z, e)
        yo = y[o * SY :]
        for ln in range(nl):
            pr = yo[L.C_PROG * SY + ln]
            acc[ln] += pr
            acc[2 * S + ln] += pr * e[L.E_nodal * S + ln]
            acc[3 * S + ln] += pr * e[L.E_bmp * S + ln]
            acc[4 * S + ln] += pr * e[L.E_delta * S + ln]
            for c in range(L.N_GENES, L.COUNTS_END):
                acc[S + ln] += yo[c * SY + ln]
    gb = k * L.N_COHORT
    for ln in range(nl):
        n_prog = acc[ln]
        total = acc[S + ln]
        fmt = u[L.U_FORMAT * S + ln]
        cap = (
            p[L.P_capacity_suspension * S + ln] if fmt > 0.5 else p[L.P_capacity_adherent * S + ln]
        )
        inv = 1.0 / total if total > 1e-300 else 0.0
        n0 = u[L.U_N0 * S + ln]
        area = u[L.U_AREA * S + ln]
        env[L.V_nodal_src * S + ln] = acc[2 * S + ln] * inv
        env[L.V_bmp_src * S + ln] = acc[3 * S + ln] * inv
        env[L.V_delta * S + ln] = acc[4 * S + ln] / n_prog if n_prog > 1e-300 else 0.0
        env[L.V_occ * S + ln] = total * n0 / (cap * area)
        env[L.V_density * S + ln] = total * n0 / area
        env[L.V_fmt * S + ln] = fmt
        env[L.V_agg * S + ln] = u[L.U_AGG * S + ln]
        env[L.V_stress * S + ln] = y[(gb + L.X_STRESS) * SY + ln]
        env[L.V_mn_hazard * S + ln] = u[L.U_MN_HAZARD * S + ln]
        env[L.V_cassette_nil * S + ln] = u[L.U_CASSETTE_NIL * S + ln]
        env[L.V_cassette_ngn2 * S + ln] = u[L.U_CASSETTE_NGN2 * S + ln]
        env[L.V_mn_deprivation * S + ln] = u[L.U_MN_DEPRIVATION * S + ln]


@jit(noalias=True)
def rhs_lanes(nl, t, y, p, ip, dp, u, theta, phi, comp, a, f, z, env, sh, r, e, s, acc, out, k):
    """Write the time derivative of every lane's state into ``out`` (lane ``ln`` at day ``t[ln]``).

    Args are the fields of a :class:`LaneWork` (their buffers must not overlap), the lane times
    ``t``, states ``y`` and derivatives ``out`` (stride ``SY``: they may be slots of one buffer, never
    the same slots), the compound table and the cohort count.
    """
    pathway_inputs_lanes(nl, t, u, comp, a, f, z)
    culture_inputs_lanes(nl, y, p, u, k, e, ip, dp, a, f, z, env, acc)
    shared_lanes(nl, a, f, z, env, p, ip, dp, sh)
    for q in range(N_SUMS * S):
        s[q] = 0.0
    for i in range(k):
        o = i * L.N_COHORT
        cell_lanes(nl, y, o, out, o, theta[i * S :], phi[i * S :], a, f, z, env, sh, p, ip, dp, r)
        cohort_lanes(nl, y, o, out, o, r, sh, p, ip, dp, s)
    globals_lanes(nl, y, k * L.N_COHORT, out, s, sh, p, ip, dp)
