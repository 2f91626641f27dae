"""Bayesian calibration: the sampler against an analytic posterior, the shipped posterior, its use."""

import math

import numpy as np
import pytest
from scipy import integrate

import ipscsim as ips
from ipscsim.errors import ParameterError
from ipscsim.model.layout import PARAM_INDEX, PARAM_NAMES
from ipscsim.model.posterior import Posterior, shipped_posterior
from ipscsim.validation import bayes
from ipscsim.validation.targets import Target

pytest.importorskip("emcee")


def test_student_t_likelihood_is_its_formula_and_gaussian_near_zero():
    r = np.array([[0.0, 0.0], [0.01, 0.0], [3.0, 1.0]])
    ll = bayes.log_likelihood(r, nu=4.0)
    assert ll[0] == 0.0
    # near the data it is the Gaussian of least squares with variance nu / (nu + 1)
    assert ll[1] == pytest.approx(-0.5 * (5 / 4) * 0.01**2, rel=1e-4)
    assert ll[2] == pytest.approx(-2.5 * (math.log1p(9 / 4) + math.log1p(1 / 4)), rel=1e-14)
    # heavy tails: a residual 10x larger costs under 5x more (100x for a Gaussian), and its pull
    # (the gradient) is smaller than that of a residual near two tolerances
    assert bayes.log_likelihood(np.array([30.0])) / bayes.log_likelihood(np.array([3.0])) < 5
    grad = np.gradient(bayes.log_likelihood(np.linspace(0, 40, 4001)[:, None]), 0.01)
    assert abs(grad[3000]) < abs(grad[200]) / 4


def test_sampler_recovers_an_analytic_posterior(monkeypatch):
    """With the simulator replaced by a residual known in closed form, the sample's mean and SD match
    the posterior computed by quadrature, within four Monte Carlo standard errors."""
    lo, hi, centre, scale = 10.0, 20.0, 13.0, 1.5

    def fake_run(fit, X, start_id, trace):
        return (X - centre) / scale  # one residual per candidate, in search coordinates (linear)

    monkeypatch.setattr(bayes, "_run", fake_run)
    target = Target("x", "outcome", "maury2015", "", "MN", 14.0, "~", 0.5)
    post = bayes.sample_posterior(
        [target], {"cycle_psc": (lo, hi)}, walkers=32, steps=3000, seed=1, progress=False
    )

    def density(x):
        return (1 + ((x - centre) / scale) ** 2 / bayes.NU) ** (-(bayes.NU + 1) / 2)

    z = integrate.quad(density, lo, hi)[0]
    mean = integrate.quad(lambda x: x * density(x), lo, hi)[0] / z
    sd = math.sqrt(integrate.quad(lambda x: (x - mean) ** 2 * density(x), lo, hi)[0] / z)
    ess = post.meta["min_effective_sample_size"]
    assert ess > 1000
    s = post.samples[:, 0]
    assert abs(s.mean() - mean) < 4 * sd / math.sqrt(ess)
    assert abs(s.std() - sd) < 4 * sd / math.sqrt(2 * ess) + 0.02 * sd
    assert s.min() >= lo
    assert s.max() <= hi
    # the recorded log-likelihood is the one at each kept draw
    np.testing.assert_allclose(
        post.log_likelihood, bayes.log_likelihood(((s - centre) / scale)[:, None]), rtol=1e-12
    )


def test_posterior_round_trips_through_csv(tmp_path):
    rng = np.random.default_rng(0)
    post = Posterior(
        ("cycle_np", "k_neurogenesis"),
        rng.uniform(1, 2, (7, 2)),
        -rng.uniform(0, 5, 7),
        {"walkers": 8, "acceptance": 0.3, "effective_sample_size": {"cycle_np": 12.5}},
    )
    back = Posterior.from_csv(post.to_csv(tmp_path / "p.csv"))
    assert back.names == post.names
    np.testing.assert_allclose(back.samples, post.samples, rtol=1e-9)
    np.testing.assert_allclose(back.log_likelihood, post.log_likelihood, rtol=1e-7)
    assert back.meta == post.meta
    (tmp_path / "bad.csv").write_text("cycle_np,ll\n1,2\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="log_likelihood"):
        Posterior.from_csv(tmp_path / "bad.csv")
    with pytest.raises(ParameterError, match="not a model parameter"):
        Posterior(("nope",), np.ones((2, 1)), np.zeros(2))


def test_shipped_posterior_is_a_converged_fit_to_the_literature_table():
    post = shipped_posterior()
    assert post.names == bayes.BAYES_PARAMS
    m = post.meta
    ids = {t.id for t in bayes.literature_targets()}
    assert set(m["targets"]) <= ids  # rows added after the fit are out of sample for it
    assert {t.id for t in bayes.literature_targets() if t.id[0] in "OT"} <= set(m["targets"])
    # emcee's guidance: acceptance between 0.2 and 0.5; enough effective draws for 90% intervals
    assert 0.15 < m["acceptance"] < 0.6
    assert m["min_effective_sample_size"] >= 100
    assert m["wall_time_s"] < 3600  # the budget for a full calibration on 2 cores
    prior = ips.ParameterSet(ranges="prior")
    for j, n in enumerate(post.names):
        lo, hi = prior.bounds(n)
        assert lo <= post.samples[:, j].min()
        assert post.samples[:, j].max() <= hi


def test_posterior_draws_take_whole_rows_of_the_sample_and_ranges_for_the_rest():
    post = shipped_posterior()
    ps = ips.ParameterSet(ranges="posterior")
    d = ps.sample_arrays(50, seed=4)
    cols = [PARAM_INDEX[n] for n in post.names]
    rows = {tuple(r) for r in post.samples}
    assert all(tuple(r) in rows for r in d[:, cols])  # joint draws, not column-wise shuffles
    other = [i for i, n in enumerate(PARAM_NAMES) if n not in post.names]
    plaus = ips.ParameterSet()
    for i in other:
        lo, hi = plaus.bounds(PARAM_NAMES[i])
        assert lo - 1e-12 <= d[:, i].min()
        assert d[:, i].max() <= hi + 1e-12
    np.testing.assert_array_equal(d, ps.sample_arrays(50, seed=4))
    with pytest.raises(ParameterError, match="posterior"):
        ips.ParameterSet(posterior=3)


def test_uncertainty_draws_come_from_the_posterior():
    r = ips.simulate("qu2014", uncertainty=8, seed=2)
    post = shipped_posterior()
    assert "posterior sample" in r.uncertainty.source
    cols = [PARAM_INDEX[n] for n in post.names]
    rows = {tuple(x) for x in post.samples}
    assert all(tuple(x) in rows for x in r.uncertainty.draws[:, cols])


def test_calibrate_mcmc_returns_a_posterior_that_meets_its_target(tmp_path):
    """A lab's one readout: the posterior median meets it and the sample says how sure it is."""
    target = Target("lab", "outcome", "qu2014", "", "MN", 20.0, "in", 0.7, low=0.6, high=0.8)
    fit = ips.calibrate(
        [target], ["k_neurogenesis"], method="mcmc", steps=30, walkers=8, progress=False
    )
    assert fit.posterior is not None
    assert len(fit.posterior) > 0
    assert bool(fit.table["met"].iloc[0])
    iv = fit.posterior.intervals(0.9)
    assert iv.loc["k_neurogenesis", "lower"] < fit.params["k_neurogenesis"]
    assert fit.params["k_neurogenesis"] < iv.loc["k_neurogenesis", "upper"]
    assert not fit.success
    assert "run longer" in fit.message
    path = fit.save(tmp_path / "fit.toml")
    back = Posterior.from_csv(path.with_suffix(".posterior.csv"))
    np.testing.assert_allclose(back.samples, fit.posterior.samples, rtol=1e-9)
    with pytest.raises(ParameterError, match="walkers"):
        ips.calibrate([target], ["k_neurogenesis"], method="mcmc", walkers=3, progress=False)
