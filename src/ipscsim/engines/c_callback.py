"""The model's compiled right-hand side as a C callback ``f(t, y, dy, data)`` (for C/Fortran solvers).

Solvers such as numbalsoda's LSODA and DOP853 take a C function with one ``double*`` of data.
:data:`rhs_cfunc` unpacks parameters, segment inputs, compound and cohort tables and scratch space from
that array (sizes in its header, so one compilation serves every problem) and calls the same
:func:`ipscsim.engines.kernels.rhs` the ODE engine integrates; :func:`pack` builds the array. Nothing
here imports a solver, so the callback is checked against the kernel wherever numba runs
(``tests/test_benchmarking.py``); :mod:`ipscsim.engines.numbalsoda_adapter` drives it with numbalsoda.
"""

from __future__ import annotations

import numpy as np
from numba import carray, types

from ..model import layout as L
from ._jit import cfunc
from .kernels import prepare_work, rhs, work_size

__all__ = ["HEAD", "pack", "rhs_cfunc"]

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
