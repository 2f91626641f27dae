"""The agent-based engine: kernels against their numpy references, and the issue's guarantees."""

import math

import numpy as np
import pytest
from scipy.special import k0

import ipscsim as ips
from ipscsim import ParameterError
from ipscsim.engines.abm import fields as F
from ipscsim.engines.abm import rng as R
from ipscsim.engines.abm import space as S
from ipscsim.engines.abm.cells import Cells
from ipscsim.model import layout as L
from ipscsim.model.parameters import resolve_params
from ipscsim.protocols.compounds import PATHWAYS

NOISE_OFF = {"abm_noise": 0.0, "partition_noise": 0.0, "cycle_shape": 1}


# ---------------------------------------------------------------- kernels against references
def test_random_streams_are_counter_based_and_match_numpy():
    from numba import njit

    @njit
    def draw(seed, cells, step, stream):
        out = np.empty(cells.shape[0])
        for i in range(cells.shape[0]):
            out[i] = R.uniform(seed, cells[i], step, stream)
        return out

    cells = np.arange(50_000, dtype=np.uint64)
    a = draw(np.uint64(7), cells, np.uint64(3), np.uint64(R.STREAM_EVENT))
    np.testing.assert_array_equal(a, R.hash_uniform_np(7, cells, 3, R.STREAM_EVENT))
    assert abs(a.mean() - 0.5) < 0.005
    assert abs(a.var() - 1 / 12) < 0.002
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 0.02
    # another stream, step or seed gives unrelated numbers
    b = R.hash_uniform_np(7, cells, 3, R.STREAM_FATE)
    c = R.hash_uniform_np(8, cells, 3, R.STREAM_EVENT)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.02
    assert abs(np.corrcoef(a, c)[0, 1]) < 0.02


def _population(n, dims, seed=0):
    rng = np.random.default_rng(seed)
    c = Cells(n)
    c.n = n
    groups = 0
    if dims == 2:
        side = math.sqrt(n / 0.006)
        box = np.array([side, side])
        c.pos[:n, :2] = rng.random((n, 2)) * side
    else:
        box = np.ones(2)
        groups = 3
        for g in range(groups):
            sel = np.arange(n) % groups == g
            m = sel.sum()
            radius = (m * math.pi * 12**3 / 6 / 0.64 * 3 / (4 * math.pi)) ** (1 / 3)
            v = rng.normal(size=(m, 3))
            v /= np.linalg.norm(v, axis=1)[:, None]
            c.pos[:n][sel] = v * radius * rng.random((m, 1)) ** (1 / 3) + 10_000.0 * g + 500.0
            c.group[:n][sel] = g
    c.genes[:n] = rng.random((n, L.N_GENES))
    c.kind[:n] = (rng.random(n) < 0.25).astype(np.int8) * 3
    return c, box, groups


@pytest.mark.parametrize("dims", [2, 3])
def test_neighbour_pass_matches_all_pairs(dims):
    c, box, groups = _population(1500, dims)
    n, diam, reach = c.n, 12.0, 18.0
    bin_size = reach
    geo = np.zeros((max(groups, 1), 7), dtype=np.int64)
    n_bins = S.grid_geometry(c.pos, n, dims, box, bin_size, c.group, groups, geo)
    start = np.empty(n_bins + 1, dtype=np.int64)
    most = S.build_cell_list(
        c.pos, n, dims, box, bin_size, n_bins, c.group, geo, c.cell_key, c.order, start
    )
    assert np.all(np.diff(c.cell_key[c.order[:n]]) >= 0)  # sorted by bin
    assert most == np.bincount(c.cell_key[:n]).max()
    from ipscsim.engines.abm.readouts import N_SUMS, population_sums
    from ipscsim.engines.kernels import param_arrays

    p = resolve_params()
    ip, dp = param_arrays(p)
    sums, gsums = np.zeros(N_SUMS), np.zeros((max(groups, 1), N_SUMS))
    afz = np.ones((3, L.N_PATHWAYS))  # the medium: WNT on (the emissions read it), the rest off
    afz[0] = 0.0
    afz[0, PATHWAYS.index("WNT")] = 2.0
    S.sorted_copies(
        n, c.order, c.pos, c.genes, c.kind, c.group, p, ip, dp, afz, groups, c.sx, c.sy, c.sz,
        c.src, sums, gsums,
    )  # fmt: skip
    # the same sums as the population pass, and the copies are the cells in bin order
    ref, gref = np.zeros(N_SUMS), np.zeros((max(groups, 1), N_SUMS))
    population_sums(n, c.genes, c.kind, c.group, p, ip, dp, afz, groups, ref, gref)
    np.testing.assert_allclose(sums, ref, rtol=1e-12)
    np.testing.assert_allclose(gsums, gref, rtol=1e-12)
    np.testing.assert_array_equal(c.sx[:n], c.pos[c.order[:n], 0])
    nx, ny = (max(1, int(b / bin_size)) for b in box)
    S.neighbour_pass(
        n_bins,
        dims,
        box,
        nx,
        ny,
        geo,
        c.group,
        c.order,
        start,
        most,
        c.sx,
        c.sy,
        c.sz,
        c.src,
        diam,
        reach,
        c.notch,
        c.crowd,
        c.disp,
    )
    notch, crowd, disp = S.neighbours_bruteforce(
        c.pos[:n], dims, box, c.genes[:n], c.kind[:n], c.group[:n], diam, reach
    )
    np.testing.assert_array_equal(c.crowd[:n], crowd)
    np.testing.assert_allclose(c.notch[:n], notch, rtol=1e-5, atol=1e-6)  # float32 positions
    np.testing.assert_allclose(c.disp[:n], disp, rtol=1e-4, atol=1e-4)
    assert crowd.mean() > (5 if dims == 2 else 10)


def test_radial_field_matches_the_exact_sphere_and_a_dense_solve():
    radius, lam, cell_vol = 150.0, 60.0, 1000.0
    errs = []
    for width in (15.0, 7.5, 3.0):
        nb = math.ceil(radius / width)
        r0 = np.arange(nb) * width
        r1 = np.minimum(r0 + width, radius)
        counts = 4 / 3 * np.pi * (r1**3 - r0**3) * F.PACKING / cell_vol  # uniformly packed
        out = np.empty(nb)
        F.radial_profile(counts, width, radius, lam, cell_vol, out)
        np.testing.assert_allclose(
            out, F.radial_profile_np(counts, width, radius, lam, cell_vol), rtol=1e-12
        )
        exact = F.sphere_exact(r0 + 0.5 * (r1 - r0), radius, lam)
        errs.append(np.max(np.abs(out - exact)))
    assert errs[-1] < 2e-4
    assert errs[0] / errs[1] > 3.0  # second order in the shell width
    # no uptake: the core sees the bulk
    out = np.empty(10)
    F.radial_profile(np.ones(10), 10.0, 100.0, math.inf, cell_vol, out)
    np.testing.assert_array_equal(out, 1.0)


def test_paracrine_field_solves_the_screened_poisson_equation():
    n, h, ell = 256, 10.0, 100.0
    box = np.array([n * h, n * h])
    uniform = np.full((n, n), 0.37)
    np.testing.assert_allclose(F.screened_poisson_2d(uniform, box, ell), 0.37, rtol=1e-12)
    point = np.zeros((n, n))
    point[n // 2, n // 2] = 1.0 / (h * h)  # unit amount in one cell
    sol = F.screened_poisson_2d(point, box, ell)
    x = (np.arange(n) - n // 2) * h
    r = np.abs(x)
    sel = (r >= 50) & (r <= 400)
    green = k0(r[sel] / ell) / (2 * np.pi * ell**2)
    np.testing.assert_allclose(sol[n // 2, sel], green, rtol=0.01)
    assert sol.sum() * h * h == pytest.approx(1.0, rel=1e-9)  # decay conserves nothing away


def test_the_paired_field_read_of_the_step_matches_sample_2d():
    """cic_sample_pair (what step_cells reads on a patch) against sample_2d, box edges included."""
    import numba

    read = numba.njit(lambda g, x, y, ix, iy: F.cic_sample_pair(g, x, y, ix, iy))
    rng = np.random.default_rng(5)
    box = np.array([700.0, 450.0])
    grids = rng.random((2, 9, 14))
    pair = np.ascontiguousarray(np.stack(grids, axis=-1))
    n = 400
    pos = np.zeros((n, 3), dtype=np.float32)
    pos[:, 0] = rng.random(n) * box[0]
    pos[:, 1] = rng.random(n) * box[1]
    pos[:4, :2] = [
        [0.0, 0.0],
        [np.nextafter(box[0], 0), 1.0],
        [5.0, np.nextafter(box[1], 0)],
        [0, 449.9],
    ]
    want = np.empty((2, n))
    for q in range(2):
        F.sample_2d(grids[q], pos, n, box, want[q])
    ix, iy = 14 / box[0], 9 / box[1]
    got = np.array([read(pair, float(x), float(y), ix, iy) for x, y in pos[:, :2]]).T
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_deposit_and_sample_are_consistent():
    rng = np.random.default_rng(1)
    n = 5000
    box = np.array([800.0, 600.0])
    pos = np.zeros((n, 3), dtype=np.float32)
    pos[:, :2] = rng.random((n, 2)) * box
    values = rng.random(n)
    grid = np.zeros((30, 40))
    F.deposit_2d(pos, values, n, box, grid)
    assert grid.sum() * (box[0] / 40) * (box[1] / 30) == pytest.approx(values.sum(), rel=1e-9)
    out = np.empty(n)
    F.sample_2d(np.full((30, 40), 2.5), pos, n, box, out)
    np.testing.assert_allclose(out, 2.5, rtol=1e-12)


def test_readouts_score_each_cell_as_the_ode_gates_score_a_cohort():
    """A culture of cells scored by the agent-based readout equals the same cells as ODE cohorts
    (one cohort a cell: a progenitor, or one neuron of its class born at its level) scored by the
    numpy readouts."""
    from ipscsim.engines.abm.readouts import record_readouts
    from ipscsim.engines.kernels import param_arrays
    from ipscsim.model.network import CELL_TYPES, MARKERS, NEURON_CLASSES
    from ipscsim.model.readouts import readout_counts

    rng = np.random.default_rng(2)
    n = 400
    p = resolve_params(None)
    ip, dp = param_arrays(p)
    genes = rng.random((n, L.N_GENES)) * 1.2
    genes[:, L.G_LEVEL] = rng.uniform(0, 11, n)
    n_cls = len(NEURON_CLASSES)
    kind = rng.choice(n_cls + 1, size=n, p=[0.6] + [0.4 / n_cls] * n_cls).astype(np.int8)
    types, markers = np.empty(len(CELL_TYPES)), np.empty(len(MARKERS))
    neurons = np.empty(n_cls)
    record_readouts(n, genes, kind, p, ip, dp, 1.0, 2.0, types, markers, neurons)
    state = np.zeros(L.n_state(n))
    blocks = state[: n * L.N_COHORT].reshape(n, L.N_COHORT)
    blocks[:, : L.N_GENES] = genes
    for i, k in enumerate(kind):
        blocks[i, L.C_PROG + k] = 1.0
        if k:  # a neuron of class k, born at its level
            blocks[i, L.C_LV_MMC + k - 1] = genes[i, L.G_LEVEL]
    ref_types, ref_markers = readout_counts(state[None], p, n, cassette_nil=1.0)
    np.testing.assert_allclose(types, 2.0 * ref_types[0], rtol=1e-10)
    np.testing.assert_allclose(markers, 2.0 * ref_markers[0], rtol=1e-10)
    np.testing.assert_array_equal(neurons, 2.0 * np.bincount(kind, minlength=n_cls + 1)[1:])


def test_one_step_matches_the_numpy_reference():
    from ipscsim.engines.abm import step as ST
    from ipscsim.engines.kernels import param_arrays
    from ipscsim.model.abm_reference import step_reference
    from ipscsim.model.inputs import compile_protocol
    from ipscsim.model.pharmacology import compound_table, concentrations, pathway_inputs

    rng = np.random.default_rng(3)
    n = 300
    p = resolve_params({"abm_noise": 0.1})
    ip, dp = param_arrays(p)
    cp = compile_protocol(ips.protocols.get("maury2015"))
    seg = int(np.searchsorted(cp.t, 9.5, side="right") - 1)
    u = cp.u[seg]
    comp = compound_table()
    c = Cells(n)
    c.n = n
    c.genes[:n] = rng.random((n, L.N_GENES))
    c.genes[:n, L.G_NGN2] *= 2.0  # some cells ready to make neurons
    c.phi[:n] = np.exp(0.35 * rng.normal(size=n))
    c.theta[:n] = np.exp(0.15 * rng.normal(size=n))
    c.kind[:n] = np.where(rng.random(n) < 0.2, rng.integers(1, 8, n), 0)
    c.cid[:n] = np.arange(n) * 7 + 11
    c.thresh[:n] = rng.random(n)
    c.phase[:n] = c.thresh[:n] * rng.random(n)
    c.notch[:n] = rng.random(n) * 0.3
    c.crowd[:n] = rng.integers(1, 12, n)
    c.group[:n] = -1
    before = (c.genes[:n].copy(), c.kind[:n].copy(), c.phase[:n].copy())
    ctl = np.zeros(ST.N_CTL)
    ctl[ST.C_T], ctl[ST.C_DT], ctl[ST.C_NODAL], ctl[ST.C_BMP] = 9.5, 0.05, 0.3, 0.1
    ctl[ST.C_DELTA], ctl[ST.C_OCC], ctl[ST.C_STRESS], ctl[ST.C_FMT] = 0.2, 0.4, 0.5, 1.0
    ctl[ST.C_MN_HAZARD], ctl[ST.C_NOISE], ctl[ST.C_NOTCH_LOCAL], ctl[ST.C_ENDO] = 1.0, 0.1, 1.0, 0.0
    ctl[ST.C_OCC_LOCAL], ctl[ST.C_OCC_SCALE], ctl[ST.C_DENSITY] = 1.0, 0.08, 1e5
    ctl[ST.C_DENS_SCALE], ctl[ST.C_AGG], ctl[ST.C_CAS_NIL], ctl[ST.C_CAS_NGN2] = 9e3, 1500.0, 0, 1
    ctl[ST.C_MN_DEPRIVATION] = 1.7
    afz = np.stack(pathway_inputs(concentrations(9.525, u, comp), comp))
    krel = ST.gene_relaxation(p)
    ST.step_cells(
        n, c.genes, c.phi, c.theta, c.kind, c.cid, c.group, c.phase, c.thresh, c.shell, c.notch,
        c.crowd, c.pos, np.zeros((1, 1, 2), dtype=np.float32), np.ones(2), c.event, c.born,
        p, ip, dp, u, comp, ctl, np.uint64(5), np.uint64(42), afz, np.empty(0, np.int64),
        np.ones((1, 1, 1)), np.zeros(1), np.zeros(1), krel,
    )  # fmt: skip
    env = {
        "nodal_src": 0.3,
        "bmp_src": 0.1,
        "delta": c.notch[:n].astype(float),
        "occ": S.local_occupancy_reference(c.crowd[:n], 0.08),
        "density": c.crowd[:n] * 9e3,
        "fmt": 1.0,
        "agg": 1500.0,
        "stress": 0.5,
        "mn_hazard": 1.0,
        "cassette_nil": 0.0,
        "cassette_ngn2": 1.0,
        "mn_deprivation": 1.7,
    }
    genes, kind, phase, event = step_reference(
        before[0], c.phi[:n], c.theta[:n], before[1], c.cid[:n], before[2], c.thresh[:n], env,
        p, u, comp, 9.5, 0.05, 5, 42, krel,
    )  # fmt: skip
    # the engine stores genes in single precision: equal to the reference's up to that rounding
    np.testing.assert_allclose(c.genes[:n], genes, rtol=1.2e-7, atol=1e-30)
    np.testing.assert_array_equal(c.kind[:n], kind)
    np.testing.assert_array_equal(c.event[:n], event)
    np.testing.assert_allclose(c.phase[:n], phase, rtol=1e-6)
    assert {0, 1, 2, 3} <= set(event.tolist())  # every outcome was exercised


def _relaxed_sheet(occ: float, n: int, rng) -> np.ndarray:
    """Cells within reach of each of ``n`` cells placed at random at occupancy ``occ`` of the
    default adherent capacity, after the repulsion has relaxed the sheet (numpy reference pass)."""
    side = math.sqrt(n / (occ * 800_000 / 1e8))
    box = np.array([side, side, 0.0])
    pos = np.zeros((n, 3))
    pos[:, :2] = rng.uniform(0.0, side, (n, 2))
    genes, kind, group = np.zeros((n, L.N_GENES)), np.zeros(n, np.int64), np.zeros(n, np.int64)
    for _ in range(40):
        disp = S.neighbours_bruteforce(pos, 2, box, genes, kind, group, 12.0, 18.0)[2]
        pos[:, :2] = (pos[:, :2] + disp[:, :2]) % side
    return S.neighbours_bruteforce(pos, 2, box, genes, kind, group, 12.0, 18.0)[1]


def test_local_occupancy_reads_the_density_of_a_relaxed_sheet():
    """Contact inhibition on a patch reads the local occupancy from the cells within reach. On sheets
    of known density relaxed by the engine's repulsion, the mean division allowance ``1 - occ`` it
    gives is the mean field's within 0.04 from 0.1 to 0.9 of capacity (measured at most 0.024 up
    to 0.8 and 0.033 at 0.9 on 2,000 cells); counting the cell itself among them (the estimator
    before 2026-12-07) allowed 0.12 less at low density; the kernel matches the numpy reference."""
    rng = np.random.default_rng(3)
    per_cell = 1.0 / (math.pi * 18.0**2 * 800_000 / 1e8)  # 1 / A, A = 8.14 cells within reach
    for occ in (0.1, 0.3, 0.5, 0.7, 0.9):
        crowd = _relaxed_sheet(occ, 800, rng)
        est = S.local_occupancy_reference(crowd, per_cell)
        assert np.maximum(1.0 - est, 0.0).mean() == pytest.approx(1.0 - occ, abs=0.04)
        if occ < 0.4:  # the self-counting estimator: a clear bias where the sheet is sparse
            assert np.maximum(1.0 - crowd * per_cell, 0.0).mean() < 1.0 - occ - 0.08
    assert S.local_occupancy(1.0, per_cell) == 0.0  # a cell alone
    for c in (2.0, 5.0, 9.0, 30.0):
        assert S.local_occupancy(c, per_cell) == pytest.approx(
            S.local_occupancy_reference(np.array([c]), per_cell)[0], rel=1e-12
        )


@pytest.mark.parametrize("dims", [2, 3])
def test_births_and_deaths_match_the_numpy_reference(dims):
    """apply_events (compaction, then daughters placed in parallel) against events_reference."""
    from ipscsim.engines.abm.step import apply_events
    from ipscsim.model.abm_reference import events_reference

    rng = np.random.default_rng(11)
    n = 5000  # several parallel blocks of daughters
    c, box, _ = _population(n, dims, seed=4)
    c.reserve(2 * n)
    c.cid[:n] = rng.permutation(n).astype(np.uint64) * 3 + 1
    c.phi[:n] = rng.random(n) + 0.5
    c.theta[:n] = rng.random(n) + 0.5
    c.phase[:n] = rng.random(n)
    c.thresh[:n] = rng.random(n) + 1.0
    c.born[:n] = rng.random(n)
    if dims == 2:
        c.pos[:n, :2] = np.clip(c.pos[:n, :2], 0.5, box[0] - 0.5)
        c.pos[:50, 0] = 1.0  # daughters across the periodic edge
    c.event[:n] = rng.choice(np.array([0, 1, 2, 3], np.int8), n, p=[0.6, 0.2, 0.15, 0.05])
    c.event[n - 40 : n] = 2  # a run of dead cells at the end of the storage
    c.notch[:n] = rng.random(n)
    names = (
        "genes",
        "phi",
        "theta",
        "kind",
        "cid",
        "group",
        "phase",
        "thresh",
        "born",
        "notch",
        "pos",
    )
    before = {k: getattr(c, k)[:n].copy() for k in names}
    events = c.event[:n].copy()
    p = resolve_params({"partition_noise": 0.2})
    counts = np.zeros(3, dtype=np.int64)
    n_new, next_id = apply_events(
        n,
        *(getattr(c, k) for k in names),
        c.event,
        np.uint64(9),
        np.uint64(77),
        p,
        dims,
        box,
        np.uint64(10**6),
        4.25,
        counts,
    )
    ref, births, deaths, neurons = events_reference(
        before, events, 9, 77, p, dims, box, 10**6, 4.25
    )
    assert (births, deaths, neurons) == tuple(counts)
    assert births > 500
    assert deaths > 500
    assert n_new == n - deaths + births
    assert next_id == 10**6 + births
    for k in names:
        got = getattr(c, k)[:n_new]
        if got.dtype.kind == "f":
            np.testing.assert_allclose(got, ref[k], rtol=2e-7, atol=1e-6, err_msg=k)
        else:
            np.testing.assert_array_equal(got, ref[k], err_msg=k)
    if dims == 2:
        assert np.all((c.pos[:n_new, :2] >= 0) & (c.pos[:n_new, :2] < box[0]))


# ---------------------------------------------------------------- guarantees of the engine
def test_same_seed_same_result_on_one_thread_or_two():
    kw = dict(engine=ips.ABM(n_cells=3000), seed=11, record=ips.Record(snapshots=[12.0]))
    a = ips.simulate("maury2015", n_threads=1, **kw)
    b = ips.simulate("maury2015", n_threads=2, **kw)
    np.testing.assert_array_equal(a.counts_by_type, b.counts_by_type)
    np.testing.assert_array_equal(a.records, b.records)
    sa, sb = a.snapshot(12.0), b.snapshot(12.0)
    np.testing.assert_array_equal(
        sa[["x", "y", "OLIG2", "NGN2"]].values, sb[["x", "y", "OLIG2", "NGN2"]].values
    )
    c = ips.simulate("maury2015", n_threads=2, **{**kw, "seed": 12})
    assert not np.array_equal(a.counts_by_type, c.counts_by_type)
    assert a.meta["seed"] == 11
    assert a.meta["engine"] == "abm"


def _sb_chir():
    """Neural crest by WNT with the cells' own BMP: their emissions read the medium's WNT and FGF."""
    from ipscsim.validation.perturbations import apply_perturbation

    text = "without Noggin; medium N2B27; add CHIR99021 3 uM 0 11"
    return apply_perturbation(ips.protocols.get("chambers2009"), text).protocol


def _late_ra():
    """Programming before RA: the neurons are born rostral, and RA from day 6 caudalises the rest."""
    from ipscsim.validation.perturbations import apply_perturbation

    text = "without RA; add RA 1 uM 6 11"
    return apply_perturbation(ips.protocols.get("hester2011"), text).protocol


#: Markers that gate a neuron's rostro-caudal level (the rest read its class).
LEVEL_MARKERS = ["HOX", "OTX2", "EN1", "HOXB4", "HOXC6", "HOXC8", "HOXC9", "HOXC10"]


@pytest.mark.parametrize("name", ["maury2015", "du2015", "sb_chir", "hester2011", "late_ra"])
def test_mean_field_limit_tracks_the_ode_engine(name):
    """Noise off, neighbours replaced by population means, 20,000 cells: within 0.02 of the ODE.

    Every fraction and every marker that reads a cell's class (measured: 0.015 at most), and the
    total count within 3% at every day (measured: 0.979-1.011 of the ODE's): the seeded cells hold
    the stable age distribution, so they divide at the ODE engine's rate from the first hour (with
    progress drawn uniformly they made up to 30% more cells in the first day, and the fractions
    differed by up to 0.03), and a dividing cell's progress past its threshold is carried into both
    cells (reset to zero, every division lost part of a step: 0.957 of the ODE's count).

    The ODE engine is run with 200 cohorts: its default 12-cohort quadrature of the cells'
    heterogeneity is itself off by up to ~0.04 in these fast transitions (docs/engines.md).
    ``sb_chir`` makes neural crest through the BMP the cells make under WNT, so both engines' emissions
    read the medium the same way. ``hester2011`` is a mosaic: its adenoviral delivery reaches some
    cells with all three factors, some with NGN2 alone and some with none (cohort groups in the ODE
    engine, a draw per cell in the agent-based one).

    A neuron keeps the level it was born at: an agent-based neuron its own, the ODE engine's
    neuron classes their mean (``LV_c / c``). ``late_ra`` programs MNs before RA: both engines keep
    them HOX-negative while RA caudalises the remaining progenitors (the ODE engine once scored them
    with their progenitors' new level: HOX 1.0 against 0.27). In ``hester2011`` RA raises the level
    while programmed MNs are born at every level it passes, and a gate of the class's mean level is
    not the mean of its neurons' gates: the level markers differ by up to 0.152 there (HOXB4, day
    5.25: 0.54 against 0.39; 0.14 while seeded cells divided too fast in their first hours, until
    2026-12-07; 0.13 on day 4 while the cells' own FGF shifted every level by 0.23 at any age, until
    2026-12-06; 0.32 before the birth levels were kept).
    """
    name = {"sb_chir": _sb_chir, "late_ra": _late_ra}.get(name, lambda: name)()
    abm = ips.simulate(
        name, engine=ips.ABM(n_cells=20000, neighbours="mean"), seed=1, params=NOISE_OFF
    )
    ode = ips.simulate(name, engine=ips.ODE(cohorts=200), params=NOISE_OFF)
    diff = np.abs(abm.fractions.values - ode.fractions.values)
    assert np.nanmax(diff) < 0.02, (abm.days[np.nanargmax(diff.max(axis=1))], np.nanmax(diff))
    level = abm.markers.columns.isin(LEVEL_MARKERS)
    gap = np.abs(abm.markers.values - ode.markers.values)
    assert np.nanmax(gap[:, ~level]) < 0.02
    assert np.nanmax(gap[:, level]) < (0.17 if name == "hester2011" else 0.02)
    ratio = abm.counts["total"].values / ode.counts["total"].values
    assert np.all(np.abs(ratio - 1.0) < 0.03), (np.nanmin(ratio), np.nanmax(ratio))


def test_with_noise_fractions_converge_as_cells_grow():
    """Seed-to-seed spread shrinks like 1/sqrt(n) (binomial noise), and the mean does not drift with n.

    The spread is the root-mean-square over days and three fractions of the standard deviation across
    six seeds. Its log-log slope against n is -0.5 for binomial noise; with six seeds the fitted slope
    has a sampling sd of about 0.12 (measured over three disjoint seed sets: 0.38, 0.40, 0.61), so the
    band is 0.5 +- 0.25. A spread that did not fall with n (slope 0) or fell like 1/n (slope 1) fails.
    """
    sizes = (2_000, 8_000, 32_000)
    spread, means = [], []
    for n in sizes:
        f = np.array(
            [
                ips.simulate(
                    "chambers2009",
                    engine=ips.ABM(n_cells=n, neighbours="mean"),
                    seed=s,
                    days=8,
                    progress=False,
                )
                .fractions[["iPSC", "neuroectoderm", "rostral_progenitor"]]
                .values
                for s in range(1, 7)
            ]
        )
        spread.append(np.sqrt(np.nanmean(np.nanstd(f, axis=0, ddof=1) ** 2)))
        means.append(np.nanmean(f, axis=0))
    slope = -np.polyfit(np.log(sizes), np.log(spread), 1)[0]
    assert 0.25 < slope < 0.75, (slope, spread)
    assert spread[-1] < 0.003, spread
    # the mean over six seeds at 2,000 cells sits within binomial noise of that at 32,000
    assert np.nanmax(np.abs(means[0] - means[-1])) < 0.01


def _newborn_neighbour_ratio(result, day, window=1.0, reach=18.0):
    snap = result.snapshot(day)
    box = np.array(snap.attrs["box_um"])
    xy = snap[["x", "y"]].to_numpy()
    new = ((snap["kind"] != "progenitor") & (snap["born"] > day - window)).to_numpy()
    from scipy.spatial import cKDTree

    tree = cKDTree(xy, boxsize=box)
    pairs = tree.query_pairs(reach, output_type="ndarray")
    both = new[pairs[:, 0]] & new[pairs[:, 1]]
    one = new[pairs[:, 0]] | new[pairs[:, 1]]
    share = new.mean()
    # fraction of a newborn's neighbours that are newborn, over what chance gives
    neighbours_of_new = 2 * both.sum() + (one & ~both).sum()
    return (2 * both.sum() / neighbours_of_new) / share, new.sum()


def test_lateral_inhibition_spaces_out_new_neurons():
    """With Notch active, neurons born together are less often neighbours than by chance or under DAPT.

    Dual-SMAD neural induction (chambers2009), dense by day 10; the variant adds DAPT from day 6.
    Statistic: among the contact neighbours (within 1.5 diameters) of neurons born in the last day,
    the share that are also newborn neurons, divided by the newborn share of all cells (1 = chance).
    Under DAPT it exceeds 1 (sisters are born side by side and share their state: 1.14-1.17 over
    seeds 1-4); Notch pushes it below chance (0.82-0.90).
    """
    p = ips.protocols.get("chambers2009")
    dapt = p.with_step("DAPT", 10, unit="uM", start=6, end=p.days)
    kw = dict(engine=ips.ABM(n_cells=10000), seed=4, days=10, record=ips.Record(snapshots=[10.0]))
    with_notch, n1 = _newborn_neighbour_ratio(ips.simulate(p, **kw), 10.0)
    with_dapt, n2 = _newborn_neighbour_ratio(ips.simulate(dapt, **kw), 10.0)
    assert n1 > 1000
    assert n2 > 1000
    assert with_notch < 0.95
    assert with_notch < with_dapt - 0.2


def test_births_minus_deaths_is_the_change_in_live_cells_at_every_step():
    r = ips.simulate("du2015", engine=ips.ABM(n_cells=3000), seed=2)
    ev = r.events
    steps = ev[ev.operation == "step"]
    np.testing.assert_array_equal(steps.live_after - steps.live_before, steps.births - steps.deaths)
    # consecutive rows chain: what one step leaves, the next starts from
    np.testing.assert_array_equal(ev.live_before.values[1:], ev.live_after.values[:-1])
    # and the recorded total is the live cells times their weight
    last = r.snapshot()
    assert r.counts["total"].iloc[-1] == pytest.approx(len(last) * last.attrs["unit"], rel=1e-9)


def test_aggregate_core_sees_less_of_a_protein_than_its_shell():
    proto = ips.Protocol.from_dict(
        {
            **ips.protocols.get("chambers2009").to_dict(),
            "format": "suspension",
            "name": "chambers_eb",
        }
    )
    r = ips.simulate(
        proto,
        engine=ips.ABM(n_cells=40000, aggregate_size=20000),
        seed=3,
        days=3,
        record=ips.Record(snapshots=[2.0]),
    )
    prof = r.field("Noggin", 2.0)
    centre, shell = prof.iloc[0].mean(), prof.dropna().iloc[-1].mean()
    assert centre < 0.7 * shell
    assert np.all(np.diff(prof[0].dropna().values) >= -1e-12)  # rises from core to surface
    # small molecules reach the core at the bulk concentration
    with pytest.raises(ParameterError, match="SB431542"):
        r.field("SB431542", 2.0)


def test_abm_result_reads_like_an_ode_result():
    r = ips.simulate(
        "hester2011", engine=ips.ABM(n_cells=2000), seed=5, record=ips.Record(snapshots=[4.0])
    )
    np.testing.assert_allclose(r.fractions.sum(axis=1), 1.0, rtol=1e-9)
    assert ((r.markers >= 0) & (r.markers <= 1)).all().all()
    s = r.summary()
    assert s["mn_fraction"] > 0.5
    snap = r.snapshot(4.0)
    for col in ("x", "y", "identity", "kind", "OLIG2", "LEVEL", "NGN2", "born"):
        assert col in snap.columns
    assert set(snap["identity"].unique()) <= set(r.fractions.columns)
    # scored identities average to the expected fractions
    share = snap["identity"].value_counts(normalize=True)
    assert abs(share.get("MN", 0.0) - np.interp(4.0, r.days, r.fractions["MN"])) < 0.03
    assert r.snapshot_days == [4.0, 11.0]
    with pytest.raises(ParameterError, match="no snapshot"):
        r.snapshot(5.0)


def test_bad_abm_inputs_are_explained():
    with pytest.raises(ParameterError, match="n_cells"):
        ips.simulate("maury2015", engine=ips.ABM(n_cells=5))
    with pytest.raises(ParameterError, match="neighbours"):
        ips.simulate("maury2015", engine=ips.ABM(n_cells=100, neighbours="grid"))
    with pytest.raises(ParameterError, match="snapshots"):
        ips.simulate("maury2015", engine=ips.ABM(n_cells=100), record=ips.Record(snapshots=[30]))
    with pytest.raises(ParameterError, match="rtol"):
        ips.simulate("maury2015", engine="abm", n_cells=100, rtol=1e-3)
    with pytest.raises(ips.SimulationError, match="snapshots and fields"):
        ips.simulate("maury2015").snapshot()


def test_spatial_plots_show_the_cells_and_fields():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ipscsim.plot.palette import CELL_TYPE_COLORS

    r = ips.simulate("chambers2009", engine=ips.ABM(n_cells=1500), seed=6, days=6)
    fig = r.plot_cells(color="identity")
    ax = fig.axes[0]
    snap = r.snapshot()
    drawn = sum(len(c.get_offsets()) for c in ax.collections)
    assert drawn == len(snap)
    labels = {t.get_text() for t in ax.get_legend().get_texts()}
    assert labels == set(snap["identity"].unique())
    for c in ax.collections:
        assert (
            matplotlib.colors.to_hex(c.get_facecolor()[0])
            == CELL_TYPE_COLORS[c.get_label()].lower()
        )
    assert ax.get_xlabel() == "x (um)"
    fig2 = r.plot_cells(color="NGN2")
    np.testing.assert_allclose(fig2.axes[0].collections[0].get_array(), snap["NGN2"].values)
    fig3 = r.plot_field("nodal")
    img = fig3.axes[0].images[0]
    np.testing.assert_allclose(img.get_array(), r.field("nodal").values)
    assert "EC50" in fig3.axes[1].get_ylabel()
    plt.close("all")
    # an aggregate: a section through its centre, and a compound's profile
    proto = ips.Protocol.from_dict(
        {**ips.protocols.get("chambers2009").to_dict(), "format": "suspension", "name": "eb"}
    )
    r3 = ips.simulate(proto, engine=ips.ABM(n_cells=6000, aggregate_size=3000), seed=6, days=2)
    fig4 = r3.plot_cells(section=12.0)
    snap3 = r3.snapshot()
    drawn = sum(len(c.get_offsets()) for c in fig4.axes[0].collections)
    assert 0 < drawn < 3000
    fig5 = r3.plot_field("Noggin")
    lines = fig5.axes[0].get_lines()
    assert len(lines) == snap3["aggregate"].nunique()
    assert "share of the bulk" in fig5.axes[0].get_ylabel()
    plt.close("all")


def test_snapshots_as_anndata_round_trip_through_h5ad(tmp_path):
    import json

    anndata = pytest.importorskip("anndata")
    a = ips.simulate(
        "chambers2009", engine=ips.ABM(n_cells=400), days=3, seed=1,
        record=ips.Record(snapshots=[1]), progress=False,
    )  # fmt: skip
    ad = a.to_anndata()
    assert set(ad.obs["day"]) == {1.0, 3.0}
    last = a.snapshot(3)
    on3 = ad[ad.obs["day"] == 3.0]
    assert on3.n_obs == len(last)
    np.testing.assert_allclose(on3[:, "PAX6"].X.ravel(), last["PAX6"], rtol=1e-6)
    np.testing.assert_array_equal(on3.obs["identity"].astype(str), last["identity"].astype(str))
    np.testing.assert_allclose(on3.obsm["spatial"], last[["x", "y"]].to_numpy())
    assert "identity" not in ad.var_names
    assert "x" not in ad.var_names
    ad.write_h5ad(tmp_path / "cells.h5ad")
    back = anndata.read_h5ad(tmp_path / "cells.h5ad")
    assert back.shape == ad.shape
    assert json.loads(back.uns["ipscsim"])["seed"] == 1
    with pytest.raises(ips.ParameterError, match=r"days: 2 has no snapshot"):
        a.to_anndata(days=2)


def test_cells_draw_their_cassette_group_with_the_delivery_shares():
    """20,000 seeded cells: each group's share within 4 binomial standard errors of the delivery's."""
    from ipscsim.engines.abm.placement import init_cells

    n = 20_000
    c = Cells(n)
    groups = np.array(ips.protocols.delivery_groups(ips.protocols.get("hester2011")))
    p = resolve_params(None)
    init_cells(
        0, n, c.genes, c.phi, c.theta, c.kind, c.cid, c.group, c.phase, c.thresh, c.born, p,
        np.uint64(3), 0, groups,
    )  # fmt: skip
    flags = c.genes[:n, [L.G_VEC_NGN2, L.G_VEC_IL]]
    for share, ngn2, il in groups:
        seen = np.mean((flags[:, 0] == ngn2) & (flags[:, 1] == il))
        assert abs(seen - share) < 4 * math.sqrt(share * (1 - share) / n)


@pytest.mark.parametrize("shape", [1, 8])
def test_seeded_cells_grow_at_the_ode_rate_from_the_first_hour(shape):
    """Seeded cells hold the stable age distribution, so the population grows as e^s from s = 0.

    ``s`` is the division rate accumulated since seeding (the thresholds' unit). The growth after
    seeding is followed exactly, division by division, in numpy (daughters draw fresh Erlang
    thresholds with the engine's scale): 50,000 seeded cells, within four standard errors of e^s
    (for memoryless cycles, a Yule process, the count per seeded cell has variance e^2s - e^s;
    longer-tailed shapes vary less). A uniform progress in [0, T), as the engine drew it before,
    gave 1.31 instead of e^0.1 = 1.105 for shape 1 and 1.16 for shape 8.
    """
    from ipscsim.engines.abm.placement import init_cells

    n = 50_000
    c = Cells(n)
    p = resolve_params({"cycle_shape": shape})
    groups = np.array([[1.0, 0.0, 0.0]])
    init_cells(
        0, n, c.genes, c.phi, c.theta, c.kind, c.cid, c.group, c.phase, c.thresh, c.born, p,
        np.uint64(5), 0, groups,
    )  # fmt: skip
    assert np.all((c.phase[:n] >= 0) & (c.phase[:n] < c.thresh[:n]))
    rng = np.random.default_rng(7)
    scale = 2.0 ** (1.0 / shape) - 1.0
    for s in (0.1, 0.5, 1.0):
        times, total = (c.thresh[:n] - c.phase[:n]).astype(np.float64), 0
        while times.size:
            total += np.count_nonzero(times > s)
            due = times[times <= s]
            times = np.repeat(due, 2) + rng.gamma(shape, scale, 2 * due.size)
        se = math.sqrt((math.exp(2 * s) - math.exp(s)) / n)
        assert abs(total / n - math.exp(s)) < 4 * se, (s, total / n)


def test_cell_plots_refuse_sizes_sections_and_intervals_that_draw_nothing():
    """section=0 or -5 gave an empty plot, size=-3 NaN warnings, interval=0 was accepted, and a
    compound given as one string was split into letters."""
    import matplotlib

    matplotlib.use("Agg")
    r = ips.simulate("chambers2009", engine=ips.ABM(n_cells=300), days=1, seed=2)
    for kwargs, words in [
        ({"section": 0}, "section: 0 must be"),
        ({"section": -5}, "section: -5 must be"),
        ({"size": -3}, "size: -3 must be"),
    ]:
        with pytest.raises(ParameterError, match=words):
            ips.plot.plot_cells(r, **kwargs)
    for kwargs, words in [
        ({"interval": 0}, "interval: 0 must be"),
        ({"days": 2}, "days: 2 must be"),
    ]:
        with pytest.raises(ParameterError, match=words):
            ips.plot.animate_cells(r, **kwargs)
