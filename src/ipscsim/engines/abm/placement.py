"""Where the cells of an agent-based run are: seeding, patches, aggregates, colonies, neighbours.

* :func:`init_cells` seeds pluripotent cells with heterogeneity from their own random streams;
* :func:`place_patch`, :func:`place_aggregates` and :func:`place_colonies` give cells positions on an
  adherent patch, in aggregates of a given size, or as attached colonies;
* :func:`cell_list` sorts cells into bins one neighbourhood wide, :func:`deal_in_bin_order` hands the
  seeded cells their positions in that order, and :func:`neighbours_and_mechanics` runs the neighbour
  pass (Notch input, crowding, repulsion and the population sums) and moves the cells.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import SimulationError
from ...model import layout as L
from .._jit import jit, prange
from .cells import Cells
from .fields import PACKING
from .rng import STREAM_INIT, STREAM_PLACE, uniform
from .space import build_cell_list, cohesion, grid_geometry, neighbour_pass, sorted_copies
from .step import cycle_threshold

__all__ = [
    "AGGREGATE_SPACING",
    "UM2_PER_CM2",
    "Space",
    "cell_list",
    "deal_in_bin_order",
    "init_cells",
    "neighbours_and_mechanics",
    "place_aggregates",
    "place_colonies",
    "place_patch",
    "stable_age",
]

#: um^2 per cm^2.
UM2_PER_CM2 = 1e8
#: Spacing of aggregates' regions (um): far apart, they never meet.
AGGREGATE_SPACING = 10_000.0


@jit
def init_cells(
    n0, n, genes, phi, theta, kind, cid, group, phase, thresh, born, p, seed, first_id, mosaic
):
    """Seed cells ``n0..n-1``: pluripotent, heterogeneity drawn from their own streams.

    ``mosaic`` holds ``(share, VEC_NGN2, VEC_IL)`` rows (the cassette's delivery groups, shares
    summing to 1): each cell draws its group.
    """
    for i in range(n0, n):
        c = first_id + (i - n0)
        cid[i] = c
        u1 = uniform(seed, c, 0, STREAM_INIT * 4)
        u2 = uniform(seed, c, 0, STREAM_INIT * 4 + 1)
        r = math.sqrt(-2.0 * math.log(1.0 - u1))
        z1 = r * math.cos(2.0 * math.pi * u2)
        z2 = r * math.sin(2.0 * math.pi * u2)
        phi[i] = math.exp(p[L.P_sigma_sensitivity] * z1)
        theta[i] = math.exp(p[L.P_sigma_tempo] * z2)
        for g in range(L.N_GENES):
            genes[i, g] = 0.0
        genes[i, L.G_OCT4] = 1.0
        u4 = uniform(seed, c, 0, STREAM_INIT * 4 + 3)
        g, acc = 0, mosaic[0, 0]
        while u4 >= acc and g < mosaic.shape[0] - 1:
            g += 1
            acc += mosaic[g, 0]
        genes[i, L.G_VEC_NGN2] = mosaic[g, 1]
        genes[i, L.G_VEC_IL] = mosaic[g, 2]
        kind[i] = 0
        group[i] = -1
        thresh[i], phase[i] = stable_age(seed, c, p[L.P_cycle_shape])
        born[i] = 0.0


#: Draws of :func:`stable_age` before it gives up (each is accepted with probability 1/2).
STABLE_AGE_TRIES = 64


@jit
def stable_age(seed, cid, shape):
    """A seeded cell's division threshold and progress: the stable age distribution of growth.

    Cells taken from a growing culture are at every stage of their cycle, but not uniformly: a
    population growing at rate 1 (in units of accumulated division rate, as the thresholds' scale
    makes it whatever ``shape``) holds its cells' progress ``a`` and threshold ``T`` with density
    ``exp(-a) f(T)`` on ``a < T`` (Euler-Lotka; Powell 1956 J Gen Microbiol 15:492), ``f`` the
    thresholds' Erlang density. So draw ``a`` from Exp(1) and ``T`` from ``f`` and keep the pair
    when ``a < T``: accepted with probability ``1 - E[exp(-T)] = 1/2``. The seeded population then
    divides at the ODE engine's rate from the first step on (a uniform ``a`` in ``[0, T)`` made it
    divide twice as fast for the first hours with ``shape`` 1).
    """
    for j in range(STABLE_AGE_TRIES):
        t = cycle_threshold(seed, cid, j, 0, shape)
        a = -math.log(1.0 - uniform(seed, cid, j, STREAM_INIT * 4 + 2))
        if a < t:
            return t, a
    return t, 0.0


@jit
def place_patch(pos, group, n, box, seed, step):
    """Spread cells ``0..n-1`` uniformly over a periodic patch ``box`` (um)."""
    for i in range(n):
        pos[i, 0] = uniform(seed, i, step, STREAM_PLACE * 8) * box[0]
        pos[i, 1] = uniform(seed, i, step, STREAM_PLACE * 8 + 1) * box[1]
        pos[i, 2] = 0.0
        group[i] = -1


@jit
def place_aggregates(pos, group, n, size, diam, seed, step, rank):
    """Pack cells ``0..n-1`` into aggregates of about ``size`` cells; returns the number made.

    Cell ``i`` joins aggregate ``rank[i] // size`` (``rank`` a random permutation), so that cells that
    were neighbours before do not end up together.
    """
    n_groups = max(1, n // size)
    vol = math.pi * diam**3 / 6.0
    for i in range(n):
        g = min(rank[i] // size, n_groups - 1)
        group[i] = g
    counts = np.zeros(n_groups)
    for i in range(n):
        counts[group[i]] += 1.0
    for i in range(n):
        g = group[i]
        radius = (counts[g] * vol / PACKING * 3.0 / (4.0 * math.pi)) ** (1.0 / 3.0)
        ox = (g % 16) * AGGREGATE_SPACING
        oy = ((g // 16) % 16) * AGGREGATE_SPACING
        oz = (g // 256) * AGGREGATE_SPACING
        r = radius * uniform(seed, i, step, STREAM_PLACE * 8 + 2) ** (1.0 / 3.0)
        cz = 2.0 * uniform(seed, i, step, STREAM_PLACE * 8 + 3) - 1.0
        sz = math.sqrt(max(0.0, 1.0 - cz * cz))
        a = 2.0 * math.pi * uniform(seed, i, step, STREAM_PLACE * 8 + 4)
        pos[i, 0] = ox + 2.0 * radius + r * sz * math.cos(a)
        pos[i, 1] = oy + 2.0 * radius + r * sz * math.sin(a)
        pos[i, 2] = oz + 2.0 * radius + r * cz
    return n_groups


@jit
def place_colonies(pos, group, n, n_groups, box, density, seed, step):
    """Attach aggregates as colonies: each a disc of its cells at ``density`` around a random centre."""
    counts = np.zeros(max(n_groups, 1))
    for i in range(n):
        if group[i] >= 0:
            counts[group[i]] += 1.0
    cx = np.empty(max(n_groups, 1))
    cy = np.empty(max(n_groups, 1))
    for g in range(n_groups):
        cx[g] = uniform(seed, g, step, STREAM_PLACE * 8 + 5) * box[0]
        cy[g] = uniform(seed, g, step, STREAM_PLACE * 8 + 6) * box[1]
    for i in range(n):
        g = max(group[i], 0)
        radius = math.sqrt(counts[g] / (math.pi * density))
        r = radius * math.sqrt(uniform(seed, i, step, STREAM_PLACE * 8 + 7))
        a = 2.0 * math.pi * uniform(seed, i, step, STREAM_PLACE * 8 + 2)
        x = (cx[g] + r * math.cos(a)) % box[0]
        y = (cy[g] + r * math.sin(a)) % box[1]
        pos[i, 0] = x
        pos[i, 1] = y
        pos[i, 2] = 0.0
        group[i] = -1


@jit(parallel=True)
def _move(pos, disp, n, dims, box):
    for i in prange(n):
        for a in range(dims):
            x = pos[i, a] + disp[i, a]
            if dims == 2:
                if x < 0.0:
                    x += box[a]
                elif x >= box[a]:
                    x -= box[a]
            pos[i, a] = x


class Space:
    """Geometry of the culture now: an adherent patch (2-D, periodic) or aggregates (3-D)."""

    def __init__(self) -> None:
        self.dims = 2
        self.box = np.ones(2)
        self.n_groups = 0
        self.start = np.empty(1, dtype=np.int64)  # the cell list's bin offsets (reused)


def cell_list(cells: Cells, space: Space, bin_size: float) -> tuple[np.ndarray, int, int]:
    """Sort the live cells into bins one ``bin_size`` wide (``cells.order``, ``space.start``).

    Returns:
        ``(geo, n_bins, most)``: the aggregates' bin boxes, the bins, the most cells in one bin.
    """
    n = cells.n
    nx = int(space.box[0] / bin_size)
    ny = int(space.box[1] / bin_size)
    if space.dims == 2 and min(nx, ny) < 3:  # a cell would meet a neighbour's periodic images twice
        raise SimulationError(
            f"n_cells: the adherent patch ({space.box[0]:.0f} x {space.box[1]:.0f} um) is narrower than "
            f"three neighbourhoods ({3 * bin_size:.0f} um); simulate more cells"
        )
    geo = np.zeros((max(space.n_groups, 1), 7), dtype=np.int64)
    n_bins = int(
        grid_geometry(
            cells.pos, n, space.dims, space.box, bin_size, cells.group, space.n_groups, geo
        )
    )
    if space.start.shape[0] < n_bins + 1:
        space.start = np.empty(n_bins + 1, dtype=np.int64)
    args = (cells.pos, n, space.dims, space.box, bin_size, n_bins, cells.group, geo)
    most = build_cell_list(*args, cells.cell_key, cells.order, space.start)
    return geo, n_bins, most


def deal_in_bin_order(cells: Cells, space: Space, bin_size: float) -> None:
    """Hand the seeded cells their positions in bin order.

    At seeding the cells are alike in distribution (each one's state comes from its own random
    streams), so which cell gets which of the independently drawn positions does not matter: dealing
    them out in bin order stores the culture in spatial order from the start, instead of paying a
    random permutation of every cell's state at the first re-sort.
    """
    n = cells.n
    cell_list(cells, space, bin_size)
    index = cells.order[:n]
    cells.pos[:n] = cells.pos[index]
    cells.group[:n] = cells.group[index]


def neighbours_and_mechanics(
    cells: Cells,
    space: Space,
    diam: float,
    reach: float,
    resort: bool,
    pk: tuple[np.ndarray, np.ndarray, np.ndarray],
    afz: np.ndarray,
    n_groups: int,
    sums: np.ndarray,
    gsums: np.ndarray,
) -> None:
    """Neighbour pass and mechanics of one step (sums taken on the way; aggregates cohere).

    ``pk`` is the parameters, their reciprocals and the derived values, ``afz`` the medium's pathway
    inputs (both for the cells' emissions).
    """
    n = cells.n
    bin_size = max(reach, diam)  # the pass looks one bin each way
    geo, n_bins, most = cell_list(cells, space, bin_size)
    if resort:  # store the cells in bin order: the cell list stays valid with the identity order
        cells.permute(cells.order)
        cells.order[:n] = np.arange(n, dtype=cells.order.dtype)
    c = cells
    args = (c.sx, c.sy, c.sz, c.src, sums, gsums)
    sorted_copies(n, c.order, c.pos, c.genes, c.kind, c.group, *pk, afz, n_groups, *args)
    neighbour_pass(
        n_bins,
        space.dims,
        space.box,
        max(1, int(space.box[0] / bin_size)),
        max(1, int(space.box[1] / bin_size)),
        geo,
        cells.group,
        cells.order,
        space.start,
        most,
        cells.sx,
        cells.sy,
        cells.sz,
        cells.src,
        diam,
        reach,
        cells.notch,
        cells.crowd,
        cells.disp,
    )
    _move(cells.pos, cells.disp, n, space.dims, space.box)
    if space.dims == 3 and space.n_groups > 0:
        cohesion(cells.pos, n, cells.group, space.n_groups, diam)
