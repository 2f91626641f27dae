r"""Diffusion and decay of a secreted factor in tissue, on a 2-D or 3-D grid.

.. math::

    \partial_t c = D \nabla^2 c - k c + s

with the 5- or 7-point Laplacian on a grid of spacing ``h`` (an axis of length 1 is absent, so a
``(nx, ny, 1)`` grid is 2-D), and at the grid's faces either a sink (``c = 0`` one cell outside: the
factor is cleared at the boundary, e.g. into cerebrospinal fluid) or no flux (``neumann=True``).

* :func:`step` / :func:`diffuse`: explicit (forward Euler) steps, stable for
  ``dt <= h^2 / (2 d D + k h^2)`` (``d`` the number of dimensions); :func:`stable_dt` gives it.
* :func:`steady_state`: the steady state ``(k - D \nabla^2) c = s`` of the same discrete operator, by
  fast sine (sink faces) or cosine (no-flux faces) transforms, in which it is diagonal (exact to
  rounding), or by conjugate gradients (scipy) on the compiled operator :func:`helmholtz` (symmetric
  positive definite for ``k > 0``), the cross-check.

The kernels take plain arrays and scalars, so one compilation serves every grid and factor. Their numpy
references (``scipy.ndimage.laplace``) are in :mod:`ipscsim.model.tissue_reference`.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit, prange

__all__ = ["diffuse", "helmholtz", "point_sources", "stable_dt", "steady_state", "step"]


@jit(inline="always")
def _neighbour_rows(c, i, j, zero, neumann):  # pragma: no cover - compiled
    """The four in-plane neighbour rows of row ``(i, j)`` (faces: zeros, or the row itself)."""
    nx, ny, _ = c.shape
    row = c[i, j]
    edge = row if neumann else zero
    xl = c[i - 1, j] if i > 0 else (row if nx == 1 else edge)
    xh = c[i + 1, j] if i < nx - 1 else (row if nx == 1 else edge)
    yl = c[i, j - 1] if j > 0 else (row if ny == 1 else edge)
    yh = c[i, j + 1] if j < ny - 1 else (row if ny == 1 else edge)
    return row, xl, xh, yl, yh


@jit(inline="always")
def _row_update(row, xl, xh, yl, yh, src, out, a, b, dt, neumann):  # pragma: no cover - compiled
    """``out = row + dt * (a * laplacian - b * row + src)`` along one row (``a = D/h^2``)."""
    nz = row.shape[0]
    if nz == 1:
        v = row[0]
        out[0] = v + dt * (a * (xl[0] + xh[0] + yl[0] + yh[0] - 4.0 * v) - b * v + src[0])
        return
    for m in range(1, nz - 1):
        v = row[m]
        lap = xl[m] + xh[m] + yl[m] + yh[m] + row[m - 1] + row[m + 1] - 6.0 * v
        out[m] = v + dt * (a * lap - b * v + src[m])
    for m in (0, nz - 1):
        v = row[m]
        lo = row[m - 1] if m > 0 else (v if neumann else 0.0)
        hi = row[m + 1] if m < nz - 1 else (v if neumann else 0.0)
        lap = xl[m] + xh[m] + yl[m] + yh[m] + lo + hi - 6.0 * v
        out[m] = v + dt * (a * lap - b * v + src[m])


@jit(parallel=True)
def step(c, out, src, d_h2, k, dt, neumann):  # pragma: no cover - compiled
    """One explicit step of ``c`` into ``out`` (3-D arrays; ``d_h2 = D / h^2``)."""
    nx, ny, nz = c.shape
    zero = np.zeros(nz)
    for ij in prange(nx * ny):
        i, j = ij // ny, ij % ny
        row, xl, xh, yl, yh = _neighbour_rows(c, i, j, zero, neumann)
        _row_update(row, xl, xh, yl, yh, src[i, j], out[i, j], d_h2, k, dt, neumann)


@jit(parallel=True)
def _diffuse(c, src, d_h2, k, dt, n_steps, neumann):  # pragma: no cover - compiled
    nx, ny, nz = c.shape
    a = c.copy()
    b = np.empty_like(c)
    zero = np.zeros(nz)
    for _ in range(n_steps):
        for ij in prange(nx * ny):
            i, j = ij // ny, ij % ny
            row, xl, xh, yl, yh = _neighbour_rows(a, i, j, zero, neumann)
            _row_update(row, xl, xh, yl, yh, src[i, j], b[i, j], d_h2, k, dt, neumann)
        a, b = b, a
    return a


@jit(parallel=True)
def helmholtz(c, out, d_h2, k, neumann):  # pragma: no cover - compiled
    """``out = k c - D laplacian(c)`` (``d_h2 = D / h^2``), the steady-state operator.

    Computed as one explicit step of unit length with no source: ``c - step(c) = k c - D lap c``.
    """
    nx, ny, nz = c.shape
    zero = np.zeros(nz)
    zsrc = np.zeros(nz)
    for ij in prange(nx * ny):
        i, j = ij // ny, ij % ny
        row, xl, xh, yl, yh = _neighbour_rows(c, i, j, zero, neumann)
        o = out[i, j]
        _row_update(row, xl, xh, yl, yh, zsrc, o, d_h2, k, 1.0, neumann)
        for m in range(nz):
            o[m] = row[m] - o[m]


def _as3d(a: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3:
        raise ValueError(f"{name}: a 2-D or 3-D grid is needed, not shape {a.shape}")
    return np.ascontiguousarray(a)


def point_sources(
    shape: tuple[int, ...], h: float, positions: np.ndarray, rates: np.ndarray
) -> np.ndarray:
    """A source grid from point sources (cells or graft sites): each adds ``rate / h^d`` to its cell.

    Args:
        shape: Grid shape (2-D or 3-D); the grid's corner is at the origin.
        h: Grid spacing.
        positions: ``(n, d)`` positions, in the units of ``h``.
        rates: ``(n,)`` production per unit time of each source.

    Raises:
        ValueError: for a source outside the grid.
    """
    pos = np.atleast_2d(np.asarray(positions, dtype=np.float64))
    rates = np.broadcast_to(np.asarray(rates, dtype=np.float64), (pos.shape[0],))
    d = len(shape)
    if pos.shape[1] != d:
        raise ValueError(f"positions: {pos.shape[1]} coordinates for a {d}-D grid")
    idx = np.floor(pos / h).astype(np.int64)
    if (idx < 0).any() or (idx >= np.array(shape)).any():
        raise ValueError("positions: a source lies outside the grid")
    out = np.zeros(shape)
    np.add.at(out, tuple(idx.T), rates / h**d)
    return out


def stable_dt(shape: tuple[int, ...], diffusion: float, decay: float, h: float) -> float:
    """Largest stable explicit step for a grid of this shape."""
    dims = sum(1 for n in shape if n > 1)
    return h * h / (2.0 * dims * diffusion + decay * h * h)


def diffuse(
    c0: np.ndarray,
    source: np.ndarray,
    diffusion: float,
    decay: float,
    h: float,
    dt: float,
    n_steps: int,
    neumann: bool = False,
) -> np.ndarray:
    """Advance ``c0`` by ``n_steps`` explicit steps (2-D or 3-D arrays; returns a new array).

    Args:
        c0: Initial concentration.
        source: Production per unit volume per unit time, same shape.
        diffusion: ``D`` (length^2 per time, in the units of ``h`` and ``dt``).
        decay: ``k`` (per time).
        h: Grid spacing.
        dt: Step; must not exceed :func:`stable_dt`.
        n_steps: Steps.
        neumann: No-flux faces (default: sink faces).

    Raises:
        ValueError: if ``dt`` is unstable or the shapes differ.
    """
    c = _as3d(c0, "c0")
    s = _as3d(source, "source")
    if s.shape != c.shape:
        raise ValueError(f"source: shape {s.shape} differs from c0's {c.shape}")
    limit = stable_dt(c.shape, diffusion, decay, h)
    if not 0 < dt <= limit * (1 + 1e-12):
        raise ValueError(
            f"dt: {dt!r} is above the explicit stability limit {limit:.4g}; use "
            "ipscsim.engines.tissue.stable_dt(...) or steady_state()"
        )
    out = _diffuse(c, s, diffusion / (h * h), float(decay), float(dt), int(n_steps), bool(neumann))
    return out.reshape(np.shape(c0))


def _spectral_solve(s: np.ndarray, d_h2: float, decay: float, neumann: bool) -> np.ndarray:
    """``(k - D laplacian) c = s`` exactly, in the grid Laplacian's eigenbasis.

    With sink faces (zero one cell outside) the 3- or 5- or 7-point Laplacian is diagonalised by the
    type-I discrete sine transform, with no-flux faces by the type-II cosine transform; eigenvalues
    ``-4 sin^2(pi (p+1) / (2 (n+1)))`` and ``-4 sin^2(pi p / (2 n))`` (in units of ``1/h^2``). An
    axis of length 1 is absent, as in the compiled operator.
    """
    from scipy import fft

    axes = [a for a in range(3) if s.shape[a] > 1]
    lam = np.full([s.shape[a] if a in axes else 1 for a in range(3)], float(decay))
    for a in axes:
        n, p = s.shape[a], np.arange(s.shape[a], dtype=np.float64)
        w = np.sin(np.pi * p / (2 * n)) if neumann else np.sin(np.pi * (p + 1) / (2 * (n + 1)))
        shape = [1, 1, 1]
        shape[a] = n
        lam = lam + d_h2 * 4.0 * (w * w).reshape(shape)
    if not axes:
        return s / lam
    if neumann:
        return fft.idctn(fft.dctn(s, type=2, axes=axes, norm="ortho") / lam, type=2, axes=axes,
                         norm="ortho")  # fmt: skip
    return fft.idstn(fft.dstn(s, type=1, axes=axes, norm="ortho") / lam, type=1, axes=axes,
                     norm="ortho")  # fmt: skip


def steady_state(
    source: np.ndarray,
    diffusion: float,
    decay: float,
    h: float,
    neumann: bool = False,
    rtol: float = 1e-10,
    maxiter: int | None = None,
    method: str = "spectral",
) -> np.ndarray:
    """The steady state ``(k - D laplacian) c = s`` of the grid's operator.

    Args:
        source: Production per unit volume per unit time (2-D or 3-D).
        diffusion: ``D``.
        decay: ``k`` (> 0).
        h: Grid spacing.
        neumann: No-flux faces (default: sink faces).
        rtol: Relative residual of the conjugate-gradient solve.
        maxiter: Its iteration cap (default 20 x the largest grid dimension + 200).
        method: ``"spectral"`` (default: exact to rounding, by fast sine or cosine transforms of the
            same discrete operator; milliseconds) or ``"cg"`` (conjugate gradients on the compiled
            operator :func:`helmholtz`, the cross-check).

    Raises:
        ValueError: for ``decay <= 0``, an unknown method, or a solve that does not converge.
    """
    from scipy.sparse.linalg import LinearOperator, cg

    if not decay > 0:
        raise ValueError(f"decay: {decay!r} must be > 0 for a steady state to exist")
    if method not in ("spectral", "cg"):
        raise ValueError(f"method: {method!r} must be 'spectral' or 'cg'")
    s = _as3d(source, "source")
    shape = s.shape
    n = s.size
    d_h2 = diffusion / (h * h)
    if method == "spectral":
        return _spectral_solve(s, d_h2, float(decay), bool(neumann)).reshape(np.shape(source))
    out = np.empty(shape)

    def matvec(x: np.ndarray) -> np.ndarray:
        helmholtz(np.ascontiguousarray(x.reshape(shape)), out, d_h2, float(decay), bool(neumann))
        return out.ravel().copy()

    # Jacobi preconditioner: the diagonal is uniform except at no-flux faces; uniform is enough
    diag = decay + 2.0 * d_h2 * sum(1 for m in shape if m > 1)
    op = LinearOperator((n, n), matvec=matvec, dtype=np.float64)
    pre = LinearOperator((n, n), matvec=lambda x: x / diag, dtype=np.float64)
    cap = maxiter or 20 * max(shape) + 200
    x, info = cg(op, s.ravel(), rtol=rtol, atol=0.0, maxiter=cap, M=pre)
    if info != 0:
        raise ValueError(f"steady_state: conjugate gradients did not converge in {cap} iterations")
    if math.isnan(float(x[0])):  # pragma: no cover
        raise ValueError("steady_state: NaN in the solution")
    return x.reshape(np.shape(source))
