"""The model's compiled right-hand side as a C callback for numbalsoda (a benchmark peer only).

numbalsoda (LSODA and DOP853 in C/Fortran, called from numba) takes ``f(t, y, dy, data)`` with one
``double*`` of data: :data:`~ipscsim.engines.c_callback.rhs_cfunc`, the same
:func:`ipscsim.engines.kernels.rhs` the ODE engine integrates, with its data array from
:func:`~ipscsim.engines.c_callback.pack`. :func:`ensemble` runs many
parameter sets with numbalsoda inside a numba ``prange`` loop, as a numbalsoda user would.

Importing this module imports numbalsoda (about 3 s); only the benchmarks do.
"""

from __future__ import annotations

import numpy as np
from numbalsoda import dop853, lsoda

from ._jit import jit, prange
from .c_callback import HEAD, pack, rhs_cfunc
from .kernels import prepare_work
from .ode import apply_operation

__all__ = ["HEAD", "ensemble", "pack", "rhs_cfunc"]


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
