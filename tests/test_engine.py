"""The ODE engine: against scipy's solve_ivp, batch against single runs, conservation, tolerances."""

import numpy as np
import pytest

import ipscsim as ips
from helpers import run_arrays, scipy_trajectory
from ipscsim.engines import ode
from ipscsim.model import layout as L


@pytest.mark.parametrize("name", ["maury2015", "du2015"])
def test_engine_matches_solve_ivp_within_2e5(name):
    """The compiled engine at rtol 1e-9 against scipy's DOP853 at 1e-11 on the numpy reference.

    Measured worst relative error 6.1e-6 (maury2015) and 4.3e-6 (du2015), of the size the engine's
    own global error at rtol 1e-9 has (test_error_falls_with_tolerance: 3.9e-6); 2e-5 leaves a
    factor of three. DOP853 agrees with scipy's Radau here to 2.5e-7 at a fifth of the cost (the
    problem is not stiff at these tolerances)."""
    cp, nodes, p, comp, y0 = run_arrays(name, n_cohorts=6)
    days = np.arange(0.0, cp.t[-1] + 1e-9, 0.5)
    ours, stats, status = ode.run(
        y0, p, cp.t, cp.u, cp.op, cp.op_count, comp, nodes, days, 1e-9, 1e-12, 200_000
    )
    assert status == 0
    assert stats[1] > 0
    ref = scipy_trajectory(cp, nodes, p, comp, y0, days, method="DOP853", rtol=1e-11, atol=1e-14)
    scale = np.maximum(np.abs(ref), 1e-6)  # relative, with a floor for states that are ~0
    assert np.max(np.abs(ours - ref) / scale) < 2e-5


def test_error_falls_with_tolerance():
    """Global error against a very tight reference shrinks steadily as rtol is tightened.

    The global error is a few thousand times rtol at rtol 1e-9 and falls by about 0.45-0.6 decades per
    decade of rtol (measured: 5.8e-4, 2.7e-4, 3.9e-6 at rtol 1e-4, 1e-6, 1e-9), below the ~0.8 of
    DOPRI5 on a smooth problem: the worst states are the small rostral-neuron and LMC counts of the
    cohorts nearest a HOX threshold, whose birth rates pass through Hill-8 gates on the rostro-caudal
    level, and the level follows its target through a ratchet (``pos(target - LEVEL)``, a kink). A
    fall slower than 0.35 decades per decade, or a non-monotonic one, means the error control broke.
    """
    cp, nodes, p, comp, y0 = run_arrays("maury2015", n_cohorts=4)
    days = np.array([0.0, 5.0, 10.0, 14.0])
    ref, _, _ = ode.run(
        y0, p, cp.t, cp.u, cp.op, cp.op_count, comp, nodes, days, 1e-12, 1e-14, 10**6
    )
    tols = np.array([1e-4, 1e-6, 1e-9])
    errors = []
    for rtol in tols:
        out, _, _ = ode.run(
            y0, p, cp.t, cp.u, cp.op, cp.op_count, comp, nodes, days, rtol, rtol * 1e-3, 10**6
        )
        errors.append(np.max(np.abs(out - ref) / np.maximum(np.abs(ref), 1e-6)))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-5
    order = np.polyfit(np.log10(tols), np.log10(errors), 1)[0]
    assert 0.35 < order < 1.5, order


def test_batch_equals_single_runs_exactly():
    """One run per thread (``batch="threads"``) is the single-run integrator: bit-identical.

    The default batch (vector lanes) is held to the single runs in ``test_lanes.py``.
    """
    names = ["maury2015", "du2015", "hester2011", "chambers2009"]
    params = [None, {"k_neurogenesis": 1.2}, None, {"sigma_sensitivity": 0.5}]
    batch = ips.simulate_batch(names, params=params, engine=ips.ODE(batch="threads"))
    for name, par, b in zip(names, params, batch, strict=True):
        single = ips.simulate(name, params=par)
        np.testing.assert_array_equal(b.records, single.records)
        np.testing.assert_array_equal(b.days, single.days)


def test_batch_is_independent_of_thread_count():
    names = ["maury2015"] * 6
    params = [{"k_neurogenesis": 1.0 + 0.1 * i} for i in range(6)]
    one = ips.simulate_batch(names, params=params, n_threads=1)
    two = ips.simulate_batch(names, params=params, n_threads=2)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a.records, b.records)


@pytest.mark.parametrize("name", ["maury2015", "du2015", "amoroso2013"])
def test_cells_are_conserved(name):
    """Live cells now = seeded + born - died + added by replating, at every recorded day."""
    r = ips.simulate(name, engine=ips.ODE(rtol=1e-09, atol=1e-12))
    k = r.n_cohorts
    g = r.records[:, k * L.N_COHORT :]
    total = r.records[:, L.count_indices(k)].sum(axis=1)
    balance = 1.0 + g[:, L.X_CUM_DIV] - g[:, L.X_CUM_DEATH] + g[:, L.X_CUM_REPLATED]
    np.testing.assert_allclose(total, balance, rtol=1e-6)
    assert (r.counts["total"].to_numpy()[1:] > 0).all()


def test_replating_sets_the_count_and_keeps_the_composition():
    """Right after re-seeding, the well holds the seeded cells in the proportions it had before."""
    from helpers import run_arrays

    cp, nodes, p, comp, y0 = run_arrays("maury2015")
    s10 = int(np.flatnonzero(cp.t == 10.0)[0])
    y = ode.run(
        y0,
        p,
        cp.t[: s10 + 1],
        cp.u[:s10],
        cp.op[:s10],
        cp.op_count[:s10],
        comp,
        nodes,
        np.array([10.0]),
        1e-6,
        1e-9,
        10**6,
    )[0][0]
    before = y.copy()
    ode.apply_operation(y, cp.op[s10], cp.op_count[s10], nodes.shape[0])
    k = nodes.shape[0]
    counts = np.array(L.count_indices(k))
    assert y[counts].sum() == pytest.approx(0.6, rel=1e-12)  # 60,000 of 100,000 cells/cm^2 seeded
    np.testing.assert_allclose(
        y[counts] / y[counts].sum(), before[counts] / before[counts].sum(), rtol=1e-12
    )
    neurons = np.array(L.count_indices(k, L.NEURON_CLASSES))
    shift = L.C_LV_MMC - L.C_MMC  # from a class's count to its level mass
    masses = neurons + shift
    born = neurons[before[neurons] > 1e-9]
    assert born.size >= 6 * k  # most classes have neurons by day 10
    np.testing.assert_allclose(  # the survivors keep their mean birth level
        y[born + shift] / y[born], before[born + shift] / before[born], rtol=1e-12
    )
    genes = np.ones(y.size, bool)
    genes[counts] = False
    genes[masses] = False
    genes[k * L.N_COHORT :] = False
    np.testing.assert_array_equal(y[genes], before[genes])  # the cells' state is untouched
    assert y[k * L.N_COHORT + L.X_STRESS] == 1.0


def test_failed_integration_is_reported():
    with pytest.raises(ips.SimulationError, match="step budget"):
        ips.simulate("maury2015", engine=ips.ODE(max_steps=3))


def test_a_failed_run_in_a_batch_loses_none_of_the_others():
    """One run over a step budget of 25 per segment (maury2015 fails below about 45) beside one
    inside it (2 days in N2B27, 15 suffice): the error names the failed run and carries the other's
    result, equal to simulate's; errors='warn' returns it with None in the failed run's place."""
    short = ips.Protocol(name="short", days=2, medium="N2B27")
    eng = ips.ODE(max_steps=25)
    alone = ips.simulate(short, engine=eng)
    with pytest.raises(
        ips.SimulationError, match=r"1 of 2 runs failed: run 1 .*'maury2015'"
    ) as err:
        ips.simulate_batch([short, "maury2015"], engine=eng)
    kept = err.value.results
    assert kept[1] is None
    np.testing.assert_allclose(kept[0].records, alone.records, rtol=1e-12, atol=1e-15)
    with pytest.warns(RuntimeWarning, match="1 of 2 runs failed: run 1"):
        got = ips.simulate_batch([short, "maury2015"], engine=eng, errors="warn")
    assert got[1] is None
    np.testing.assert_allclose(got[0].records, alone.records, rtol=1e-12, atol=1e-15)
    with pytest.raises(ips.ParameterError, match="errors: 'ignore' must be 'raise' or 'warn'"):
        ips.simulate_batch([short], errors="ignore")
    with pytest.warns(RuntimeWarning, match="runs failed"):  # a panel keeps its failed line as NaN
        panel = ips.lines.across("maury2015", n_lines=2, errors="warn", engine=eng)
    assert list(panel.index) == [0, 1]
    assert panel.isna().all(axis=None)


HESTER_GROUPS = ((0.9**3, 1.0, 1.0), (0.9 * (1 - 0.81), 1.0, 0.0), (0.1, 0.0, 0.0))


@pytest.mark.parametrize("k", [3, 5, 12, 37, 200])
def test_a_mosaic_gives_each_group_its_exact_share_of_the_cells(k):
    from ipscsim.model.cohorts import cohort_groups, cohort_nodes, initial_state

    y0 = initial_state(cohort_nodes(k), False, HESTER_GROUPS)
    coh = y0[: k * L.N_COHORT].reshape(k, L.N_COHORT)
    member = cohort_groups(k, HESTER_GROUPS)
    for g, (share, ngn2, il) in enumerate(HESTER_GROUPS):
        mine = member == g
        assert coh[mine, L.C_PROG].sum() == pytest.approx(share, rel=1e-14)
        assert set(coh[mine, L.G_VEC_NGN2]) == {ngn2}
        assert set(coh[mine, L.G_VEC_IL]) == {il}
        assert mine.sum() >= 1  # every group is represented
        if k >= 12:  # ... in proportion, once there are cohorts enough to give each group one
            assert abs(mine.sum() - share * k) < 1.0
    assert coh[:, L.C_PROG].sum() == pytest.approx(1.0, abs=1e-14)


def test_fewer_cohorts_than_groups_is_a_named_error():
    from ipscsim.model.cohorts import cohort_nodes, initial_state

    with pytest.raises(ips.ParameterError, match="cohorts: 2 cohorts cannot hold the 3 groups"):
        initial_state(cohort_nodes(2), False, HESTER_GROUPS)


def test_cohorts_converge_on_a_fine_quadrature():
    """The cohorts are a quadrature of the cells' heterogeneity (a rank-1 lattice per group).
    Measured on day 11 of hester2011, a mosaic of three groups, against 1000 cohorts (0.676 MNs):
    48-400 cohorts lie within 0.005 of it, the default 12 within 0.010, and 24 cohorts 0.055 off
    (their two-cohort group sits badly on its lattice), so convergence is not monotone for mosaics
    with small groups (docs/model.md section 4). Bounds: 0.01 from 48 cohorts on, 0.02 for the
    default; a cohort given the wrong weight or draw moves a fraction by about its 1/K share (0.02
    at 48 cohorts), beyond either. maury2015 (one group) is within 0.001 at 12 cohorts."""

    def mn(name, k):
        return ips.simulate(name, engine=ips.ODE(cohorts=k)).fractions.loc[11, "MN"]

    ref = mn("hester2011", 1000)
    for k in (48, 96, 200, 400):
        assert abs(mn("hester2011", k) - ref) < 0.01, k
    assert abs(mn("hester2011", 12) - ref) < 0.02
    assert abs(mn("maury2015", 12) - mn("maury2015", 1000)) < 0.001
