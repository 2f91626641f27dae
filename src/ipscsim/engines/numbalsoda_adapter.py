"""The model's compiled right-hand side as a C callback for numbalsoda (a benchmark peer only).

numbalsoda (LSODA and DOP853 in C/Fortran, called from numba) takes ``f(t, y, dy, data)`` with one
``double*`` of data. :data:`rhs_cfunc` unpacks parameters, segment inputs, compound and cohort tables and
scratch space from that array (sizes in its header, so one compilation serves every problem) and calls
the same :func:`ipscsim.engines.kernels.rhs` the ODE engine integrates. :func:`ensemble` runs many
parameter sets with numbalsoda inside a numba ``prange`` loop, as a numbalsoda user would.

Importing this module imports numbalsoda (about 3 s); only the benchmarks do.
"""

from __future__ import annotations

import numpy as np
from numba import carray, types
from numbalsoda import dop853, lsoda

from ..model import layout as L
from ._jit import cfunc, jit, prange
from .kernels import prepare_work, rhs, work_size
from .ode import apply_operation

__all__ = ["HEAD", "ensemble", "pack", "rhs_cfunc"]

HEAD = 7  # sizes (6), then the count of right-hand-side evaluations
_NT = L.N_TARGET_COLUMNS  # columns of the compound table
_SIG = types.void(
    types.double,
    types.CPointer(types.double),
    types.CPointer(types.double),
    types.CPointer(types.double),
)


@cfunc(_SIG)
def rhs_cfunc(t, y_, dy_, d_):  # pragma: no cover - called from C
    """``f(t, y, dy, data)`` for numbalsoda: the model's right-hand side."""
    head = carray(d_, (HEAD,))
    n = int(head[0])
    n_p = int(head[1])
    n_u = int(head[2])
    n_c = int(head[3])
    k = int(head[4])
    n_w = int(head[5])
    head[6] += 1.0
    d = carray(d_, (HEAD + n_p + n_u + _NT * n_c + 3 * k + n_w,))
    y = carray(y_, (n,))
    dy = carray(dy_, (n,))
    o = HEAD
    p = d[o : o + n_p]
    o += n_p
    u = d[o : o + n_u]
    o += n_u
    comp = d[o : o + _NT * n_c].reshape((n_c, _NT))
    o += _NT * n_c
    nodes = d[o : o + 3 * k].reshape((k, 3))
    o += 3 * k
    rhs(t, y, p, u, comp, nodes, d[o : o + n_w], dy)


def pack(
    p: np.ndarray, u: np.ndarray, comp: np.ndarray, nodes: np.ndarray
) -> tuple[np.ndarray, dict]:
    """The data array for :data:`rhs_cfunc`, and the offsets of its parts."""
    k = nodes.shape[0]
    n_w = work_size(k)
    head = [L.n_state(k), p.size, u.size, comp.shape[0], k, n_w, 0]
    data = np.concatenate([head, p, u, comp.ravel(), nodes.ravel(), np.zeros(n_w)]).astype(
        np.float64
    )
    off = {"p": HEAD, "u": HEAD + p.size}
    off["w"] = off["u"] + u.size + comp.size + nodes.size
    prepare_work(p, nodes, data[off["w"] :])
    return data, off


@jit(parallel=True, cache=False)  # calls numbalsoda through C pointers: not cacheable
def ensemble(
    funcptr, method, data0, p_off, u_off, w_off, ps, nodes, y0, tb, U, ops, opc, rtol, atol
):  # pragma: no cover
    """Integrate one protocol for each parameter set in ``ps`` with numbalsoda, in parallel.

    Args:
        funcptr: ``rhs_cfunc.address``.
        method: 0 LSODA, 1 DOP853.
        data0: Data array from :func:`pack` (copied per run).
        p_off: Offset of the parameters in it.
        u_off: Offset of the segment inputs.
        w_off: Offset of the scratch space.
        ps: Parameter sets ``(n_runs, n_params)``.
        nodes: Cohort table.
        y0: Initial state.
        tb: Segment boundaries.
        U: Segment inputs.
        ops: Operation codes.
        opc: Operation counts.
        rtol: Relative tolerance.
        atol: Absolute tolerance.

    Returns:
        ``(final_states, ok, nfev)``.
    """
    n_runs = ps.shape[0]
    k = nodes.shape[0]
    out = np.empty((n_runs, y0.shape[0]))
    ok = np.ones(n_runs, dtype=np.bool_)
    nfev = np.zeros(n_runs, dtype=np.int64)
    for r in prange(n_runs):
        d = data0.copy()
        d[p_off : p_off + ps.shape[1]] = ps[r]
        prepare_work(ps[r], nodes, d[w_off:])
        y = y0.copy()
        for s in range(tb.shape[0] - 1):
            apply_operation(y, ops[s], opc[s], k)
            d[u_off : u_off + U.shape[1]] = U[s]
            t_eval = np.array([tb[s], tb[s + 1]])
            if method == 0:
                usol, success = lsoda(funcptr, y, t_eval, d, rtol, atol, 500000)
            else:
                usol, success = dop853(funcptr, y, t_eval, d, rtol, atol, 500000)
            if not success:
                ok[r] = False
                break
            y = usol[1].copy()
        out[r] = y
        nfev[r] = int(d[HEAD - 1])
    return out, ok, nfev
