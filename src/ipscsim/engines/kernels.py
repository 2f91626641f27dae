"""Compiled right-hand side of the ODE engine (numba): the driver around the generated network.

The biology is :mod:`ipscsim.model.network`, compiled in ``engines/network.py`` (generated); this
module feeds it: the medium's pathway inputs from the target table, the culture's own signals summed
over the cohorts (Nodal, BMP and Delta sources, occupancy, density), then ``shared``, each cohort's
``cell`` and ``cohort`` and the ``globals_``. :mod:`ipscsim.model.reference` evaluates the same
equations with numpy; ``tests/test_kernels.py`` holds the two to each other (to 1e-11).

From :data:`BLOCK_MIN_COHORTS` cohorts on, :func:`rhs` evaluates a run's cohorts in blocks of eight
(``S``) in the CPU's vector lanes: the generated cohort form (``engines/network_cohorts.py``, written
from the same text by :mod:`ipscsim.model.codegen_lanes`) loops over eight cohorts, which share the
run's parameters, medium and culture signals; the states are copied into the blocks' lane layout and
the derivatives back (the last block's spare lanes repeat the last cohort and are never read). Sums
over cohorts are still added in cohort order. With fewer cohorts, :func:`rhs_each` runs them one at
a time, which is cheaper there (measured; see :data:`BLOCK_MIN_COHORTS`).

Signature: ``rhs(t, y, p, u, comp, nodes, work, out)``. ``work`` holds :func:`work_size` floats: each
cohort's sensitivity and tempo, the parameters' reciprocals and the derived quantities (filled once per
run by :func:`prepare_work`), scratch for one evaluation and the blocks' lane buffers, so one
compilation serves every protocol and parameter set.
"""

from __future__ import annotations

import math

import numpy as np

from ..model import layout as L
from ..model.network import ENV
from ._jit import jit
from .mathfns import fexp
from .network import (
    N_DERIVED,
    N_EMIT,
    N_RATES,
    N_SHARED,
    N_SUMS,
    cell,
    cohort,
    derived,
    emit,
    globals_,
    shared,
)
from .network_cohorts import LANES, cell_cohorts, cohort_cohorts, emit_cohorts

__all__ = [
    "BLOCK_MIN_COHORTS",
    "EXPECTED_LAYOUT_HASH",
    "WORK_SCRATCH",
    "cohort_views",
    "culture_env",
    "param_arrays",
    "pathway_inputs",
    "prepare_work",
    "reciprocals",
    "rhs",
    "rhs_each",
    "work_size",
    "work_views",
]

#: The layout these kernels were written (and cached) for; see :mod:`ipscsim.model.layout`.
EXPECTED_LAYOUT_HASH = L.LAYOUT_HASH

_NP = L.N_PATHWAYS
_NENV = len(ENV)
# offsets after the 2K head (sensitivity, tempo of each cohort)
_W_IP = 0
_W_DP = _W_IP + L.N_PARAMS
_W_A = _W_DP + N_DERIVED
_W_F = _W_A + _NP
_W_Z = _W_F + _NP
_W_SH = _W_Z + _NP
_W_ENV = _W_SH + N_SHARED
_W_R = _W_ENV + _NENV
_W_E = _W_R + N_RATES
_W_S = _W_E + N_EMIT
WORK_SCRATCH = _W_S + N_SUMS
S = LANES  # cohorts per block of the right-hand side
_NC = L.N_COHORT
_CB = S * _NC  # floats of one block's state
_TAIL = S * (N_RATES + N_EMIT + N_SUMS)  # the blocks' per-cohort scratch
#: From this many cohorts on, :func:`rhs` evaluates them in blocks of ``S`` (below, one at a time).
#: Measured on maury2015 (AVX-512, idle machine), blocks against one at a time per evaluation: 0.66
#: against 0.25 us at 1 cohort, 0.68 against 0.60 at 4, 0.73 against 0.71 at 5, 0.72 against 0.83 at 6,
#: 0.76 against 1.05 at 8; at 12, along a trajectory, 1.07 against 1.51.
BLOCK_MIN_COHORTS = 6


@jit(inline="always")
def _blocks(k):
    return (k + S - 1) // S


@jit(inline="always")
def work_size(n_cohorts):
    """Scratch floats a run of ``n_cohorts`` cohorts needs (callable from Python and compiled code)."""
    nb = (n_cohorts + S - 1) // S
    return 2 * n_cohorts + WORK_SCRATCH + nb * (2 * S + 2 * _CB) + _TAIL


@jit(inline="always")
def reciprocals(p, ip):
    """``ip[i] = 1 / p[i]``: what the generated kernels multiply by instead of dividing."""
    for i in range(p.shape[0]):
        ip[i] = 1.0 / p[i] if p[i] != 0.0 else 0.0


@jit
def prepare_work(p, nodes, work):
    """Fill ``work`` with each cohort's sensitivity and tempo, the reciprocals and derived values."""
    k = nodes.shape[0]
    for i in range(k):
        work[i] = math.exp(p[L.P_sigma_sensitivity] * nodes[i, L.Z_SENS])
        work[k + i] = math.exp(p[L.P_sigma_tempo] * nodes[i, L.Z_TEMPO])
    b = 2 * k
    ip = work[b + _W_IP : b + _W_IP + L.N_PARAMS]
    reciprocals(p, ip)
    derived(p, ip, work[b + _W_DP : b + _W_DP + N_DERIVED])
    th, ph = cohort_views(work, k)[:2]
    for i in range(_blocks(k) * S):  # padding lanes repeat the last cohort
        ph[i] = work[min(i, k - 1)]
        th[i] = work[k + min(i, k - 1)]


@jit
def _fill_param_arrays(p, ip, dp):
    reciprocals(p, ip)
    derived(p, ip, dp)


def param_arrays(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The parameters' reciprocals and the derived values (``DERIVED``) of one parameter set."""
    ip = np.empty(p.shape[0])
    dp = np.empty(N_DERIVED)
    _fill_param_arrays(p, ip, dp)
    return ip, dp


@jit(inline="always")
def work_views(work, k):
    """The named parts of ``work``: ``(ip, dp, a, f, z, sh, env, r, e, s)``."""
    b = 2 * k
    return (
        work[b + _W_IP : b + _W_IP + L.N_PARAMS],
        work[b + _W_DP : b + _W_DP + N_DERIVED],
        work[b + _W_A : b + _W_A + _NP],
        work[b + _W_F : b + _W_F + _NP],
        work[b + _W_Z : b + _W_Z + _NP],
        work[b + _W_SH : b + _W_SH + N_SHARED],
        work[b + _W_ENV : b + _W_ENV + _NENV],
        work[b + _W_R : b + _W_R + N_RATES],
        work[b + _W_E : b + _W_E + N_EMIT],
        work[b + _W_S : b + _W_S + N_SUMS],
    )


@jit(inline="always")
def cohort_views(work, k):
    """The blocks' parts of ``work``: ``(tempo, sensitivity, state, derivative, r, e, s)``.

    Each in lane layout: the cohorts in blocks of ``S``, row ``i`` of lane ``l`` at ``i * S + l``.
    """
    nb = _blocks(k)
    b = 2 * k + WORK_SCRATCH
    th = work[b : b + nb * S]
    ph = work[b + nb * S : b + 2 * nb * S]
    b += 2 * nb * S
    ys = work[b : b + nb * _CB]
    os = work[b + nb * _CB : b + 2 * nb * _CB]
    b += 2 * nb * _CB
    rl = work[b : b + N_RATES * S]
    el = work[b + N_RATES * S : b + (N_RATES + N_EMIT) * S]
    sl = work[b + (N_RATES + N_EMIT) * S : b + _TAIL]
    return th, ph, ys, os, rl, el, sl


@jit(inline="always")
def pathway_inputs(t, u, comp, scale, a, f, z):
    """Fill ``a``, ``f``, ``z`` (per pathway) from the medium at day ``t``, one target row at a time.

    ``scale[j]`` multiplies compound ``j``'s concentration: the local share of the bulk concentration
    inside an aggregate; an empty ``scale`` means a well-mixed medium (every share 1). The decay uses
    :func:`.mathfns.fexp`, as the lane kernel does, so both read the same medium to the last bit.
    """
    for q in range(_NP):
        a[q] = 0.0
        f[q] = 0.0
        z[q] = 0.0
    dt_change = t - u[L.U_T_CHANGE]
    for row in range(comp.shape[0]):
        j = int(comp[row, L.T_COMPOUND])
        c0 = u[L.U_CONC + j]
        if c0 == 0.0:
            continue
        ratio = c0 * fexp(-comp[row, L.T_DECAY] * dt_change) / comp[row, L.T_POTENCY]
        if scale.shape[0] > 0:
            ratio *= scale[j]
        pw = int(comp[row, L.T_PATHWAY])
        mode = int(comp[row, L.T_MODE])
        if mode == L.MODE_AGONIST:
            a[pw] += comp[row, L.T_EFFICACY] * ratio
        elif mode == L.MODE_INHIBITOR:
            f[pw] += ratio
        else:
            z[pw] += ratio
    for q in range(_NP):
        f[q] = 1.0 / (1.0 + f[q])
        z[q] = 1.0 + z[q]


@jit(inline="always")
def culture_env(y, p, u, k, n_prog, total, src_n, src_b, src_d, env):
    """The endogenous inputs (``ENV``) from the culture's sums over its cohorts."""
    fmt = u[L.U_FORMAT]
    cap = p[L.P_capacity_suspension] if fmt > 0.5 else p[L.P_capacity_adherent]
    inv = 1.0 / total if total > 1e-300 else 0.0
    env[L.V_nodal_src] = src_n * inv
    env[L.V_bmp_src] = src_b * inv
    env[L.V_delta] = src_d / n_prog if n_prog > 1e-300 else 0.0
    env[L.V_occ] = total * u[L.U_N0] / (cap * u[L.U_AREA])
    env[L.V_density] = total * u[L.U_N0] / u[L.U_AREA]
    env[L.V_fmt] = fmt
    env[L.V_agg] = u[L.U_AGG]
    env[L.V_stress] = y[k * L.N_COHORT + L.X_STRESS]
    env[L.V_mn_hazard] = u[L.U_MN_HAZARD]
    env[L.V_cassette_nil] = u[L.U_CASSETTE_NIL]
    env[L.V_cassette_ngn2] = u[L.U_CASSETTE_NGN2]
    env[L.V_mn_deprivation] = u[L.U_MN_DEPRIVATION]


@jit(inline="always")
def _gather(y, k, ys):
    """Copy the cohorts' states into blocks of ``S`` lanes (state ``c`` of lane ``l`` at ``c * S + l``).

    A block's lanes past the last cohort repeat the last cohort, so they compute finite values; their
    results are never read.
    """
    for i in range(_blocks(k) * S):
        src = min(i, k - 1) * _NC
        dst = (i // S) * _CB + i % S
        for c in range(_NC):
            ys[dst + c * S] = y[src + c]


@jit(inline="always")
def _scatter(os, k, out):
    """Copy the blocks' derivatives back to the cohorts' rows of ``out``."""
    for i in range(k):
        src = (i // S) * _CB + i % S
        dst = i * _NC
        for c in range(_NC):
            out[dst + c] = os[src + c * S]


@jit(noalias=True)
def _rhs_blocks(
    nl, t, y, p, u, comp, k, ip, dp, a, f, z, sh, env, s, th, ph, ys, os, rl, el, sl, out
):
    """:func:`rhs` on separate buffers (``nl`` = ``S``, a literal, so every lane loop vectorises)."""
    pathway_inputs(t, u, comp, y[0:0], a, f, z)
    _gather(y, k, ys)
    n_prog = 0.0
    total = 0.0
    src_n = 0.0
    src_b = 0.0
    src_d = 0.0
    for b in range(_blocks(k)):
        emit_cohorts(nl, ys, b * _NC, p, ip, dp, a, f, z, el)
        for ln in range(min(nl, k - b * nl)):
            o = (b * nl + ln) * _NC
            pr = y[o + L.C_PROG]
            n_prog += pr
            src_n += pr * el[L.E_nodal * S + ln]
            src_b += pr * el[L.E_bmp * S + ln]
            src_d += pr * el[L.E_delta * S + ln]
            for c in range(L.N_GENES, L.COUNTS_END):
                total += y[o + c]
    culture_env(y, p, u, k, n_prog, total, src_n, src_b, src_d, env)
    shared(a, f, z, env, p, ip, dp, sh)
    for q in range(N_SUMS):
        s[q] = 0.0
    for b in range(_blocks(k)):
        for q in range(N_SUMS * S):
            sl[q] = 0.0
        o = b * _NC
        cell_cohorts(nl, ys, o, os, o, th[b * S :], ph[b * S :], a, f, z, env, sh, p, ip, dp, rl)
        cohort_cohorts(nl, ys, o, os, o, rl, sh, p, ip, dp, sl)
        for ln in range(min(nl, k - b * nl)):
            for q in range(N_SUMS):
                s[q] += sl[q * S + ln]
    _scatter(os, k, out)
    globals_(y, k * _NC, out, s, sh, p, ip, dp)


@jit
def rhs_each(t, y, p, u, comp, k, work, out):
    """:func:`rhs` one cohort at a time (the scalar functions of the generated network)."""
    ip, dp, a, f, z, sh, env, r, e, s = work_views(work, k)
    pathway_inputs(t, u, comp, work[0:0], a, f, z)
    n_prog = 0.0
    total = 0.0
    src_n = 0.0
    src_b = 0.0
    src_d = 0.0
    for i in range(k):
        o = i * _NC
        pr = y[o + L.C_PROG]
        emit(y, o, p, ip, dp, a, f, z, e)
        n_prog += pr
        src_n += pr * e[L.E_nodal]
        src_b += pr * e[L.E_bmp]
        src_d += pr * e[L.E_delta]
        for c in range(L.N_GENES, L.COUNTS_END):
            total += y[o + c]
    culture_env(y, p, u, k, n_prog, total, src_n, src_b, src_d, env)
    shared(a, f, z, env, p, ip, dp, sh)
    for q in range(N_SUMS):
        s[q] = 0.0
    for i in range(k):
        o = i * _NC
        cell(y, o, out, o, work[k + i], work[i], a, f, z, env, sh, p, ip, dp, r)
        cohort(y, o, out, o, r, sh, p, ip, dp, s)
    globals_(y, k * _NC, out, s, sh, p, ip, dp)


@jit
def rhs(t, y, p, u, comp, nodes, work, out):
    """Write the time derivative of the state ``y`` into ``out`` (see module docstring)."""
    k = nodes.shape[0]
    if k < BLOCK_MIN_COHORTS:
        rhs_each(t, y, p, u, comp, k, work, out)
        return
    ip, dp, a, f, z, sh, env, _, _, s = work_views(work, k)
    th, ph, ys, os, rl, el, sl = cohort_views(work, k)
    _rhs_blocks(
        S, t, y, p, u, comp, k, ip, dp, a, f, z, sh, env, s, th, ph, ys, os, rl, el, sl, out
    )


def make_work(n_cohorts: int) -> np.ndarray:
    """Allocate scratch space for one run."""
    return np.zeros(work_size(n_cohorts))
