"""Compiled right-hand side of the ODE engine (numba): the driver around the generated network.

The biology is :mod:`ipscsim.model.network`, compiled in ``engines/network.py`` (generated); this
module feeds it: the medium's pathway inputs from the target table, the culture's own signals summed
over the cohorts (Nodal, BMP and Delta sources, occupancy, density), then ``shared``, each cohort's
``cell`` and ``cohort`` and the ``globals_``. :mod:`ipscsim.model.reference` evaluates the same
equations with numpy; ``tests/test_kernels.py`` holds the two to each other (to 1e-11).

Signature: ``rhs(t, y, p, u, comp, nodes, work, out)``. ``work`` holds :func:`work_size` floats: each
cohort's sensitivity and tempo, the parameters' reciprocals and the derived quantities (filled once per
run by :func:`prepare_work`), and scratch for one evaluation, so one compilation serves every protocol and
parameter set.
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

__all__ = [
    "EXPECTED_LAYOUT_HASH",
    "WORK_SCRATCH",
    "param_arrays",
    "pathway_inputs",
    "prepare_work",
    "reciprocals",
    "rhs",
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


def work_size(n_cohorts: int) -> int:
    """Scratch floats a run needs."""
    return 2 * n_cohorts + WORK_SCRATCH


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
def culture_inputs(y, p, u, k, e, ip, dp, a, f, z, env):
    """The endogenous inputs (``ENV``) of the ODE engine: the culture's signals summed over cohorts."""
    n_prog = 0.0
    total = 0.0
    src_n = 0.0
    src_b = 0.0
    src_d = 0.0
    for i in range(k):
        o = i * L.N_COHORT
        pr = y[o + L.C_PROG]
        emit(y, o, p, ip, dp, a, f, z, e)
        n_prog += pr
        src_n += pr * e[L.E_nodal]
        src_b += pr * e[L.E_bmp]
        src_d += pr * e[L.E_delta]
        for c in range(L.N_GENES, L.N_COHORT):
            total += y[o + c]
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


@jit
def rhs(t, y, p, u, comp, nodes, work, out):
    """Write the time derivative of the state ``y`` into ``out`` (see module docstring)."""
    k = nodes.shape[0]
    ip, dp, a, f, z, sh, env, r, e, s = work_views(work, k)
    pathway_inputs(t, u, comp, work[0:0], a, f, z)
    culture_inputs(y, p, u, k, e, ip, dp, a, f, z, env)
    shared(a, f, z, env, p, ip, dp, sh)
    for q in range(N_SUMS):
        s[q] = 0.0
    for i in range(k):
        o = i * L.N_COHORT
        cell(y, o, out, o, work[k + i], work[i], a, f, z, env, sh, p, ip, dp, r)
        cohort(y, o, out, o, r, sh, p, ip, dp, s)
    globals_(y, k * L.N_COHORT, out, s, sh, p, ip, dp)


def make_work(n_cohorts: int) -> np.ndarray:
    """Allocate scratch space for one run."""
    return np.zeros(work_size(n_cohorts))
