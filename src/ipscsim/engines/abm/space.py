"""Space for the agent-based engine: cell lists, neighbour quantities and overlap mechanics (numba).

Cells live either on an adherent *patch* (2-D, periodic in both directions: a piece of the well, so that
no cell sees an edge) or in suspension *aggregates* (3-D, each aggregate in its own region far from the
others). Neighbours are found with a cell list: cells are sorted into bins at least one interaction
range wide (a uniform periodic grid on the patch; a dense box of bins around each aggregate, so that
the empty space between aggregates costs nothing), and each cell looks only into its own and the
adjacent bins.

One pass over neighbour pairs gives, per cell: the Delta it sees (mean NGN2 of neighbouring progenitors,
the Notch input of lateral inhibition), how many cells crowd it (local contact inhibition), and a
displacement that relaxes overlaps (cells closer than a diameter push apart). The pass reads only the
positions and writes only the cell's own outputs, so it runs in parallel and its result does not depend
on the number of threads. In aggregates, :func:`cohesion` then holds each aggregate at close
packing (mechanics relaxes in minutes, a step is an hour). :func:`neighbours_bruteforce` is the
plain-numpy reference of the pass.
"""

from __future__ import annotations

import math

import numpy as np

from ...model import layout as L
from .._jit import jit, prange
from .fields import PACKING

__all__ = [
    "BLOCK",
    "REPULSION",
    "SUB",
    "build_cell_list",
    "cohesion",
    "delta_sources",
    "grid_geometry",
    "neighbour_pass",
    "neighbours_bruteforce",
    "spatial_order",
]

#: Cells per parallel block (blocks, not cells, are shared out to threads).
BLOCK = 2048
#: Bins per neighbour range: cells look ``SUB`` bins each way (half-range bins cut the candidates).
SUB = 2
#: Fraction of an overlap removed per step (each of the two cells moves half of it).
REPULSION = 0.25


@jit
def grid_geometry(pos, n, dims, box, bin_size, group, n_groups, geo):
    """Lay out the bins and return how many there are.

    Bins are ``bin_size`` wide (the neighbour range over :data:`SUB`). On a patch they are a periodic
    ``nx x ny`` grid (row-major). In aggregates each aggregate gets a dense box of bins around its
    cells with a margin of :data:`SUB` bins, so that the bins a cell looks into are always inside it:
    ``geo[g] = (x0, y0, z0, nx, ny, nz, offset)`` in bins.
    """
    if dims == 2:
        nx = max(1, int(box[0] / bin_size))
        ny = max(1, int(box[1] / bin_size))
        return nx * ny
    big = 1 << 40
    for g in range(n_groups):
        geo[g, 0] = big
        geo[g, 1] = big
        geo[g, 2] = big
        geo[g, 3] = -big
        geo[g, 4] = -big
        geo[g, 5] = -big
    for i in range(n):
        g = group[i]
        ix = int(math.floor(pos[i, 0] / bin_size))
        iy = int(math.floor(pos[i, 1] / bin_size))
        iz = int(math.floor(pos[i, 2] / bin_size))
        geo[g, 0] = min(geo[g, 0], ix)
        geo[g, 1] = min(geo[g, 1], iy)
        geo[g, 2] = min(geo[g, 2], iz)
        geo[g, 3] = max(geo[g, 3], ix)
        geo[g, 4] = max(geo[g, 4], iy)
        geo[g, 5] = max(geo[g, 5], iz)
    total = 0
    for g in range(n_groups):
        if geo[g, 3] < geo[g, 0]:  # an empty aggregate
            geo[g, 0] = 0
            geo[g, 1] = 0
            geo[g, 2] = 0
            geo[g, 3] = 0
            geo[g, 4] = 0
            geo[g, 5] = 0
        x0 = geo[g, 0] - SUB
        y0 = geo[g, 1] - SUB
        z0 = geo[g, 2] - SUB
        nxg = geo[g, 3] - x0 + 1 + SUB
        nyg = geo[g, 4] - y0 + 1 + SUB
        nzg = geo[g, 5] - z0 + 1 + SUB
        geo[g, 0] = x0
        geo[g, 1] = y0
        geo[g, 2] = z0
        geo[g, 3] = nxg
        geo[g, 4] = nyg
        geo[g, 5] = nzg
        geo[g, 6] = total
        total += nxg * nyg * nzg
    return total


@jit(parallel=True)
def _cell_keys(pos, n, dims, box, bin_size, group, geo, cell_key):
    nx = max(1, int(box[0] / bin_size))
    ny = max(1, int(box[1] / bin_size))
    for i in prange(n):
        if dims == 2:
            ix = min(int(pos[i, 0] / box[0] * nx), nx - 1)
            iy = min(int(pos[i, 1] / box[1] * ny), ny - 1)
            cell_key[i] = iy * nx + ix
        else:
            g = group[i]
            ix = int(math.floor(pos[i, 0] / bin_size)) - geo[g, 0]
            iy = int(math.floor(pos[i, 1] / bin_size)) - geo[g, 1]
            iz = int(math.floor(pos[i, 2] / bin_size)) - geo[g, 2]
            cell_key[i] = geo[g, 6] + (iz * geo[g, 4] + iy) * geo[g, 3] + ix


@jit
def _counting_sort(n, n_bins, cell_key, order, start):
    for b in range(n_bins + 1):
        start[b] = 0
    for i in range(n):
        start[cell_key[i] + 1] += 1
    for b in range(n_bins):
        start[b + 1] += start[b]
    fill = start[:n_bins].copy()
    for i in range(n):
        b = cell_key[i]
        order[fill[b]] = i
        fill[b] += 1


def build_cell_list(pos, n, dims, box, bin_size, n_bins, group, geo, cell_key, order, start):
    """Sort cells ``0..n-1`` into the bins of :func:`grid_geometry`.

    Each cell's bin is computed in parallel; the counting sort is sequential (deterministic).

    Args:
        pos: ``(cap, 3)`` positions (um).
        n: Live cells.
        dims: 2 (periodic patch ``box[0] x box[1]``) or 3 (aggregates).
        box: Patch size (2-D).
        bin_size: Bin width (um), at least the neighbour range over :data:`SUB`.
        n_bins: Bins (from :func:`grid_geometry`).
        group: Aggregate of each cell (3-D).
        geo: Aggregates' bin boxes (3-D).
        cell_key: Output: each cell's bin.
        order: Output: cell indices sorted by bin.
        start: Output ``(n_bins + 1,)``: cells of bin ``b`` are ``order[start[b]:start[b+1]]``.
    """
    _cell_keys(pos, n, dims, box, bin_size, group, geo, cell_key)
    _counting_sort(n, n_bins, cell_key, order, start)


@jit(parallel=True)
def delta_sources(n, genes, kind, src):
    """Each cell's Delta for its neighbours: NGN2 of a progenitor, -1 marks a neuron."""
    n_blocks = (n + BLOCK - 1) // BLOCK
    for blk in prange(n_blocks):
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            src[i] = max(genes[i, L.G_NGN2], 0.0) if kind[i] == 0 else -1.0


@jit(inline="always")
def _scan(k0, k1, xi, yi, zi, pos, order, src, wrap, bx, by_, rng2, d2max, diam, a):
    """Visit cells ``order[k0:k1]`` as neighbours of a cell at ``xi, yi, zi`` (itself included).

    ``a`` = (Delta sum, Delta count, cells within reach, displacement x, y, z) is returned updated.
    Counting is branch-free (the reach test is unpredictable); only overlaps branch.
    """
    s_d, n_d, n_n, mx, my, mz = a
    kr = np.float32(0.5 * REPULSION)
    one = np.float32(1.0)
    zero = np.float32(0.0)
    for k in range(k0, k1):
        j = order[k]
        dx = pos[j, 0] - xi
        dy = pos[j, 1] - yi
        dz = pos[j, 2] - zi
        if wrap:
            if dx > 0.5 * bx:
                dx -= bx
            elif dx < -0.5 * bx:
                dx += bx
            if dy > 0.5 * by_:
                dy -= by_
            elif dy < -0.5 * by_:
                dy += by_
        d2 = dx * dx + dy * dy + dz * dz
        w = one if d2 < rng2 else zero
        sj = src[j]
        ws = w if sj >= zero else zero
        n_n += w
        n_d += ws
        s_d += ws * sj
        if d2 < d2max and d2 > zero:
            d = math.sqrt(d2)
            f = -kr * (diam - d) / d
            mx += f * dx
            my += f * dy
            mz += f * dz
    return s_d, n_d, n_n, mx, my, mz


@jit(parallel=True)
def neighbour_pass(
    pos,
    n,
    dims,
    box,
    bin_size,
    group,
    geo,
    cell_key,
    order,
    start,
    src,
    diam,
    reach,
    notch,
    crowd,
    disp,
):
    """Neighbour quantities of every live cell.

    Per cell: the Delta it sees (``notch``), the cells within reach (``crowd``, itself included) and
    the mechanical displacement (``disp``). A cell looks :data:`SUB` bins each way; each row of bins
    is one contiguous run of the sorted cell list, and the engine keeps cells stored in spatial order
    (:func:`spatial_order`), so neighbours' data are close in memory.

    Args:
        pos: Positions.
        n: Live cells.
        dims: 2 or 3.
        box: Patch size (2-D).
        bin_size: Bin width of the cell list.
        group: Aggregate of each cell (3-D).
        geo: Aggregates' bin boxes (3-D, from :func:`grid_geometry`).
        cell_key: Bin of each cell.
        order: Cells sorted by bin.
        start: Bin offsets into ``order``.
        src: Delta of each cell for its neighbours (:func:`delta_sources`).
        diam: Cell diameter (um).
        reach: Neighbour range (um).
        notch: Output: mean NGN2 of progenitor neighbours (0 if none).
        crowd: Output: cells within ``reach``, the cell itself included.
        disp: Output ``(cap, 3)``: displacement for this step.
    """
    nx = max(1, int(box[0] / bin_size))
    ny = max(1, int(box[1] / bin_size))
    rng2 = np.float32(reach * reach)
    d2max = np.float32(diam * diam)
    diam32 = np.float32(diam)
    bx = np.float32(box[0])
    by_ = np.float32(box[1])
    w = SUB  # bins each way
    n_blocks = (n + BLOCK - 1) // BLOCK
    for blk in prange(n_blocks):
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            z32 = np.float32(0.0)
            acc = (z32, z32, z32, z32, z32, z32)
            xi = pos[i, 0]
            yi = pos[i, 1]
            zi = pos[i, 2]
            b0 = cell_key[i]
            if dims == 2:
                ix = b0 % nx
                iy = b0 // nx
                for ddy in range(-w, w + 1):
                    if ny <= 2 * w and ddy != 0 and (ddy > (ny - 1) // 2 or ddy < -(ny // 2)):
                        continue
                    yy = iy + ddy
                    row = (yy % ny) * nx
                    if nx > 2 * w and w <= ix < nx - w and 0 <= yy < ny:
                        acc = _scan(
                            start[row + ix - w],
                            start[row + ix + w + 1],
                            xi,
                            yi,
                            zi,
                            pos,
                            order,
                            src,
                            False,
                            bx,
                            by_,
                            rng2,
                            d2max,
                            diam32,
                            acc,
                        )
                    else:
                        for ddx in range(-w, w + 1):
                            if (
                                nx <= 2 * w
                                and ddx != 0
                                and (ddx > (nx - 1) // 2 or ddx < -(nx // 2))
                            ):
                                continue
                            b = row + (ix + ddx) % nx
                            acc = _scan(
                                start[b],
                                start[b + 1],
                                xi,
                                yi,
                                zi,
                                pos,
                                order,
                                src,
                                True,
                                bx,
                                by_,
                                rng2,
                                d2max,
                                diam32,
                                acc,
                            )
            else:
                g = group[i]
                sy = geo[g, 3]
                sz = geo[g, 3] * geo[g, 4]
                for ddz in range(-w, w + 1):
                    for ddy in range(-w, w + 1):
                        b = b0 + ddz * sz + ddy * sy
                        acc = _scan(
                            start[b - w],
                            start[b + w + 1],
                            xi,
                            yi,
                            zi,
                            pos,
                            order,
                            src,
                            False,
                            bx,
                            by_,
                            rng2,
                            d2max,
                            diam32,
                            acc,
                        )
            s_d, n_d, n_n, mx, my, mz = acc
            own = src[i]
            if own >= 0.0:  # the cell met itself once: take it out
                s_d -= own
                n_d -= 1.0
            notch[i] = s_d / n_d if n_d > 0.5 else 0.0
            crowd[i] = n_n
            disp[i, 0] = mx
            disp[i, 1] = my
            disp[i, 2] = mz


def neighbours_bruteforce(pos, dims, box, genes, kind, group, diam, reach):
    """Numpy reference of :func:`neighbour_pass` over all pairs (small populations only)."""
    n = pos.shape[0]
    d = pos[None, :, :].astype(np.float64) - pos[:, None, :].astype(np.float64)
    if dims == 2:
        d[..., 2] = 0.0
        for a in (0, 1):
            d[..., a] -= box[a] * np.round(d[..., a] / box[a])
    r2 = np.sum(d * d, axis=-1)
    other = ~np.eye(n, dtype=bool)
    if dims == 3:
        other &= group[:, None] == group[None, :]
    near = other & (r2 < reach * reach)
    prog = kind == 0
    ngn = np.maximum(genes[:, L.G_NGN2], 0.0)
    cnt = (near & prog[None, :]).sum(axis=1)
    s = (near * (prog * ngn)[None, :]).sum(axis=1)
    notch = np.where(cnt > 0, s / np.maximum(cnt, 1), 0.0)
    crowd = near.sum(axis=1) + 1.0
    dist = np.sqrt(r2)
    with np.errstate(divide="ignore", invalid="ignore"):
        coef = np.where(dist < diam, -0.5 * REPULSION * (diam - dist) / dist, 0.0)
    coef = np.where(other & (r2 > 0), coef, 0.0)
    disp = np.einsum("ij,ijk->ik", coef, d)
    return notch, crowd, disp


@jit
def cohesion(pos, n, group, n_groups, diam):
    r"""Keep each aggregate packed: scale its cells' positions about its centre to the packed radius.

    Mechanical relaxation (minutes) is much faster than a step (about an hour), so an aggregate is held
    at close packing (:data:`~ipscsim.engines.abm.fields.PACKING`): its RMS radius is set to that of a
    uniform packed sphere of its cells, :math:`\sqrt{3/5}\,R`, by a uniform dilation (growth) or
    contraction (loss) about its centre of mass; local overlaps are left to the repulsion.
    """
    centre = np.zeros((max(n_groups, 1), 3))
    count = np.zeros(max(n_groups, 1))
    r2 = np.zeros(max(n_groups, 1))
    for i in range(n):
        g = group[i]
        if g < 0:
            continue
        count[g] += 1.0
        centre[g, 0] += pos[i, 0]
        centre[g, 1] += pos[i, 1]
        centre[g, 2] += pos[i, 2]
    for g in range(n_groups):
        if count[g] > 0:
            centre[g, 0] /= count[g]
            centre[g, 1] /= count[g]
            centre[g, 2] /= count[g]
    for i in range(n):
        g = group[i]
        if g < 0:
            continue
        dx = pos[i, 0] - centre[g, 0]
        dy = pos[i, 1] - centre[g, 1]
        dz = pos[i, 2] - centre[g, 2]
        r2[g] += dx * dx + dy * dy + dz * dz
    factor = np.ones(max(n_groups, 1))
    vol = math.pi * diam**3 / 6.0
    for g in range(n_groups):
        if count[g] > 1 and r2[g] > 0:
            packed = (count[g] * vol / PACKING * 3.0 / (4.0 * math.pi)) ** (1.0 / 3.0)
            rms = math.sqrt(r2[g] / count[g])
            factor[g] = math.sqrt(0.6) * packed / rms
    for i in range(n):
        g = group[i]
        if g < 0:
            continue
        f = factor[g]
        pos[i, 0] = centre[g, 0] + (pos[i, 0] - centre[g, 0]) * f
        pos[i, 1] = centre[g, 1] + (pos[i, 1] - centre[g, 1]) * f
        pos[i, 2] = centre[g, 2] + (pos[i, 2] - centre[g, 2]) * f


def spatial_order(n: int, cell_key: np.ndarray) -> np.ndarray:
    """A permutation of the live cells into bin order (row-major; by aggregate, then z, y, x in 3-D)."""
    return np.argsort(cell_key[:n], kind="stable")
