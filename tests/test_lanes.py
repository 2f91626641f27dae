"""The ensemble engine (vector lanes): its kernel against the scalar kernel and the numpy reference, its
runs against the single-run integrator, and a run's independence of its neighbours."""

import numpy as np
import pytest

import ipscsim as ips
from helpers import run_arrays
from ipscsim.engines import kernels as K
from ipscsim.engines import lanes, ode
from ipscsim.engines.lane_rhs import LANES, SY, load_lane, make_lane_work, rhs_lanes
from ipscsim.engines.threads import threads
from ipscsim.model import codegen
from ipscsim.model.reference import rhs as rhs_numpy

S = LANES


def _lane_inputs(name, seed, n_cohorts=4):
    """Eight lanes, each with its own parameters, state, segment and day, of one preset."""
    cp, nodes, p, comp, y0 = run_arrays(name, n_cohorts=n_cohorts)
    rng = np.random.default_rng(seed)
    n = y0.size
    ps = p[None, :] * np.exp(0.1 * rng.standard_normal((S, p.size)))
    ys = y0[None, :] * (1 + 0.2 * rng.random((S, n))) + 0.05 * rng.random((S, n))
    segs = rng.integers(0, cp.u.shape[0], S)
    ts = cp.t[segs] + 0.4 * rng.random(S) * (cp.t[segs + 1] - cp.t[segs])
    return cp, nodes, comp, ps, ys, segs, ts


def _rhs_lanes(cp, nodes, comp, ps, ys, segs, ts):
    k, n = nodes.shape[0], ys.shape[1]
    lw = make_lane_work(ps.shape[1], cp.u.shape[1], k)
    y = np.zeros(n * SY)
    for lane in range(S):
        load_lane(lw, lane, ps[lane], nodes)
        lw.u[lane::S] = cp.u[segs[lane]]
        y[np.arange(n) * SY + lane] = ys[lane]
    out = np.full(n * SY, np.nan)
    rhs_lanes(S, ts, y, *lw[:6], comp, *lw[6:], out, k)
    return np.stack([out[np.arange(n) * SY + lane] for lane in range(S)])


@pytest.mark.parametrize("name", ["maury2015", "du2015", "hester2011"])
def test_lane_kernel_equals_scalar_kernel_and_numpy(name):
    """Each lane's derivative is the scalar kernel's to rounding (1e-13) and the numpy reference's
    (the biology has one source: both compiled forms are generated from model/network.py)."""
    cp, nodes, comp, ps, ys, segs, ts = _lane_inputs(name, seed=1)
    got = _rhs_lanes(cp, nodes, comp, ps, ys, segs, ts)
    for lane in range(S):
        work = K.make_work(nodes.shape[0])
        K.prepare_work(ps[lane], nodes, work)
        scalar = np.zeros(ys.shape[1])
        K.rhs(ts[lane], ys[lane], ps[lane], cp.u[segs[lane]], comp, nodes, work, scalar)
        ref = rhs_numpy(ts[lane], ys[lane], ps[lane], cp.u[segs[lane]], comp, nodes)
        scale = np.max(np.abs(ref))
        np.testing.assert_allclose(got[lane], scalar, rtol=0, atol=1e-13 * scale)
        np.testing.assert_allclose(got[lane], ref, rtol=0, atol=1e-11 * scale)


def test_generated_lane_kernels_are_current():
    """engines/network_lanes.py is what the codegen writes from model/network.py today."""
    assert codegen.lanes_path().read_text() == codegen.generate_lanes(), (
        "regenerate with: python -m ipscsim.model.codegen"
    )


def _batch(names, params, days_extra=0.0, max_steps=200_000):
    """The engines' inputs for presets with parameter overrides (12 cohorts)."""
    from ipscsim.model.prepare import prepare_run
    from ipscsim.solvers import _batch_arrays

    runs = [prepare_run(nm, params=pr) for nm, pr in zip(names, params, strict=True)]
    comp = ips.model.pharmacology.compound_table()
    nodes = ips.model.cohorts.cohort_nodes(runs[0].n_cohorts)
    y0s, ps, seg_ptr, tb, u, op, opc, rec_ptr, rec_t = _batch_arrays(runs)
    if days_extra:  # one recording day past each run's end
        days = [np.append(r.record_days, r.record_days[-1] + days_extra) for r in runs]
        rec_ptr = np.cumsum([0] + [len(d) for d in days]).astype(np.int64)
        rec_t = np.concatenate(days)
    return (y0s, ps, seg_ptr, tb, u, op, opc, comp, nodes, rec_ptr, rec_t, 1e-6, 1e-9, max_steps)


NAMES = ["maury2015", "du2015", "hester2011", "chambers2009", "amoroso2013"] * 4
PARAMS = [
    None,
    {"k_neurogenesis": 1.3},
    {"sigma_sensitivity": 0.5},
    None,
    {"death_neuron": 0.1},
] * 4


def test_lanes_equal_single_run_integrator():
    """Every run of a mixed batch (five presets, 20 runs in 3 bundles) equals the single-run
    integrator's: records to 1e-10 of their scale, the same steps, evaluations and status."""
    args = _batch(NAMES, PARAMS)
    rec_l, stats_l, status_l = lanes.run_lanes(*args, 3)
    rec_s, stats_s, status_s = ode.run_many(*args)
    np.testing.assert_array_equal(status_l, status_s)
    np.testing.assert_array_equal(stats_l, stats_s)
    scale = np.maximum(np.abs(rec_s).max(axis=0), 1e-6)
    assert np.max(np.abs(rec_l - rec_s) / scale) < 1e-10


def test_a_run_does_not_depend_on_its_neighbours():
    """Bit-identical results whatever the bundles (1, 2 or 5), the order of the runs and the thread
    count: a lane reads and writes only its own column, and all lanes run the same instructions."""
    args = _batch(NAMES, PARAMS)
    ref, ref_stats, _ = lanes.run_lanes(*args, 2)
    perm = np.random.default_rng(3).permutation(len(NAMES))
    shuffled = _batch([NAMES[i] for i in perm], [PARAMS[i] for i in perm])
    rec_p, stats_p, _ = lanes.run_lanes(*shuffled, 5)
    rows = np.split(ref, args[9][1:-1])
    rows_p = np.split(rec_p, shuffled[9][1:-1])
    for j, i in enumerate(perm):
        np.testing.assert_array_equal(rows_p[j], rows[i])
        np.testing.assert_array_equal(stats_p[j], ref_stats[i])
    with threads(1):
        one, _, _ = lanes.run_lanes(*args, 1)
    np.testing.assert_array_equal(one, ref)


def test_a_failing_run_fails_alone():
    """A run whose parameters make the state non-finite ends with status 3 (its records NaN after
    the failure), as in the single-run integrator; the runs sharing its bundle are unchanged."""
    args = list(_batch(NAMES[:10], PARAMS[:10]))
    ps = args[1].copy()
    ps[4] = ps[0]
    ps[4, ips.model.layout.P_death_neuron] = -1e6  # counts explode: non-finite within days
    args[1] = ps
    rec_l, _, status_l = lanes.run_lanes(*args, 1)
    rec_s, _, status_s = ode.run_many(*args)
    assert status_s[4] != 0
    np.testing.assert_array_equal(status_l, status_s)
    np.testing.assert_array_equal(np.isnan(rec_l), np.isnan(rec_s))
    ok = ~np.isnan(rec_s)
    scale = np.maximum(np.abs(np.where(ok, rec_s, 0)).max(axis=0), 1e-6)
    assert np.max(np.abs(np.where(ok, rec_l - rec_s, 0)) / scale) < 1e-10


def test_days_past_the_end_are_status_4_and_nan():
    args = _batch(NAMES[:3], PARAMS[:3], days_extra=5.0)
    rec, _, status = lanes.run_lanes(*args, 1)
    assert list(status) == [4, 4, 4]
    ends = args[9][1:] - 1
    assert np.isnan(rec[ends]).all()
    assert np.isfinite(rec[ends - 1]).all()


def test_step_budget_is_status_1():
    args = _batch(NAMES[:3], PARAMS[:3], max_steps=5)
    _, _, status = lanes.run_lanes(*args, 1)
    _, _, status_s = ode.run_many(*args)
    assert list(status) == list(status_s) == [1, 1, 1]


def test_simulate_batch_uses_lanes_and_matches_simulate():
    """The public batch (lanes by default) gives each run its single simulation's readouts."""
    names = ["maury2015", "du2015", "hester2011"]
    batch = ips.simulate_batch(names)
    for name, b in zip(names, batch, strict=True):  # batch="threads": test_engine.py
        single = ips.simulate(name)
        assert b.meta["solver"]["batch"] == "lanes"
        scale = np.maximum(np.abs(single.records).max(axis=0), 1e-6)
        assert np.max(np.abs(b.records - single.records) / scale) < 1e-10


def test_batch_mode_is_checked():
    with pytest.raises(ips.ParameterError, match="batch: 'vector'"):
        ips.ODE(batch="vector")


def test_fexp_is_exp_to_one_ulp():
    """The lane kernels' exponential: within 1 ulp of numpy's over the range of doubles, 0 below."""
    from ipscsim.engines.mathfns import fexp

    x = np.concatenate([np.linspace(-708, 709, 200_001), [0.0, -0.0, 1e-300, -1e-12, -0.5]])
    got = np.array([fexp(v) for v in x])
    ref = np.exp(x)
    assert np.max(np.abs(got - ref) / ref) <= 1.0001 * np.finfo(float).eps
    assert fexp(0.0) == 1.0
    assert fexp(-800.0) == 0.0
    assert fexp(800.0) == np.inf
