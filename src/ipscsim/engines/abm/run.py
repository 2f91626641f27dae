"""The agent-based engine's driver: an :class:`AbmRun` you can step, look into, and run to the end.

An :class:`AbmRun` takes a prepared run (:class:`~ipscsim.model.prepare.PreparedRun`, the ODE engine's
inputs) and follows ``n_cells`` cells, each drawing its cassette group at seeding, through it:

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
* **A step** (:meth:`AbmRun.step`, at most ``dt`` days; steps end exactly at breakpoints, recording days
  and snapshot days): neighbours and mechanics (:mod:`.placement`), fields (:mod:`.endogenous`), every
  cell's gene network, noise and fate (:mod:`.step`), then the dead removed and the daughters added.

``neighbours="mean"`` replaces every neighbourhood by the population (Delta, crowding and the
endogenous signals from population means, as in the ODE engine) and skips space.

A run is stepped as a Mesa model is, and trackers (:mod:`ipscsim.trackers`) see it after every step:

>>> run = AbmRun(prepared, n_cells=5000, seed=1)                 # doctest: +SKIP
>>> while run.t < 3: run.step()                                  # doctest: +SKIP
>>> run.snapshot().head()                                        # doctest: +SKIP
>>> out = run.run()                                              # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ...errors import ParameterError, SimulationError
from ...model import layout as L
from ...model.pharmacology import compound_table, concentrations
from ...model.pharmacology import pathway_inputs as pathway_inputs_np
from ...model.streams import STREAM_GROUP, STREAM_SAMPLE, hash_uniform_np
from ...protocols.compounds import registry
from ...protocols.delivery import delivery_groups
from ..kernels import param_arrays
from .cells import Cells
from .endogenous import MAX_SHELLS, aggregate_profiles, endogenous_fields, snapshot
from .output import AbmOutput
from .placement import (
    UM2_PER_CM2,
    Space,
    deal_in_bin_order,
    init_cells,
    neighbours_and_mechanics,
    place_aggregates,
    place_colonies,
    place_patch,
)
from .readouts import N_SUMS, S_BMP, S_DELTA, S_NODAL, S_PROG, S_TOTAL, population_sums
from .readouts import record_readouts as record_kernel
from .step import (
    C_AGG,
    C_BMP,
    C_DELTA,
    C_DENS_SCALE,
    C_DENSITY,
    C_DT,
    C_ENDO,
    C_FMT,
    C_NODAL,
    C_NOISE,
    C_NOTCH_LOCAL,
    C_OCC,
    C_OCC_LOCAL,
    C_OCC_SCALE,
    C_STRESS,
    C_T,
    LINE_CONTROLS,
    N_CTL,
    apply_events,
    gene_relaxation,
    step_cells,
)

__all__ = ["AbmOutput", "AbmRun", "run_abm"]

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
#: Steps a run may take: a guard against a step size that would never finish.
MAX_STEPS = 2_000_000

_NO_GRID = np.zeros((1, 1, 2), dtype=np.float32)


class AbmRun:
    """One agent-based run: cells, their space and records, advanced one step at a time.

    Args:
        prepared: The prepared run (protocol arrays, parameters, record and snapshot days).
        settings: The engine's settings (an :class:`ipscsim.ABM`, validated there): ``n_cells``
            (cells at day 0), ``neighbours`` (``"space"`` or ``"mean"``), ``aggregate_size`` (cells
            per aggregate), ``dt`` (largest step, days) and ``fields`` (solve compound penetration
            into aggregates and endogenous signals on a patch; with ``False`` every cell sees the
            bulk medium and the population's mean signals).
        seed: Seed of every random stream (an int >= 0).

    Attributes:
        t: The day reached.
        days: The last day of the run.
        done: Whether the run has reached its end (or its culture died out).
    """

    def __init__(self, prepared: Any, settings: Any, seed: int = 0) -> None:
        self.prepared = prepared
        self.compiled = prepared.compiled
        self.p = prepared.params
        self.settings = settings
        self.n_cells = int(settings.n_cells)
        self.u0 = self.compiled.u[0]
        size = settings.aggregate_size or self.u0[L.U_AGG]  # the engine's, else the protocol's
        self.aggregate_size = max(2, int(round(size)))
        self.dt = float(settings.dt)
        self.spatial, self.use_fields = settings.neighbours == "space", bool(settings.fields)
        self.seed = np.uint64(seed)
        self._t_wall = time.perf_counter()
        self._constants()
        self._seed_cells()
        self._setup_records(prepared.record_days, prepared.snapshot_days)
        self.days = float(self.compiled.t[-1])
        self.t = 0.0
        self.done = False
        self._seg = 0
        self._entered = False

    # ------------------------------------------------------------------ set-up
    def _constants(self) -> None:
        p = self.p
        self.comp = compound_table()
        self.decay_len = np.array([c.aggregate_decay_length_um for c in registry()])
        self.krel = gene_relaxation(p)
        self.ip, self.dp = param_arrays(p)
        self.pk = (p, self.ip, self.dp)
        self.diam = float(p[L.P_cell_diameter])
        self.reach = float(p[L.P_contact_range]) * self.diam
        self.cell_vol = math.pi * self.diam**3 / 6.0
        self.well_area = self.compiled.well_area
        self.well_um2 = self.well_area * UM2_PER_CM2
        self.seeded = self.compiled.seeded
        self.unit = self.seeded / self.n_cells
        self.step_no = 1
        self.stress = 0.0
        self.lineage = 1.0
        self.cum = np.zeros(3)  # divisions, deaths, replating change (seeded units)
        self.sums = np.zeros(N_SUMS)
        self.gsums = np.zeros((1, N_SUMS))
        self.ctl = np.zeros(N_CTL)
        self.counts3 = np.zeros(3, dtype=np.int64)
        self.timing = np.zeros(4)  # neighbours, fields and means, cells, births and deaths
        self.n_steps = 0
        self.cell_steps = 0
        self.unsorted = 0  # cells born, removed or re-placed since the storage was last sorted
        self.since_sort = 0
        self.endo_grids: dict[str, np.ndarray] = {}
        self.profiles_now: dict[str, Any] = {}

    def _seed_cells(self) -> None:
        n = self.n_cells
        c = Cells(int(n * 1.5))
        c.n = n
        init_cells(
            0, n, c.genes, c.phi, c.theta, c.kind, c.cid, c.group, c.phase, c.thresh, c.born,
            self.p, self.seed, 0, np.array(delivery_groups(self.prepared.protocol)),
        )  # fmt: skip
        c.next_id = n
        self.cells = c
        self.largest = n
        self.space = Space()
        if self.compiled.suspension:
            self._aggregates()
            self.stress = 1.0
        else:
            self._patch(n, self.compiled.seeding_density)
        deal_in_bin_order(c, self.space, max(self.reach, self.diam))

    def _setup_records(self, record_days: np.ndarray, snapshot_days: Any) -> None:
        self.rec_days = np.asarray(record_days, dtype=float)
        self.snap_set = {float(d) for d in snapshot_days}
        n_rec = len(self.rec_days)
        self.out = AbmOutput(
            self.rec_days,
            np.full((n_rec, L.N_CELL_TYPES), np.nan),
            np.full((n_rec, L.N_MARKERS), np.nan),
            np.full((n_rec, L.N_GLOBALS), np.nan),
        )
        self.rec_pos = 0
        self.log: list[tuple[float, ...]] = []
        self._neuron_buf = np.zeros(L.N_NEURON_CLASSES)

    # ------------------------------------------------------------------ geometry
    def _patch(self, n_live: int, density_per_cm2: float) -> None:
        side = math.sqrt(n_live / density_per_cm2 * UM2_PER_CM2)
        if side < 3.0 * self.reach:
            raise ParameterError(
                f"n_cells: {self.n_cells} cells make an adherent patch of {side:.0f} um, narrower "
                f"than three neighbourhoods ({3 * self.reach:.0f} um); simulate more cells"
            )
        s = self.space
        s.dims, s.box, s.n_groups = 2, np.array([side, side]), 0
        self.endo_grids.clear()
        place_patch(self.cells.pos, self.cells.group, self.cells.n, s.box, self.seed, self.step_no)

    def _aggregates(self) -> None:
        self.endo_grids.clear()
        cells = self.cells
        self.space.dims = 3
        keys = hash_uniform_np(int(self.seed), np.arange(cells.n), self.step_no, STREAM_GROUP)
        rank = np.empty(cells.n, dtype=np.int64)
        rank[np.argsort(keys, kind="stable")] = np.arange(cells.n)
        n_groups = place_aggregates(
            cells.pos, cells.group, cells.n, self.aggregate_size, self.diam, self.seed,
            self.step_no, rank,
        )  # fmt: skip
        self.space.n_groups = int(n_groups)

    # ------------------------------------------------------------------ records and operations
    def _record(self) -> None:
        """Record the next record day (the state now)."""
        day = float(self.rec_days[self.rec_pos])
        out, i = self.out, self.rec_pos
        record_kernel(
            self.cells.n, self.cells.genes, self.cells.kind, *self.pk, self.u0[L.U_CASSETTE_NIL],
            self.unit / self.seeded, out.types[i], out.markers[i], self._neuron_buf,
        )  # fmt: skip
        out.globals[i, L.X_STRESS] = self.stress
        out.globals[i, L.X_LINEAGE] = self.lineage
        out.globals[i, L.X_CUM_DIV : L.X_CUM_REPLATED + 1] = self.cum
        if day in self.snap_set:
            out.snapshots[day] = snapshot(self.cells, self.space, self.unit)
            if self.endo_grids:
                kept = {k: v.copy() for k, v in self.endo_grids.items() if k[0] != "_"}
                out.fields[day] = {**kept, "box": self.space.box.copy()}
            if self.profiles_now:
                out.fields[day] = {**out.fields.get(day, {}), **self.profiles_now}
        self.rec_pos += 1

    def _record_through(self, t: float) -> None:
        while self.rec_pos < len(self.rec_days) and self.rec_days[self.rec_pos] <= t + 1e-9:
            self._record()

    def _operation(self, code: int, count: float, t0: float) -> None:
        if code not in (L.OP_REPLATE, L.OP_AGGREGATE, L.OP_PLATE):
            return
        before = self.cells.n
        if code == L.OP_PLATE:
            self._plate()
        elif not self._reseed(code, count):
            return
        self.log.append((t0, before, 0, 0, 0, self.cells.n, code))

    def _plate(self) -> None:
        """Attach the aggregates as colonies (a format change: no cell is lost)."""
        s, cells = self.space, self.cells
        if s.dims != 3:
            return
        density = COLONY_PACKING * self.p[L.P_capacity_adherent] / UM2_PER_CM2
        side = math.sqrt(self.well_um2 / self.unit)
        box = np.array([side, side])
        place_colonies(
            cells.pos, cells.group, cells.n, s.n_groups, box, density, self.seed, self.step_no
        )
        s.dims, s.box, s.n_groups = 2, box, 0
        self.endo_grids.clear()
        self.unsorted = cells.n

    def _reseed(self, code: int, count: float) -> bool:
        """Replate or aggregate: keep a random sample of the cells; False if there are none."""
        cells = self.cells
        total_units = cells.n * self.unit / self.seeded
        if total_units <= 0:
            return False
        target = count * self.seeded / self.unit  # simulated cells the seeding asks for
        if target < cells.n:
            keep = max(int(round(target)), 1)
            keys = hash_uniform_np(
                int(self.seed), cells.cid[: cells.n], self.step_no, STREAM_SAMPLE
            )
            cells.keep(np.sort(np.argsort(keys, kind="stable")[:keep]))
        else:
            self.unit = count * self.seeded / cells.n
        scale = count / total_units
        self.lineage /= scale
        self.cum[2] += count - total_units
        self.stress = 1.0
        if code == L.OP_REPLATE:
            self._patch(cells.n, count * self.seeded / self.well_area)
        else:
            self._aggregates()
        self.unsorted = (
            cells.n
        )  # new positions: the storage order says nothing about space any more
        return True

    # ------------------------------------------------------------------ stepping
    def _enter_segment(self) -> None:
        """Start segment ``_seg``: record its first day, apply its operation, set its inputs."""
        s, c = self._seg, self.compiled
        t0 = float(c.t[s])
        self.t = t0
        self._record_through(t0)  # a day at a breakpoint is recorded before its operation
        if s > 0 or c.op[s] != L.OP_NONE:
            self._operation(int(c.op[s]), float(c.op_count[s]), t0)
        self.u = c.u[s]
        self.suspension = self.u[L.U_FORMAT] > 0.5
        self.h_next = self.dt * MIN_STEP  # a breakpoint starts a transient: begin small, then grow
        self.delta_prev = -1.0
        # aggregates hold compounds with a finite decay length back from their core
        present = np.nonzero((self.u[L.U_CONC :] > 0) & np.isfinite(self.decay_len))[0]
        in_aggregates = self.spatial and self.use_fields and self.space.dims == 3
        self.abs_idx = present.astype(np.int64) if in_aggregates else np.empty(0, np.int64)
        self._entered = True

    def _next_stop(self) -> float:
        """The next day a step must end on: a record day within the segment, or its end."""
        t1 = float(self.compiled.t[self._seg + 1])
        if self.rec_pos < len(self.rec_days):
            return min(t1, max(float(self.rec_days[self.rec_pos]), self.t))
        return t1

    def step(self) -> float:
        """Advance one step (at most ``dt`` days, ending on the next breakpoint or record day).

        Returns:
            The day reached.
        """
        if self.done:
            return self.t
        if self.n_steps >= MAX_STEPS:
            raise SimulationError(f"abm: more than {MAX_STEPS} steps; raise dt (now {self.dt:g})")
        if not self._entered:
            self._enter_segment()
        b = self._next_stop()
        if b - self.t > 1e-12:
            self._advance(b)
        if b - self.t <= 1e-12:  # reached the stop
            self.t = b
            self._record_through(b)
            if b >= float(self.compiled.t[self._seg + 1]):
                self._seg += 1
                self._entered = False
        if self.cells.n == 0 or self._seg >= len(self.compiled.t) - 1:
            self._finish()
        return self.t

    def _advance(self, b: float) -> None:
        t = self.t
        h = min(self.h_next, b - t)
        if b - t - h < 0.25 * h:  # do not leave a sliver before the stop
            h = b - t
        tick = time.perf_counter()
        conc = concentrations(t + 0.5 * h, self.u, self.comp)
        self.afz = np.stack(pathway_inputs_np(conc, self.comp))  # the medium's inputs this step
        n_groups = self._neighbours()
        self.timing[0] += time.perf_counter() - tick
        tick = time.perf_counter()
        delta_now, g_nodal, g_bmp, endo_mode = self._means(n_groups)
        prof = self._profiles(n_groups)
        self.timing[1] += time.perf_counter() - tick
        tick = time.perf_counter()
        self._controls(t, h, endo_mode)
        self._kernel(t, h, endo_mode, prof, g_nodal, g_bmp)
        self.timing[2] += time.perf_counter() - tick
        tick = time.perf_counter()
        self._events(t, h)
        self.timing[3] += time.perf_counter() - tick
        self.t = t + h
        # step size: the Notch-Delta loop couples cells through Delta with a high gain, and
        # the kernel holds Delta for a step; keep its change per step small
        if self.delta_prev >= 0.0:
            d0 = self.delta_prev
            change = abs(delta_now - d0) / max(delta_now, d0, DELTA_FLOOR)
            grow = DELTA_CHANGE / change if change > 0 else GROWTH
            self.h_next = min(self.dt, max(self.dt * MIN_STEP, h * min(GROWTH, max(0.5, grow))))
        self.delta_prev = delta_now

    def _neighbours(self) -> int:
        """Neighbour pass and mechanics (space mode); returns the aggregates the step sees."""
        n = self.cells.n
        n_groups = self.space.n_groups if (self.spatial and self.space.dims == 3) else 0
        if self.gsums.shape[0] < max(n_groups, 1):
            self.gsums = np.zeros((max(n_groups, 1), N_SUMS))
        if self.spatial and n > 0:  # takes the population sums on its way
            resort = self.unsorted >= RESORT_SHARE * n or self.since_sort >= RESORT_EVERY
            neighbours_and_mechanics(
                self.cells, self.space, self.diam, self.reach, resort, self.pk, self.afz,
                n_groups, self.sums, self.gsums,
            )  # fmt: skip
            self.unsorted, self.since_sort = (
                (0, 0) if resort else (self.unsorted, self.since_sort + 1)
            )
        return n_groups

    def _means(self, n_groups: int) -> tuple[float, np.ndarray, np.ndarray, int]:
        """Population means and endogenous signals; returns (Delta, per-aggregate Nodal, BMP, mode)."""
        p, ctl, sums, gsums, c = self.p, self.ctl, self.sums, self.gsums, self.cells
        if not self.spatial:
            population_sums(
                c.n, c.genes, c.kind, c.group, *self.pk, self.afz, n_groups, sums, gsums
            )
        inv_total = 1.0 / sums[S_TOTAL] if sums[S_TOTAL] > 0 else 0.0
        ctl[C_DENSITY] = self.unit * sums[S_TOTAL] / self.well_area  # cells per cm^2
        ctl[C_NODAL] = sums[S_NODAL] * inv_total  # mean emissions per cell
        ctl[C_BMP] = sums[S_BMP] * inv_total
        delta_now = sums[S_DELTA] / sums[S_PROG] if sums[S_PROG] > 0 else 0.0
        ctl[C_DELTA] = delta_now
        cap = p[L.P_capacity_suspension] if self.suspension else p[L.P_capacity_adherent]
        ctl[C_OCC] = self.unit * sums[S_TOTAL] / (cap * self.well_area)
        g_nodal = np.zeros(max(n_groups, 1))
        g_bmp = np.zeros(max(n_groups, 1))
        endo_mode = 0
        if n_groups > 0:
            tot = np.maximum(gsums[:n_groups, S_TOTAL], 1.0)
            g_nodal[:n_groups] = gsums[:n_groups, S_NODAL] / tot
            g_bmp[:n_groups] = gsums[:n_groups, S_BMP] / tot
            endo_mode = 2
        elif self.spatial and self.use_fields and self.space.dims == 2:
            if self.n_steps % FIELD_EVERY == 0 or "nodal" not in self.endo_grids:
                endogenous_fields(c, self.space, self.pk, self.afz, self.endo_grids)
            endo_mode = 1
        return delta_now, g_nodal, g_bmp, endo_mode

    def _profiles(self, n_groups: int) -> np.ndarray:
        """Compounds' profiles inside the aggregates (ones where there are none)."""
        prof = np.ones((max(n_groups, 1), max(len(self.abs_idx), 1), MAX_SHELLS))
        self.profiles_now = {}
        if len(self.abs_idx) and n_groups > 0:
            prof, self.profiles_now = aggregate_profiles(
                self.cells, self.space, self.abs_idx, self.decay_len, self.diam, self.cell_vol,
                registry,
            )  # fmt: skip
        return prof

    def _controls(self, t: float, h: float, endo_mode: int) -> None:
        """Fill the step's control vector (day, step, dissociation hazard, modes)."""
        p, ctl, u = self.p, self.ctl, self.u
        kr = p[L.P_stress_recovery]
        s = self.stress
        avg_stress = s * (1.0 - math.exp(-kr * h)) / (kr * h) if kr > 0 else s
        ctl[C_T] = t
        ctl[C_DT] = h
        ctl[C_STRESS] = avg_stress
        ctl[C_FMT] = 1.0 if self.suspension else 0.0
        ctl[C_AGG] = self.aggregate_size
        for c_index, u_index in LINE_CONTROLS:
            ctl[c_index] = u[u_index]
        ctl[C_NOISE] = p[L.P_abm_noise]
        ctl[C_NOTCH_LOCAL] = 1.0 if self.spatial else 0.0
        ctl[C_ENDO] = endo_mode
        local_occ = self.spatial and self.space.dims == 2
        ctl[C_OCC_LOCAL] = 1.0 if local_occ else 0.0
        cap_um2 = p[L.P_capacity_adherent] / UM2_PER_CM2
        ctl[C_OCC_SCALE] = 1.0 / (math.pi * self.reach * self.reach * cap_um2)
        ctl[C_DENS_SCALE] = UM2_PER_CM2 / (math.pi * self.reach * self.reach)

    def _kernel(self, t, h, endo_mode, prof, g_nodal, g_bmp) -> None:
        """Every cell's gene network, noise and fate over the step (compiled)."""
        c, u, comp, afz = self.cells, self.u, self.comp, self.afz
        grid = self.endo_grids["_pair"] if endo_mode == 1 else _NO_GRID
        step_cells(
            c.n, c.genes, c.phi, c.theta, c.kind, c.cid, c.group, c.phase, c.thresh, c.shell,
            c.notch, c.crowd, c.pos, grid, self.space.box, c.event, c.born, *self.pk, u, comp,
            self.ctl, self.seed, np.uint64(self.step_no), afz, self.abs_idx, prof, g_nodal, g_bmp,
            self.krel,
        )  # fmt: skip

    def _events(self, t: float, h: float) -> None:
        """Remove the dead, add the daughters, and keep the books."""
        c, counts3 = self.cells, self.counts3
        n = c.n
        c.reserve(n + int(np.count_nonzero(c.event[:n] == 1)))
        n_new, next_id = apply_events(
            n, c.genes, c.phi, c.theta, c.kind, c.cid, c.group, c.phase, c.thresh, c.born,
            c.notch, c.pos, c.event, self.seed, np.uint64(self.step_no), self.p, self.space.dims,
            self.space.box, np.uint64(c.next_id), t + h, counts3,
        )  # fmt: skip
        c.n, c.next_id = int(n_new), int(next_id)
        self.unsorted += int(counts3[0] + counts3[1])
        self.log.append((t, n, int(counts3[0]), int(counts3[1]), int(counts3[2]), c.n, 0))
        self.cell_steps += n
        self.cum[0] += counts3[0] * self.unit / self.seeded
        self.cum[1] += counts3[1] * self.unit / self.seeded
        self.stress *= math.exp(-self.p[L.P_stress_recovery] * h)
        self.largest = max(self.largest, c.n)
        self.step_no += 1
        self.n_steps += 1

    def _finish(self) -> None:
        """End the run: an empty culture is recorded as empty on every remaining day."""
        if self.cells.n == 0:
            while self.rec_pos < len(self.rec_days):
                self._record()
        self._record_through(self.t)
        if self.rec_pos < len(self.rec_days):  # pragma: no cover - a guard
            raise SimulationError(f"abm: recorded {self.rec_pos} of {len(self.rec_days)} days")
        self.done = True

    # ------------------------------------------------------------------ running and looking
    def run(self, trackers: Any = None) -> AbmOutput:
        """Step to the end (or until a tracker stops the run) and return the output.

        Args:
            trackers: A :class:`~ipscsim.trackers.TrackerCollection` (or a list of trackers).
        """
        from ...trackers import TrackerCollection

        tc = trackers if isinstance(trackers, TrackerCollection) else TrackerCollection(trackers)
        tc.initialize(self)
        try:
            going = tc.handle(self, self.t)
            while going and not self.done:
                self.step()
                going = tc.handle(self, self.t)
        finally:
            tc.finalize(self)
        return self.output(tc.stopped if not self.done else "")

    def output(self, stopped: str = "") -> AbmOutput:
        """What the run has recorded so far, with its statistics (records up to the day reached)."""
        out = self.out
        if not self.done:  # stopped early: keep the days recorded so far
            k = self.rec_pos
            out = AbmOutput(
                out.days[:k], out.types[:k], out.markers[:k], out.globals[:k], out.snapshots,
                out.fields,
            )  # fmt: skip
        out.stopped = stopped
        out.step_log = np.array(self.log, dtype=float).reshape(-1, 7)
        c = self.cells
        out.stats = {
            "steps": self.n_steps,
            "largest_population": int(self.largest),
            "final_population": int(c.n),
            "cells_simulated": int(c.next_id),
            "bytes_per_slot": c.nbytes / max(c.capacity, 1),
            "bytes_total": int(c.nbytes + self.space.start.nbytes),
            "capacity": int(c.capacity),
            "wall_time_s": time.perf_counter() - self._t_wall,
            "cell_steps": int(self.cell_steps),
            "time_neighbours_s": float(self.timing[0]),
            "time_fields_s": float(self.timing[1]),
            "time_cells_s": float(self.timing[2]),
            "time_events_s": float(self.timing[3]),
            "unit": self.unit,
        }
        return out

    def snapshot(self):
        """Every live cell now, one row per cell, as :meth:`ipscsim.results.Result.snapshot` gives them."""
        from ...model.readouts import cells_frame

        return cells_frame(
            snapshot(self.cells, self.space, self.unit), self.t, self.p, int(self.seed)
        )

    def composition(self) -> dict[str, float]:
        """Fraction of live cells of each cell type now (the population readouts' gates)."""
        from ...model.readouts import CELL_TYPES

        types, markers = np.zeros(L.N_CELL_TYPES), np.zeros(L.N_MARKERS)
        c, nil = self.cells, self.u0[L.U_CASSETTE_NIL]
        record_kernel(
            c.n, c.genes, c.kind, *self.pk, nil, 1.0, types, markers, np.zeros(L.N_NEURON_CLASSES)
        )
        total = types.sum()
        return {
            k: float(v / total) if total > 0 else 0.0
            for k, v in zip(CELL_TYPES, types, strict=True)
        }


def run_abm(
    prepared: Any, n_cells: int, seed: int, trackers: Any = None, **settings: Any
) -> AbmOutput:
    """Run the agent-based engine on a prepared run to its end (see :class:`AbmRun`)."""
    return AbmRun(prepared, n_cells, seed, **settings).run(trackers)
