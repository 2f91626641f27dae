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
from .._jit import FASTMATH_SUMS, jit, prange
from ..network import N_EMIT
from .blocks import BIN_BLOCK, reduction_blocks
from .fields import PACKING
from .readouts import add_sums, cell_sums, finish_sums, sum_partials

__all__ = [
    "REPULSION",
    "SUB",
    "build_cell_list",
    "cohesion",
    "grid_geometry",
    "local_occupancy",
    "local_occupancy_reference",
    "neighbour_pass",
    "neighbours_bruteforce",
    "sorted_copies",
]

#: Margin of an aggregate's bin box, in bins. Bins are one neighbour range wide and the pass looks one
#: bin each way (its candidate list holds ``3**dims`` bins), so this margin must stay 1.
SUB = 1
#: Fraction of an overlap removed per step (each of the two cells moves half of it).
REPULSION = 0.25
#: How the cells within reach saturate with the local density in a sheet that the repulsion relaxes.
#: Placed at random, a cell has ``A * occ`` others within reach at occupancy ``occ`` (``A``: the cells
#: a disc of the reach holds at the adherent capacity, 8.14 at the default 12 um diameter and 1.5
#: diameters' reach); packed, fewer, because the repulsion keeps the next shell out. The count
#: follows ``m = A occ / (1 + a occ)``, ``a`` fitted by least squares at occupancies 0.05-1.0 to
#: 2,000 cells placed at random and relaxed for 60 steps (2026-12-07): measured (form) 3.09 (2.98)
#: at 0.4, 5.57 (5.50) at 0.8, 6.56 (6.62) at capacity. Measured at the default geometry only.
CROWD_SATURATION = 0.23


@jit(parallel=True)
def grid_geometry(pos, n, dims, box, bin_size, group, n_groups, geo):
    """Lay out the bins and return how many there are.

    Bins are ``bin_size`` wide (the neighbour range). On a patch they are a periodic ``nx x ny`` grid
    (row-major). In aggregates each aggregate gets a dense box of bins around its cells with a margin
    of :data:`SUB` bins, so that the bins a cell looks into are always inside it:
    ``geo[g] = (x0, y0, z0, nx, ny, nz, offset)`` in bins. The aggregates' extents are found block by
    block in parallel.
    """
    if dims == 2:
        nx = max(1, int(box[0] / bin_size))
        ny = max(1, int(box[1] / bin_size))
        return nx * ny
    big = 1 << 40
    chunk, n_blocks = reduction_blocks(n)
    part = np.empty((n_blocks, max(n_groups, 1), 6), dtype=np.int64)
    for blk in prange(n_blocks):
        for g in range(n_groups):
            for a in range(3):
                part[blk, g, a] = big
                part[blk, g, 3 + a] = -big
        for i in range(blk * chunk, min(n, (blk + 1) * chunk)):
            g = group[i]
            for a in range(3):
                ia = int(math.floor(pos[i, a] / bin_size))
                part[blk, g, a] = min(part[blk, g, a], ia)
                part[blk, g, 3 + a] = max(part[blk, g, 3 + a], ia)
    for g in range(n_groups):
        for a in range(3):
            geo[g, a] = big
            geo[g, 3 + a] = -big
        for blk in range(n_blocks):
            for a in range(3):
                geo[g, a] = min(geo[g, a], part[blk, g, a])
                geo[g, 3 + a] = max(geo[g, 3 + a], part[blk, g, 3 + a])
    total = 0
    for g in range(n_groups):
        if geo[g, 3] < geo[g, 0]:  # an empty aggregate
            for a in range(6):
                geo[g, a] = 0
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
    """Stable counting sort of cells by bin; returns the most cells in one bin."""
    for b in range(n_bins + 1):
        start[b] = 0
    for i in range(n):
        start[cell_key[i]] += 1
    most = 0
    end = 0
    for b in range(n_bins):  # start[b] := the end of bin b ...
        most = max(most, start[b])
        end += start[b]
        start[b] = end
    start[n_bins] = n
    for i in range(n - 1, -1, -1):  # ... walked back to its beginning, last cell first (stable)
        b = cell_key[i]
        start[b] -= 1
        order[start[b]] = i
    return most


def build_cell_list(pos, n, dims, box, bin_size, n_bins, group, geo, cell_key, order, start):
    """Sort cells ``0..n-1`` into the bins of :func:`grid_geometry`.

    Each cell's bin is computed in parallel; the counting sort is sequential (deterministic and
    stable: within a bin, cells keep their storage order).

    Args:
        pos: ``(cap, 3)`` positions (um).
        n: Live cells.
        dims: 2 (periodic patch ``box[0] x box[1]``) or 3 (aggregates).
        box: Patch size (2-D).
        bin_size: Bin width (um), at least the neighbour range.
        n_bins: Bins (from :func:`grid_geometry`).
        group: Aggregate of each cell (3-D).
        geo: Aggregates' bin boxes (3-D).
        cell_key: Output: each cell's bin.
        order: Output: cell indices sorted by bin.
        start: Output ``(n_bins + 1,)``: cells of bin ``b`` are ``order[start[b]:start[b+1]]``.

    Returns:
        The most cells in one bin.
    """
    _cell_keys(pos, n, dims, box, bin_size, group, geo, cell_key)
    return int(_counting_sort(n, n_bins, cell_key, order, start))


@jit(parallel=True)
def sorted_copies(
    n, order, pos, genes, kind, group, p, ip, dp, afz, n_groups, sx, sy, sz, src, sums, gsums
):
    """Positions and Delta sources of the cells in bin order, and the population sums, in one pass.

    ``sx, sy, sz, src`` receive, for the ``k``-th cell of the cell list, its position and its Delta for
    its neighbours (a progenitor's NGN2; -1 marks a neuron): contiguous for the neighbour pass.
    ``sums`` and ``gsums`` receive what :func:`~ipscsim.engines.abm.readouts.population_sums` gives (the
    same gene levels are read here anyway); ``afz`` holds the medium's pathway inputs, which the cells'
    emissions may read.
    """
    chunk, n_blocks, part, gpart = sum_partials(n, n_groups)
    for blk in prange(n_blocks):
        e = np.empty(N_EMIT)
        for k in range(blk * chunk, min(n, (blk + 1) * chunk)):
            j = order[k]
            sx[k] = pos[j, 0]
            sy[k] = pos[j, 1]
            sz[k] = pos[j, 2]
            prog, nodal, bmp, delta = cell_sums(genes, j, kind[j], p, ip, dp, afz, e)
            src[k] = delta if prog > 0.0 else -1.0
            add_sums(part, gpart, blk, group[j], n_groups, prog, nodal, bmp, delta)
    finish_sums(part, gpart, n_groups, sums, gsums)


@jit(inline="always", fastmath=FASTMATH_SUMS)
def _append(buf, m, k0, k1, sx, sy, sz, src, ox, oy):
    """Copy the sorted cells ``k0:k1`` (shifted by ``ox, oy``) to the candidates ``buf[:, m:]``."""
    ln = k1 - k0
    if ln <= 0:
        return m
    ax = sx[k0:k1]
    ay = sy[k0:k1]
    az = sz[k0:k1]
    asrc = src[k0:k1]
    b0 = buf[0, m : m + ln]
    b1 = buf[1, m : m + ln]
    b2 = buf[2, m : m + ln]
    b3 = buf[3, m : m + ln]
    for q in range(ln):
        b0[q] = ax[q] + ox
        b1[q] = ay[q] + oy
        b2[q] = az[q]
        b3[q] = asrc[q]
    return m + ln


@jit(parallel=True, fastmath=FASTMATH_SUMS)
def neighbour_pass(
    n_bins,
    dims,
    box,
    nx,
    ny,
    geo,
    group,
    order,
    start,
    most,
    sx,
    sy,
    sz,
    src,
    diam,
    reach,
    notch,
    crowd,
    disp,
):
    """Neighbour quantities of every live cell.

    Per cell: the Delta it sees (``notch``), the cells within reach (``crowd``, itself included) and
    the mechanical displacement (``disp``). Bins are one neighbour range wide, so a cell's neighbours
    are in its own and the adjacent bins. The pass goes bin by bin: the cells of the ``3**dims`` bins
    around a bin are copied once into a contiguous candidate list (shifted across the patch's
    periodic edges), which every cell of the bin then scans in one vectorised loop (branch-free:
    the reach and overlap tests are selects; the sums are reassociated into vector lanes, which depends
    on the data's layout only, never on the threads).

    Args:
        n_bins: Bins (from :func:`grid_geometry`).
        dims: 2 or 3.
        box: Patch size (2-D).
        nx: Bins along x on the patch (2-D).
        ny: Bins along y on the patch (2-D).
        geo: Aggregates' bin boxes (3-D, from :func:`grid_geometry`).
        group: Aggregate of each cell (3-D).
        order: Cells sorted by bin.
        start: Bin offsets into ``order``.
        most: The most cells in one bin (sizes the candidate list).
        sx: x of the cells in bin order (:func:`sorted_copies`).
        sy: y in bin order.
        sz: z in bin order.
        src: Delta source in bin order.
        diam: Cell diameter (um).
        reach: Neighbour range (um).
        notch: Output: mean NGN2 of progenitor neighbours (0 if none).
        crowd: Output: cells within ``reach``, the cell itself included.
        disp: Output ``(cap, 3)``: displacement for this step.
    """
    rng2 = np.float32(reach * reach)
    d2max = np.float32(diam * diam)
    dm = np.float32(diam)
    kr = np.float32(0.5 * REPULSION)
    one = np.float32(1.0)
    zero = np.float32(0.0)
    tiny = np.float32(1e-30)
    bx = np.float32(box[0])
    by_ = np.float32(box[1])
    cap = max(most, 1) * 3**dims
    n_blocks = (n_bins + BIN_BLOCK - 1) // BIN_BLOCK
    for blk in prange(n_blocks):
        buf = np.empty((4, cap), np.float32)
        for b in range(blk * BIN_BLOCK, min(n_bins, (blk + 1) * BIN_BLOCK)):
            c0 = start[b]
            c1 = start[b + 1]
            if c0 == c1:
                continue
            m = 0
            if dims == 2:
                ix = b % nx
                iy = b // nx
                for ddy in range(-1, 2):
                    yy = iy + ddy
                    oy = zero
                    if yy < 0:
                        yy += ny
                        oy = -by_
                    elif yy >= ny:
                        yy -= ny
                        oy = by_
                    row = yy * nx
                    lo = ix - 1
                    hi = ix + 1
                    if lo < 0:  # the bin across the left edge, shifted to this side
                        m = _append(
                            buf, m, start[row + nx - 1], start[row + nx], sx, sy, sz, src, -bx, oy
                        )
                        lo = 0
                    if hi >= nx:
                        m = _append(buf, m, start[row], start[row + 1], sx, sy, sz, src, bx, oy)
                        hi = nx - 1
                    m = _append(
                        buf, m, start[row + lo], start[row + hi + 1], sx, sy, sz, src, zero, oy
                    )
            else:
                g = group[order[c0]]
                sy_ = geo[g, 3]
                sz_ = geo[g, 3] * geo[g, 4]
                for ddz in range(-1, 2):
                    for ddy in range(-1, 2):
                        bb = b + ddz * sz_ + ddy * sy_
                        m = _append(
                            buf, m, start[bb - 1], start[bb + 2], sx, sy, sz, src, zero, zero
                        )
            ax = buf[0, :m]
            ay = buf[1, :m]
            az = buf[2, :m]
            asrc = buf[3, :m]
            for kc in range(c0, c1):
                xi = sx[kc]
                yi = sy[kc]
                zi = sz[kc]
                s_d = zero
                n_d = zero
                n_n = zero
                mx = zero
                my = zero
                mz = zero
                for k in range(m):
                    dx = ax[k] - xi
                    dy = ay[k] - yi
                    dz = az[k] - zi
                    d2 = dx * dx + dy * dy + dz * dz
                    w = one if d2 < rng2 else zero
                    sj = asrc[k]
                    ws = w if sj >= zero else zero
                    n_n += w
                    n_d += ws
                    s_d += ws * sj
                    d = math.sqrt(d2)
                    f = kr * (d - dm) / (d + tiny)
                    f = f if (d2 < d2max and d2 > zero) else zero
                    mx += f * dx
                    my += f * dy
                    mz += f * dz
                own = src[kc]
                if own >= zero:  # the cell met itself once: take it out
                    s_d -= own
                    n_d -= one
                i = order[kc]
                notch[i] = s_d / n_d if n_d > 0.5 else zero
                crowd[i] = n_n
                disp[i, 0] = mx
                disp[i, 1] = my
                disp[i, 2] = mz


@jit(inline="always")
def local_occupancy(crowd, per_cell):
    """A cell's local occupancy (of the adherent capacity) from the cells within its reach.

    Args:
        crowd: Cells within reach, the cell itself included (from :func:`neighbour_pass`).
        per_cell: Occupancy per cell within reach at random placement, ``1 / A``.

    Returns:
        The occupancy that makes ``crowd - 1`` others within reach in a relaxed sheet (the inverse of
        ``m = A occ / (1 + a occ)``, :data:`CROWD_SATURATION`); a cell alone has occupancy 0. Beyond
        ``m = A`` (a sheet compressed past any measured state) it continues linearly.
    """
    m = crowd - 1.0
    a_cap = 1.0 / per_cell
    return m / (a_cap - CROWD_SATURATION * min(m, a_cap))


def local_occupancy_reference(crowd: np.ndarray, per_cell: float) -> np.ndarray:
    """Numpy reference of :func:`local_occupancy` for an array of counts."""
    m = np.asarray(crowd, dtype=float) - 1.0
    a_cap = 1.0 / per_cell
    return m / (a_cap - CROWD_SATURATION * np.minimum(m, a_cap))


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


@jit(parallel=True)
def cohesion(pos, n, group, n_groups, diam):
    r"""Keep each aggregate packed: scale its cells' positions about its centre to the packed radius.

    Mechanical relaxation (minutes) is much faster than a step (about an hour), so an aggregate is held
    at close packing (:data:`~ipscsim.engines.abm.fields.PACKING`): its RMS radius is set to that of a
    uniform packed sphere of its cells, :math:`\sqrt{3/5}\,R`, by a uniform dilation (growth) or
    contraction (loss) about its centre of mass; local overlaps are left to the repulsion. Sums are
    taken block by block (fixed blocks, added in order: the same on any number of threads).
    """
    ng = max(n_groups, 1)
    chunk, n_blocks = reduction_blocks(n)
    part = np.zeros((n_blocks, ng, 4))
    for blk in prange(n_blocks):
        for i in range(blk * chunk, min(n, (blk + 1) * chunk)):
            g = group[i]
            if g < 0:
                continue
            part[blk, g, 0] += 1.0
            part[blk, g, 1] += pos[i, 0]
            part[blk, g, 2] += pos[i, 1]
            part[blk, g, 3] += pos[i, 2]
    centre = np.zeros((ng, 3))
    count = np.zeros(ng)
    for blk in range(n_blocks):
        for g in range(n_groups):
            count[g] += part[blk, g, 0]
            for a in range(3):
                centre[g, a] += part[blk, g, 1 + a]
    for g in range(n_groups):
        if count[g] > 0:
            for a in range(3):
                centre[g, a] /= count[g]
    r2part = np.zeros((n_blocks, ng))
    for blk in prange(n_blocks):
        for i in range(blk * chunk, min(n, (blk + 1) * chunk)):
            g = group[i]
            if g < 0:
                continue
            dx = pos[i, 0] - centre[g, 0]
            dy = pos[i, 1] - centre[g, 1]
            dz = pos[i, 2] - centre[g, 2]
            r2part[blk, g] += dx * dx + dy * dy + dz * dz
    factor = np.ones(ng)
    vol = math.pi * diam**3 / 6.0
    for g in range(n_groups):
        r2 = 0.0
        for blk in range(n_blocks):
            r2 += r2part[blk, g]
        if count[g] > 1 and r2 > 0:
            packed = (count[g] * vol / PACKING * 3.0 / (4.0 * math.pi)) ** (1.0 / 3.0)
            rms = math.sqrt(r2 / count[g])
            factor[g] = math.sqrt(0.6) * packed / rms
    for i in prange(n):
        g = group[i]
        if g < 0:
            continue
        f = factor[g]
        pos[i, 0] = centre[g, 0] + (pos[i, 0] - centre[g, 0]) * f
        pos[i, 1] = centre[g, 1] + (pos[i, 1] - centre[g, 1]) * f
        pos[i, 2] = centre[g, 2] + (pos[i, 2] - centre[g, 2]) * f
