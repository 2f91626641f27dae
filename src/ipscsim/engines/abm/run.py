"""The agent-based engine's driver: seeding, protocol operations, stepping, recording.

:func:`run_abm` takes a compiled protocol and a parameter array (the same inputs as the ODE engine) and
follows ``n_cells`` cells through it:

* **Scale.** The simulated cells are a sample of the well: each stands for ``unit`` real cells
  (``seeded / n_cells`` at day 0), while in space each is one cell at the real density, so an adherent
  patch is ``1 / unit`` of the well's area and an aggregate has its real number of cells. Counts are
  reported per well, in the ODE engine's units (cells seeded at day 0).
* **Operations.** A replating or aggregation seeds a share of the cells, as a dish does: the cells kept
  are a random sample (sampling cannot add cells: if more are seeded than there are, all are kept and
  each stands for more), dissociation stress is set to 1 (its death hazard is what the ROCK inhibitor
  rescues), and positions are drawn anew: single cells spread over a fresh patch, or packed into
  aggregates of ``aggregate_size`` cells (which cell joins which aggregate is random, so cells that were
  neighbours before do not stay together). Plating attaches each aggregate as a colony.
* **A step** (``dt``, at most 0.05 day by default; steps end exactly at breakpoints, recording days and
  snapshot days): neighbours and mechanics (:mod:`.space`), fields (:mod:`.fields`), every cell's gene
  network, noise and fate (:mod:`.step`), then the dead removed and the daughters added.

``neighbours="mean"`` replaces every neighbourhood by the population (Delta, crowding and the
endogenous signals from population means, as in the ODE engine) and skips space.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.fft import next_fast_len

from ...errors import ParameterError, SimulationError
from ...model import layout as L
from ...model.inputs import CompiledProtocol
from ...model.pharmacology import compound_table, concentrations
from ...model.pharmacology import pathway_inputs as pathway_inputs_np
from .._jit import jit, prange
from ..threads import get_threads
from .cells import Cells
from .fields import PACKING, cic_cell, radial_profile, screened_poisson_2d
from .readouts import (
    N_SUMS,
    S_BMP_SRC,
    S_DELTA,
    S_NODAL,
    S_PROG,
    S_TOTAL,
    group_geometry,
    population_sums,
    record_readouts,
)
from .rng import (
    STREAM_GROUP,
    STREAM_INIT,
    STREAM_PLACE,
    STREAM_SAMPLE,
    hash_uniform_np,
    uniform,
)
from .space import (
    build_cell_list,
    cohesion,
    grid_geometry,
    neighbour_pass,
    sorted_copies,
)
from .step import (
    C_BMP,
    C_DELTA,
    C_DT,
    C_ENDO,
    C_HAZ,
    C_MN_HAZARD,
    C_NODAL,
    C_NOISE,
    C_NOTCH_LOCAL,
    C_OCC,
    C_OCC_LOCAL,
    C_OCC_SCALE,
    C_SHIELD,
    C_T,
    N_CTL,
    apply_events,
    cycle_threshold,
    gene_relaxation,
    step_cells,
)

__all__ = ["NEIGHBOURS", "AbmOutput", "run_abm"]

#: Neighbourhood modes.
NEIGHBOURS = ("space", "mean")
#: um^2 per cm^2.
UM2_PER_CM2 = 1e8
#: Spacing of aggregates' regions (um): far apart, they never meet.
AGGREGATE_SPACING = 10_000.0
#: Width of the spherical shells of an aggregate's fields, in cell diameters.
SHELL_WIDTH = 1.0
#: Shells allotted per aggregate.
MAX_SHELLS = 256
#: Adaptive steps: after a breakpoint the step starts at ``MIN_STEP * dt`` and grows by at most
#: ``GROWTH`` per step up to ``dt``, while the population's mean Delta (NGN2) changes by at most
#: ``DELTA_CHANGE`` (relative, above ``DELTA_FLOOR``) per step.
MIN_STEP = 0.125
GROWTH = 1.5
DELTA_CHANGE = 0.1
DELTA_FLOOR = 0.02
#: Steps between solving the endogenous Nodal/BMP fields of a patch (their sources, gene levels, change
#: over days); every cell reads the latest field where it is at every step.
FIELD_EVERY = 4
#: The cells' storage is re-sorted into spatial order (memory locality of neighbours) when the cells
#: born, removed or re-placed since the last sort reach this share of the population ...
RESORT_SHARE = 0.25
#: ... or after this many steps (cells also drift between bins).
RESORT_EVERY = 32
#: Packing of a colony when an aggregate attaches, relative to the adherent capacity.
COLONY_PACKING = 0.8


@dataclass
class AbmOutput:
    """What :func:`run_abm` returns.

    Attributes:
        days: Recorded days.
        types: Cells of each type per recorded day (units of the cells seeded at day 0).
        markers: Marker-positive cells per recorded day (same units).
        globals: The ODE engine's global state per recorded day (neuron classes, stress, lineage,
            cumulative divisions, deaths and replating changes).
        snapshots: Day to a dict of per-cell arrays.
        fields: Day to a dict of fields.
        step_log: One row per step or operation: day, live before, births, deaths, new neurons, live
            after, operation code.
        stats: Counters: steps, largest population, wall time, memory per cell.
    """

    days: np.ndarray
    types: np.ndarray
    markers: np.ndarray
    globals: np.ndarray
    snapshots: dict[float, dict[str, np.ndarray]] = field(default_factory=dict)
    fields: dict[float, dict[str, Any]] = field(default_factory=dict)
    step_log: np.ndarray = field(default_factory=lambda: np.empty((0, 7)))
    stats: dict[str, Any] = field(default_factory=dict)


@jit
def _init_cells(n0, n, genes, phi, theta, kind, cid, group, phase, thresh, born, p, seed, first_id):
    """Seed cells ``n0..n-1``: pluripotent, heterogeneity drawn from their own streams."""
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
        kind[i] = 0
        group[i] = -1
        thresh[i] = cycle_threshold(seed, c, 0, 0, p[L.P_cycle_shape])
        phase[i] = uniform(seed, c, 0, STREAM_INIT * 4 + 2) * thresh[i]
        born[i] = 0.0


@jit
def _place_patch(pos, group, n, box, seed, step):
    for i in range(n):
        pos[i, 0] = uniform(seed, i, step, STREAM_PLACE * 8) * box[0]
        pos[i, 1] = uniform(seed, i, step, STREAM_PLACE * 8 + 1) * box[1]
        pos[i, 2] = 0.0
        group[i] = -1


@jit
def _place_aggregates(pos, group, n, size, diam, seed, step, rank):
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
        ox = (g % 16) * 10_000.0
        oy = ((g // 16) % 16) * 10_000.0
        oz = (g // 256) * 10_000.0
        r = radius * uniform(seed, i, step, STREAM_PLACE * 8 + 2) ** (1.0 / 3.0)
        cz = 2.0 * uniform(seed, i, step, STREAM_PLACE * 8 + 3) - 1.0
        sz = math.sqrt(max(0.0, 1.0 - cz * cz))
        a = 2.0 * math.pi * uniform(seed, i, step, STREAM_PLACE * 8 + 4)
        pos[i, 0] = ox + 2.0 * radius + r * sz * math.cos(a)
        pos[i, 1] = oy + 2.0 * radius + r * sz * math.sin(a)
        pos[i, 2] = oz + 2.0 * radius + r * cz
    return n_groups


@jit
def _place_colonies(pos, group, n, n_groups, box, density, seed, step):
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


@jit
def _deposit_sources(n, pos, genes, kind, p, box, grids):
    """Spread the endogenous sources onto ``grids`` (0: Nodal, 1: BMP makers, 2: all cells)."""
    w = p[L.P_tgf_autocrine_offtarget]
    nk, ny, nx = grids.shape
    hx = box[0] / nx
    hy = box[1] / ny
    inv_area = 1.0 / (hx * hy)
    for q in range(nk):
        for b in range(ny):
            for a in range(nx):
                grids[q, b, a] = 0.0
    for i in range(n):
        if kind[i] == 0:
            o4 = max(genes[i, L.G_OCT4], 0.0)
            v0 = o4 + w * max(genes[i, L.G_OFF], 0.0)
            v1 = 1.0 - min(1.0, o4 + max(genes[i, L.G_NEURAL], 0.0))
        else:
            v0 = 0.0
            v1 = 0.0
        x0, y0, x1, y1, fx, fy = cic_cell(pos[i, 0], pos[i, 1], 1.0 / hx, 1.0 / hy, nx, ny)
        w00 = (1.0 - fx) * (1.0 - fy) * inv_area
        w01 = fx * (1.0 - fy) * inv_area
        w10 = (1.0 - fx) * fy * inv_area
        w11 = fx * fy * inv_area
        for q in range(3):
            v = v0 if q == 0 else (v1 if q == 1 else 1.0)
            if v != 0.0:
                grids[q, y0, x0] += v * w00
                grids[q, y0, x1] += v * w01
                grids[q, y1, x0] += v * w10
                grids[q, y1, x1] += v * w11


_NO_GRID = np.zeros((1, 1, 2), dtype=np.float32)


class _Space:
    """Geometry of the culture now: an adherent patch or aggregates."""

    def __init__(self) -> None:
        self.dims = 2
        self.box = np.ones(2)
        self.n_groups = 0
        self.start = np.empty(1, dtype=np.int64)  # the cell list's bin offsets (reused)


def _check_inputs(n_cells: int, neighbours: str, aggregate_size: int, dt: float) -> None:
    if isinstance(n_cells, bool) or not isinstance(n_cells, (int, np.integer)) or n_cells < 10:
        raise ParameterError(
            f"n_cells: {n_cells!r} must be a whole number of cells >= 10, e.g. 20000"
        )
    if n_cells > 50_000_000:
        raise ParameterError(f"n_cells: {n_cells!r} is more than 50 million cells; use fewer")
    if neighbours not in NEIGHBOURS:
        raise ParameterError(
            f"neighbours: {neighbours!r} must be 'space' (actual neighbours) or 'mean' (population "
            "means, as in the ODE engine)"
        )
    if (
        isinstance(aggregate_size, bool)
        or not isinstance(aggregate_size, (int, np.integer))
        or aggregate_size < 2
    ):
        raise ParameterError(
            f"aggregate_size: {aggregate_size!r} must be a whole number of cells per aggregate >= 2"
        )
    if not (isinstance(dt, (int, float)) and 0 < dt <= 0.25):
        raise ParameterError(f"dt: {dt!r} must be a step in days in (0, 0.25], e.g. 0.05")


def run_abm(
    compiled: CompiledProtocol,
    protocol: Any,
    p: np.ndarray,
    n_cells: int,
    seed: int,
    record_days: np.ndarray,
    snapshot_days: np.ndarray,
    neighbours: str = "space",
    aggregate_size: int = 2000,
    dt: float = 0.05,
    fields: bool = True,
) -> AbmOutput:
    """Run the agent-based engine (see the module docstring).

    Args:
        compiled: The compiled protocol (:func:`ipscsim.model.inputs.compile_protocol`).
        protocol: The :class:`~ipscsim.protocols.Protocol` (for its well area and seeding).
        p: Parameter array.
        n_cells: Cells simulated at day 0.
        seed: Seed of every random stream.
        record_days: Days at which to record the readouts (ascending).
        snapshot_days: Days at which to keep every cell's state (a subset of ``record_days``).
        neighbours: ``"space"`` or ``"mean"``.
        aggregate_size: Cells per aggregate when aggregates form.
        dt: Largest step (days).
        fields: Solve fields (compound penetration into aggregates, endogenous signals on a patch); with
            ``False`` every cell sees the bulk medium and the population's mean signals.
    """
    _check_inputs(n_cells, neighbours, aggregate_size, dt)
    t_wall = time.perf_counter()
    seed = np.uint64(seed)
    spatial = neighbours == "space"
    comp = compound_table()
    from ...protocols.compounds import registry

    decay_len = np.array([c.aggregate_decay_length_um for c in registry()])
    krel = gene_relaxation(p)
    diam = float(p[L.P_cell_diameter])
    reach = float(p[L.P_contact_range]) * diam
    cell_vol = math.pi * diam**3 / 6.0
    well_um2 = protocol.well_area * UM2_PER_CM2
    seeded = compiled.seeded
    unit = seeded / n_cells

    cells = Cells(int(n_cells * 1.5))
    cells.n = n_cells
    _init_cells(
        0,
        n_cells,
        cells.genes,
        cells.phi,
        cells.theta,
        cells.kind,
        cells.cid,
        cells.group,
        cells.phase,
        cells.thresh,
        cells.born,
        p,
        seed,
        0,
    )
    cells.next_id = n_cells
    space = _Space()
    step_no = 1
    endo_grids: dict[str, np.ndarray] = {}

    def patch(n_live: int, density_per_cm2: float) -> None:
        side = math.sqrt(n_live / density_per_cm2 * UM2_PER_CM2)
        if side < 3.0 * reach:
            raise ParameterError(
                f"n_cells: {n_cells} cells make an adherent patch of {side:.0f} um, narrower than "
                f"three neighbourhoods ({3 * reach:.0f} um); simulate more cells"
            )
        space.dims = 2
        space.box = np.array([side, side])
        space.n_groups = 0
        endo_grids.clear()
        _place_patch(cells.pos, cells.group, cells.n, space.box, seed, step_no)

    def aggregates() -> None:
        endo_grids.clear()
        space.dims = 3
        keys = hash_uniform_np(int(seed), np.arange(cells.n), step_no, STREAM_GROUP)
        rank = np.empty(cells.n, dtype=np.int64)
        rank[np.argsort(keys, kind="stable")] = np.arange(cells.n)
        space.n_groups = int(
            _place_aggregates(
                cells.pos, cells.group, cells.n, int(aggregate_size), diam, seed, step_no, rank
            )
        )

    stress = 0.0
    if compiled.suspension:
        aggregates()
        stress = 1.0
    else:
        patch(n_cells, protocol.seeding_density)
    _deal_in_bin_order(cells, space, max(reach, diam))
    lineage = 1.0
    cum = np.zeros(3)  # divisions, deaths, replating change (seeded units)

    rec_days = np.asarray(record_days, dtype=float)
    snap_set = {float(d) for d in snapshot_days}
    n_rec = len(rec_days)
    types = np.full((n_rec, 10), np.nan)
    markers = np.full((n_rec, 11), np.nan)
    glob = np.full((n_rec, L.N_GLOBALS), np.nan)
    out = AbmOutput(rec_days, types, markers, glob)
    log: list[tuple[float, ...]] = []
    rec_pos = 0
    neuron_buf = np.zeros(7)
    sums = np.zeros(N_SUMS)
    gsums = np.zeros((1, N_SUMS))
    ctl = np.zeros(N_CTL)
    counts3 = np.zeros(3, dtype=np.int64)
    largest = n_cells
    n_steps = 0
    cell_steps = 0
    timing = np.zeros(4)  # neighbours, fields and means, cells, births and deaths

    def record(day: float) -> None:
        nonlocal rec_pos
        w = unit / seeded
        record_readouts(
            cells.n, cells.genes, cells.kind, p, w, types[rec_pos], markers[rec_pos], neuron_buf
        )
        glob[rec_pos, : len(L.NEURON_GLOBALS)] = 0.0
        for q, gi in enumerate(L.NEURON_GLOBALS):
            glob[rec_pos, gi] = neuron_buf[q]
        glob[rec_pos, L.X_STRESS] = stress
        glob[rec_pos, L.X_LINEAGE] = lineage
        glob[rec_pos, L.X_CUM_DIV] = cum[0]
        glob[rec_pos, L.X_CUM_DEATH] = cum[1]
        glob[rec_pos, L.X_CUM_REPLATED] = cum[2]
        if day in snap_set:
            out.snapshots[day] = _snapshot(cells, space, unit)
            if endo_grids:
                out.fields[day] = {k: v.copy() for k, v in endo_grids.items() if k[0] != "_"}
                out.fields[day]["box"] = space.box.copy()
            if profiles_now:
                out.fields[day] = {**out.fields.get(day, {}), **profiles_now}
        rec_pos += 1

    profiles_now: dict[str, Any] = {}

    def operation(code: int, count: float) -> None:
        nonlocal unit, lineage, stress, unsorted, since_sort
        if code not in (L.OP_REPLATE, L.OP_AGGREGATE, L.OP_PLATE):
            return
        before = cells.n
        if code == L.OP_PLATE:
            if space.dims == 3:
                density = COLONY_PACKING * p[L.P_capacity_adherent] / UM2_PER_CM2
                side = math.sqrt(well_um2 / unit)
                box = np.array([side, side])
                _place_colonies(
                    cells.pos, cells.group, cells.n, space.n_groups, box, density, seed, step_no
                )
                space.dims, space.box, space.n_groups = 2, box, 0
                endo_grids.clear()
                unsorted = cells.n
            log.append((t_now, before, 0, 0, 0, cells.n, code))
            return
        total_units = cells.n * unit / seeded
        if total_units <= 0:
            return
        target = count * seeded / unit  # simulated cells the seeding asks for
        if target < cells.n:
            keep = int(round(target))
            keep = max(keep, 1)
            keys = hash_uniform_np(int(seed), cells.cid[: cells.n], step_no, STREAM_SAMPLE)
            chosen = np.sort(np.argsort(keys, kind="stable")[:keep])
            cells.keep(chosen)
        else:
            unit = count * seeded / cells.n
        scale = count / total_units
        lineage /= scale
        cum[2] += count - total_units
        stress = 1.0
        if code == L.OP_REPLATE:
            density = count * seeded / protocol.well_area
            patch(cells.n, density)
        else:
            aggregates()
        unsorted = cells.n  # new positions: the storage order says nothing about space any more
        log.append((t_now, before, 0, 0, 0, cells.n, code))

    unsorted = 0  # cells born, removed or re-placed since the storage was last sorted
    since_sort = 0
    t_now = 0.0
    bounds = np.asarray(compiled.t, dtype=float)
    for s in range(len(bounds) - 1):
        t0, t1 = float(bounds[s]), float(bounds[s + 1])
        t_now = t0
        while rec_pos < n_rec and rec_days[rec_pos] <= t0 + 1e-9:
            record(
                float(rec_days[rec_pos])
            )  # a day at a breakpoint is recorded before its operation
        if s > 0 or compiled.op[s] != L.OP_NONE:
            operation(int(compiled.op[s]), float(compiled.op_count[s]))
        u = compiled.u[s]
        suspension = u[L.U_FORMAT] > 0.5
        h_next = dt * MIN_STEP  # a breakpoint starts a transient: begin small, then grow
        delta_prev = -1.0
        # aggregates hold compounds with a finite decay length back from their core
        present = np.nonzero((u[L.U_CONC :] > 0) & np.isfinite(decay_len))[0]
        in_aggregates = spatial and fields and space.dims == 3
        abs_idx = present.astype(np.int64) if in_aggregates else np.empty(0, np.int64)
        stops = sorted({t0, t1, *[d for d in rec_days if t0 <= d <= t1]})
        for a, b in itertools.pairwise(stops):
            while rec_pos < n_rec and rec_days[rec_pos] <= a + 1e-9:
                record(float(rec_days[rec_pos]))
            t = a
            while t < b - 1e-12:
                h = min(h_next, b - t)
                if b - t - h < 0.25 * h:  # do not leave a sliver before the stop
                    h = b - t
                t_now = t
                n = cells.n
                # ------------------------------------------------ neighbours and mechanics
                tick = time.perf_counter()
                n_groups = space.n_groups if (spatial and space.dims == 3) else 0
                if gsums.shape[0] < max(n_groups, 1):
                    gsums = np.zeros((max(n_groups, 1), N_SUMS))
                if spatial and n > 0:  # takes the population sums on its way
                    resort = unsorted >= RESORT_SHARE * n or since_sort >= RESORT_EVERY
                    _neighbours(cells, space, diam, reach, resort, p, n_groups, sums, gsums)
                    unsorted, since_sort = (0, 0) if resort else (unsorted, since_sort + 1)
                timing[0] += time.perf_counter() - tick
                tick = time.perf_counter()
                # ------------------------------------------------ population means
                if not spatial:
                    population_sums(
                        n, cells.genes, cells.kind, cells.group, p, n_groups, sums, gsums
                    )
                real_density = unit * sums[S_TOTAL] / protocol.well_area  # cells per cm^2
                tgf = p[L.P_tgf_autocrine] / p[L.P_density_ref]
                ctl[C_NODAL] = tgf * unit * sums[S_NODAL] / protocol.well_area
                ctl[C_BMP] = sums[S_BMP_SRC]
                delta_now = sums[S_DELTA] / sums[S_PROG] if sums[S_PROG] > 0 else 0.0
                ctl[C_DELTA] = delta_now
                cap = p[L.P_capacity_suspension] if suspension else p[L.P_capacity_adherent]
                ctl[C_OCC] = unit * sums[S_TOTAL] / (cap * protocol.well_area)
                g_nodal = np.zeros(max(n_groups, 1))
                g_bmp = np.zeros(max(n_groups, 1))
                endo_mode = 0
                if n_groups > 0:
                    tot = np.maximum(gsums[:n_groups, S_TOTAL], 1.0)
                    g_nodal[:n_groups] = tgf * real_density * gsums[:n_groups, S_NODAL] / tot
                    g_bmp[:n_groups] = gsums[:n_groups, S_BMP_SRC]
                    endo_mode = 2
                elif spatial and fields and space.dims == 2:
                    if n_steps % FIELD_EVERY == 0 or "nodal" not in endo_grids:
                        _endogenous_fields(cells, space, p, endo_grids)
                    endo_mode = 1
                # ------------------------------------------------ compounds inside aggregates
                prof = np.ones((max(n_groups, 1), max(len(abs_idx), 1), MAX_SHELLS))
                profiles_now = {}
                if len(abs_idx) and n_groups > 0:
                    prof, profiles_now = _aggregate_profiles(
                        cells, space, abs_idx, decay_len, diam, cell_vol, registry
                    )
                timing[1] += time.perf_counter() - tick
                tick = time.perf_counter()
                # ------------------------------------------------ step
                f0 = pathway_inputs_np(concentrations(t, u, comp), comp)[1]
                f1 = pathway_inputs_np(concentrations(t + h, u, comp), comp)[1]
                afz = np.stack(pathway_inputs_np(concentrations(t + 0.5 * h, u, comp), comp))
                kr = p[L.P_stress_recovery]
                mu_d = kr * math.log(1.0 / p[L.P_dissociation_survival])
                rock_free = 0.5 * (f0[L.PW_ROCK] + f1[L.PW_ROCK])
                avg_stress = stress * (1.0 - math.exp(-kr * h)) / (kr * h) if kr > 0 else stress
                ctl[C_T] = t
                ctl[C_DT] = h
                ctl[C_HAZ] = mu_d * avg_stress * (1.0 - p[L.P_rock_efficacy] * (1.0 - rock_free))
                ctl[C_SHIELD] = p[L.P_aggregate_shielding] if suspension else 1.0
                ctl[C_MN_HAZARD] = u[L.U_MN_HAZARD]
                ctl[C_NOISE] = p[L.P_abm_noise]
                ctl[C_NOTCH_LOCAL] = 1.0 if spatial else 0.0
                ctl[C_ENDO] = endo_mode
                local_occ = spatial and space.dims == 2
                ctl[C_OCC_LOCAL] = 1.0 if local_occ else 0.0
                cap_um2 = p[L.P_capacity_adherent] / UM2_PER_CM2
                ctl[C_OCC_SCALE] = 1.0 / (math.pi * reach * reach * cap_um2)
                step_cells(
                    n,
                    cells.genes,
                    cells.phi,
                    cells.theta,
                    cells.kind,
                    cells.cid,
                    cells.group,
                    cells.phase,
                    cells.thresh,
                    cells.shell,
                    cells.notch,
                    cells.crowd,
                    cells.pos,
                    endo_grids["_pair"] if endo_mode == 1 else _NO_GRID,
                    space.box,
                    cells.event,
                    cells.born,
                    p,
                    u,
                    comp,
                    ctl,
                    seed,
                    np.uint64(step_no),
                    afz,
                    abs_idx,
                    prof,
                    g_nodal,
                    g_bmp,
                    krel,
                )
                timing[2] += time.perf_counter() - tick
                tick = time.perf_counter()
                births = int(np.count_nonzero(cells.event[:n] == 1))
                cells.reserve(n + births)
                n_new, next_id = apply_events(
                    n,
                    cells.genes,
                    cells.phi,
                    cells.theta,
                    cells.kind,
                    cells.cid,
                    cells.group,
                    cells.phase,
                    cells.thresh,
                    cells.born,
                    cells.notch,
                    cells.pos,
                    cells.event,
                    seed,
                    np.uint64(step_no),
                    p,
                    space.dims,
                    space.box,
                    np.uint64(cells.next_id),
                    t + h,
                    counts3,
                )
                cells.n = int(n_new)
                cells.next_id = int(next_id)
                unsorted += int(counts3[0] + counts3[1])
                log.append((t, n, int(counts3[0]), int(counts3[1]), int(counts3[2]), cells.n, 0))
                timing[3] += time.perf_counter() - tick
                cell_steps += n
                cum[0] += counts3[0] * unit / seeded
                cum[1] += counts3[1] * unit / seeded
                stress *= math.exp(-kr * h)
                largest = max(largest, cells.n)
                step_no += 1
                n_steps += 1
                t += h
                # step size: the Notch-Delta loop couples cells through Delta with a high gain, and
                # the kernel holds Delta for a step; keep its change per step small
                if delta_prev >= 0.0:
                    change = abs(delta_now - delta_prev) / max(delta_now, delta_prev, DELTA_FLOOR)
                    grow = DELTA_CHANGE / change if change > 0 else GROWTH
                    h_next = min(dt, max(dt * MIN_STEP, h * min(GROWTH, max(0.5, grow))))
                delta_prev = delta_now
                if cells.n == 0:
                    break
            t_now = b
        if cells.n == 0:
            break
    while rec_pos < n_rec and rec_days[rec_pos] <= t_now + 1e-9:
        record(float(rec_days[rec_pos]))
    if rec_pos < n_rec and cells.n > 0:  # pragma: no cover - a guard
        raise SimulationError(f"abm: recorded {rec_pos} of {n_rec} days")
    out.step_log = np.array(log, dtype=float).reshape(-1, 7)
    out.stats = {
        "steps": n_steps,
        "largest_population": int(largest),
        "final_population": int(cells.n),
        "cells_simulated": int(cells.next_id),
        "bytes_per_slot": cells.nbytes / max(cells.capacity, 1),
        "bytes_total": int(cells.nbytes + space.start.nbytes),
        "capacity": int(cells.capacity),
        "wall_time_s": time.perf_counter() - t_wall,
        "cell_steps": int(cell_steps),
        "time_neighbours_s": float(timing[0]),
        "time_fields_s": float(timing[1]),
        "time_cells_s": float(timing[2]),
        "time_events_s": float(timing[3]),
        "unit": unit,
    }
    return out


def _cell_list(cells: Cells, space: _Space, bin_size: float) -> tuple[np.ndarray, int, int]:
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


def _deal_in_bin_order(cells: Cells, space: _Space, bin_size: float) -> None:
    """Hand the seeded cells their positions in bin order.

    At seeding the cells are alike in distribution (each one's state comes from its own random
    streams), so which cell gets which of the independently drawn positions does not matter: dealing
    them out in bin order stores the culture in spatial order from the start, instead of paying a
    random permutation of every cell's state at the first re-sort.
    """
    n = cells.n
    _cell_list(cells, space, bin_size)
    index = cells.order[:n]
    cells.pos[:n] = cells.pos[index]
    cells.group[:n] = cells.group[index]


def _neighbours(
    cells: Cells,
    space: _Space,
    diam: float,
    reach: float,
    resort: bool,
    p: np.ndarray,
    n_groups: int,
    sums: np.ndarray,
    gsums: np.ndarray,
) -> None:
    n = cells.n
    bin_size = max(reach, diam)  # the pass looks one bin each way
    geo, n_bins, most = _cell_list(cells, space, bin_size)
    if resort:  # store the cells in bin order: the cell list stays valid with the identity order
        cells.permute(cells.order)
        cells.order[:n] = np.arange(n, dtype=cells.order.dtype)
    sorted_copies(
        n,
        cells.order,
        cells.pos,
        cells.genes,
        cells.kind,
        cells.group,
        p,
        n_groups,
        cells.sx,
        cells.sy,
        cells.sz,
        cells.src,
        sums,
        gsums,
    )
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


def _endogenous_fields(cells: Cells, space: _Space, p: np.ndarray, grids: dict) -> None:
    n = cells.n
    length = float(p[L.P_paracrine_length])
    h = 0.5 * length
    nx = next_fast_len(max(4, int(math.ceil(space.box[0] / h))), real=True)
    ny = next_fast_len(max(4, int(math.ceil(space.box[1] / h))), real=True)
    src = np.empty((3, ny, nx))
    _deposit_sources(n, cells.pos, cells.genes, cells.kind, p, space.box, src)
    workers = get_threads()
    nodal_src, bmp_src, all_cells = (
        screened_poisson_2d(g, space.box, length, workers) for g in src
    )
    tgf = p[L.P_tgf_autocrine] / p[L.P_density_ref] * UM2_PER_CM2
    nodal = nodal_src * tgf
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(all_cells > 1e-12, bmp_src / all_cells, 0.0)
    share = np.clip(share, 0.0, 1.0)
    grids.clear()
    grids["nodal"] = nodal
    grids["bmp_share"] = share
    grids["density"] = all_cells * UM2_PER_CM2
    # what the cells read: both signals side by side in single precision (half the cache footprint)
    grids["_pair"] = np.ascontiguousarray(np.stack([nodal, share], axis=-1), dtype=np.float32)


def _aggregate_profiles(cells, space, abs_idx, decay_len, diam, cell_vol, registry):
    n_groups = space.n_groups
    width = SHELL_WIDTH * diam
    centre = np.zeros((n_groups, 3))
    radius = np.zeros(n_groups)
    counts = np.zeros((n_groups, MAX_SHELLS))
    group_geometry(
        cells.n,
        cells.pos,
        cells.group,
        n_groups,
        width,
        MAX_SHELLS,
        centre,
        radius,
        counts,
        cells.shell,
    )
    prof = np.ones((n_groups, len(abs_idx), MAX_SHELLS))
    names = registry().names
    shown: dict[str, Any] = {
        "aggregate_centre": centre,
        "aggregate_radius": radius,
        "shell_width": width,
    }
    for g in range(n_groups):
        nb = max(1, min(MAX_SHELLS, int(math.ceil(radius[g] / width))))
        for q, j in enumerate(abs_idx):
            buf = np.empty(nb)
            radial_profile(counts[g, :nb], width, max(radius[g], 1e-6), decay_len[j], cell_vol, buf)
            prof[g, q, :nb] = buf
            prof[g, q, nb:] = 1.0
    for q, j in enumerate(abs_idx):
        shown[f"profile:{names[j]}"] = prof[:, q, :].copy()
    return prof, shown


def _snapshot(cells: Cells, space: _Space, unit: float) -> dict[str, np.ndarray]:
    n = cells.n
    snap = {
        "x": cells.pos[:n, 0].astype(np.float64),
        "y": cells.pos[:n, 1].astype(np.float64),
        "genes": cells.genes[:n].astype(np.float64),
        "kind": cells.kind[:n].copy(),
        "cell_id": cells.cid[:n].copy(),
        "aggregate": cells.group[:n].copy(),
        "born": cells.born[:n].astype(np.float64),
        "sensitivity": cells.phi[:n].astype(np.float64),
        "tempo": cells.theta[:n].astype(np.float64),
        "notch_input": cells.notch[:n].astype(np.float64),
        "_dims": np.array([space.dims]),
        "_box": space.box.copy(),
        "_unit": np.array([unit]),
    }
    if space.dims == 3:
        snap["z"] = cells.pos[:n, 2].astype(np.float64)
    return snap
