r"""Fields of the agent-based engine: what cells secrete and what they take up, on grids.

Diffusion across a cell neighbourhood takes minutes (:math:`L^2/D` with :math:`L \sim 100` um and
:math:`D \sim 10`-:math:`500` um²/s), a step takes about an hour, so every field is solved at its
quasi-steady state each step (implicit, unconditionally stable):

* **Compounds inside an aggregate.** A compound with a finite decay length :math:`\lambda` in packed
  tissue (protein ligands, bound and internalised by the cells) obeys, in a spherical aggregate of radius
  :math:`R` bathed in stirred medium,

  .. math:: \frac{1}{r^2}\frac{d}{dr}\Big(r^2 \frac{dc}{dr}\Big) = \frac{n(r)}{n_p\,\lambda^2}\,c,
     \qquad c(R) = c_\mathrm{bulk}, \quad c'(0) = 0,

  with :math:`n(r)` the local cell density (from the cells) and :math:`n_p` that of close packing.
  :func:`radial_profile` solves it by finite volumes on spherical shells (a tridiagonal system); for a
  uniform aggregate the exact solution is :math:`c/c_\mathrm{bulk} = (R/r)\sinh(r/\lambda)/\sinh(R/\lambda)`,
  which the tests hold it to. Small molecules (no decay length) reach the core at the bulk concentration.

* **Endogenous Nodal and BMP on an adherent patch.** Cells secrete; the signal spreads with decay
  length :math:`\ell` (``paracrine_length``): :math:`(1 - \ell^2\nabla^2) F = S`, so a uniform source
  gives :math:`F = S` (the ODE engine's mean field) and a colony makes a local maximum.
  :func:`screened_poisson_2d` solves it on the periodic patch by FFT (exact for the discrete Laplacian).
  Sources are spread onto the grid and read back by cloud-in-cell weights (:func:`deposit_2d`,
  :func:`sample_2d`).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

from .._jit import jit, prange

__all__ = [
    "PACKING",
    "cic_cell",
    "cic_sample",
    "cic_sample_pair",
    "deposit_2d",
    "radial_profile",
    "radial_profile_np",
    "sample_2d",
    "screened_poisson_2d",
    "sphere_exact",
]

#: Volume fraction of cells in a packed aggregate (random close packing of spheres).
PACKING = 0.64


@jit
def radial_profile(counts, width, radius, decay_length, cell_volume, out):
    r"""Quasi-steady concentration (share of bulk) on spherical shells of one aggregate.

    Args:
        counts: Cells in each shell ``[i * width, (i + 1) * width)`` (float array).
        width: Shell width (um).
        radius: Aggregate radius (um): the bulk concentration holds there.
        decay_length: :math:`\lambda` in packed tissue (um); ``inf`` means no uptake.
        cell_volume: Volume of one cell (um^3), so that ``counts * cell_volume / shell volume`` is the
            local packing fraction.
        out: Output: concentration / bulk at each shell's centre.
    """
    nb = out.shape[0]
    if not math.isfinite(decay_length) or decay_length <= 0.0:
        for i in range(nb):
            out[i] = 1.0
        return
    lower = np.zeros(nb)
    diag = np.zeros(nb)
    upper = np.zeros(nb)
    rhs = np.zeros(nb)
    inv_l2 = 1.0 / (decay_length * decay_length)
    for i in range(nb):
        r0 = i * width
        r1 = min((i + 1) * width, radius)
        vol = 4.0 / 3.0 * math.pi * (r1**3 - r0**3)
        frac = counts[i] * cell_volume / vol / PACKING if vol > 0.0 else 0.0
        kappa = frac * inv_l2
        c_in = 4.0 * math.pi * r0 * r0 / width  # conductance to the inner shell (centre spacing)
        diag[i] = kappa * vol
        if i > 0:
            lower[i] = -c_in
            diag[i] += c_in
        if i < nb - 1:
            c_out = 4.0 * math.pi * r1 * r1 / width
            upper[i] = -c_out
            diag[i] += c_out
        else:
            # the outer face at the aggregate's surface, half a shell from this centre
            gap = radius - (r0 + 0.5 * (r1 - r0))
            c_out = 4.0 * math.pi * radius * radius / max(gap, 1e-9)
            diag[i] += c_out
            rhs[i] = c_out  # times c_bulk = 1
    # Thomas algorithm
    for i in range(1, nb):
        w = lower[i] / diag[i - 1]
        diag[i] -= w * upper[i - 1]
        rhs[i] -= w * rhs[i - 1]
    out[nb - 1] = rhs[nb - 1] / diag[nb - 1]
    for i in range(nb - 2, -1, -1):
        out[i] = (rhs[i] - upper[i] * out[i + 1]) / diag[i]


def radial_profile_np(counts, width, radius, decay_length, cell_volume):
    """numpy/scipy reference of :func:`radial_profile` (dense solve of the same finite-volume system)."""
    from scipy.linalg import solve_banded

    nb = len(counts)
    if not np.isfinite(decay_length):
        return np.ones(nb)
    r0 = np.arange(nb) * width
    r1 = np.minimum(r0 + width, radius)
    vol = 4.0 / 3.0 * np.pi * (r1**3 - r0**3)
    kappa = np.asarray(counts, dtype=float) * cell_volume / vol / PACKING / decay_length**2
    c_in = 4.0 * np.pi * r0**2 / width
    c_out = 4.0 * np.pi * r1**2 / width
    gap = radius - (r0[-1] + 0.5 * (r1[-1] - r0[-1]))
    c_out[-1] = 4.0 * np.pi * radius**2 / gap
    diag = kappa * vol + c_out + np.where(np.arange(nb) > 0, c_in, 0.0)
    ab = np.zeros((3, nb))
    ab[0, 1:] = -c_out[:-1]
    ab[1] = diag
    ab[2, :-1] = -c_in[1:]
    rhs = np.zeros(nb)
    rhs[-1] = c_out[-1]
    return solve_banded((1, 1), ab, rhs)


def sphere_exact(r, radius, decay_length):
    """Exact share of bulk in a uniform packed sphere: (R/r) sinh(r/l) / sinh(R/l)."""
    r = np.asarray(r, dtype=float)
    x = radius / decay_length
    with np.errstate(invalid="ignore", divide="ignore"):
        val = (radius / r) * np.sinh(r / decay_length) / np.sinh(x)
    return np.where(r > 0, val, x / np.sinh(x))


@jit(inline="always")
def cic_cell(x, y, inv_hx, inv_hy, nx, ny):  # pragma: no cover - compiled
    """Cloud-in-cell: the four periodic grid nodes around ``(x, y)`` and the weights' fractions.

    ``inv_hx, inv_hy`` are the grid's nodes per um (the reciprocal spacings: a product, not a division,
    on the hot path).

    ``(x, y)`` must lie in the patch, ``[0, box]`` (cells are kept there: ``x0`` is then in ``[-1, nx)``),
    so the periodic wrap is a comparison (this sits on the step's hot path).

    Returns ``(x0, y0, x1, y1, fx, fy)``: node ``(y0, x0)`` has weight ``(1 - fx)(1 - fy)``.
    """
    gx = x * inv_hx - 0.5
    gy = y * inv_hy - 0.5
    x0 = int(gx + 1.0) - 1  # floor, for gx >= -0.5
    y0 = int(gy + 1.0) - 1
    fx = gx - x0
    fy = gy - y0
    x1 = x0 + 1
    y1 = y0 + 1
    if x0 < 0:
        x0 += nx
    if y0 < 0:
        y0 += ny
    if x1 >= nx:
        x1 -= nx
    if y1 >= ny:
        y1 -= ny
    return x0, y0, x1, y1, fx, fy


@jit
def deposit_2d(pos, values, n, box, grid):
    """Spread ``values[i]`` of cells at ``pos[i]`` onto a periodic grid (cloud in cell); density per um²."""
    ny, nx = grid.shape
    hx = box[0] / nx
    hy = box[1] / ny
    inv_area = 1.0 / (hx * hy)
    for b in range(ny):
        for a in range(nx):
            grid[b, a] = 0.0
    for i in range(n):
        v = values[i]
        if v == 0.0:
            continue
        x0, y0, x1, y1, fx, fy = cic_cell(pos[i, 0], pos[i, 1], 1.0 / hx, 1.0 / hy, nx, ny)
        grid[y0, x0] += v * (1.0 - fx) * (1.0 - fy) * inv_area
        grid[y0, x1] += v * fx * (1.0 - fy) * inv_area
        grid[y1, x0] += v * (1.0 - fx) * fy * inv_area
        grid[y1, x1] += v * fx * fy * inv_area


@jit(inline="always")
def cic_sample(grid, x, y, inv_hx, inv_hy):  # pragma: no cover - compiled
    """A periodic grid of ``inv_hx, inv_hy`` nodes per um read at ``(x, y)`` (cloud in cell)."""
    ny, nx = grid.shape
    x0, y0, x1, y1, fx, fy = cic_cell(x, y, inv_hx, inv_hy, nx, ny)
    return (
        grid[y0, x0] * (1.0 - fx) * (1.0 - fy)
        + grid[y0, x1] * fx * (1.0 - fy)
        + grid[y1, x0] * (1.0 - fx) * fy
        + grid[y1, x1] * fx * fy
    )


@jit(inline="always")
def cic_sample_pair(grid, x, y, inv_hx, inv_hy):  # pragma: no cover - compiled
    """Two fields stored together (``grid[iy, ix, 0:2]``) read at ``(x, y)`` (cloud in cell).

    The weights of :func:`cic_sample`; both fields come from the same cache lines.
    """
    x0, y0, x1, y1, fx, fy = cic_cell(x, y, inv_hx, inv_hy, grid.shape[1], grid.shape[0])
    w00 = (1.0 - fx) * (1.0 - fy)
    w01 = fx * (1.0 - fy)
    w10 = (1.0 - fx) * fy
    w11 = fx * fy
    a = (
        grid[y0, x0, 0] * w00
        + grid[y0, x1, 0] * w01
        + grid[y1, x0, 0] * w10
        + grid[y1, x1, 0] * w11
    )
    b = (
        grid[y0, x0, 1] * w00
        + grid[y0, x1, 1] * w01
        + grid[y1, x0, 1] * w10
        + grid[y1, x1, 1] * w11
    )
    return a, b


@jit(parallel=True)
def sample_2d(grid, pos, n, box, out):
    """Read a periodic grid at cell positions (cloud in cell, the transpose of :func:`deposit_2d`)."""
    ny, nx = grid.shape
    inv_hx = nx / box[0]
    inv_hy = ny / box[1]
    for i in prange(n):
        out[i] = cic_sample(grid, pos[i, 0], pos[i, 1], inv_hx, inv_hy)


def screened_poisson_2d(source: np.ndarray, box, length: float, workers: int = 1) -> np.ndarray:
    """Solve ``(1 - length**2 * Laplacian) F = source`` on a periodic grid (exact, by FFT).

    ``workers`` threads run the transforms (scipy.fft); grids whose sides
    :func:`scipy.fft.next_fast_len` accepts are the fast ones.
    """
    ny, nx = source.shape
    hx, hy = box[0] / nx, box[1] / ny
    kx = (2.0 - 2.0 * np.cos(2.0 * np.pi * np.fft.rfftfreq(nx))) / hx**2
    ky = (2.0 - 2.0 * np.cos(2.0 * np.pi * np.fft.fftfreq(ny))) / hy**2
    denom = 1.0 + length**2 * (ky[:, None] + kx[None, :])
    spectrum = scipy.fft.rfft2(source, workers=workers) / denom
    return scipy.fft.irfft2(spectrum, s=source.shape, workers=workers)
