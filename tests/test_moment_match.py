"""Importance sampling with moment matching, against targets whose moments are known exactly."""

import math

import numpy as np
import pytest
from scipy import stats

from ipscsim.validation.moment_match import K_RELIABLE, moment_match, psis

S = 2000


def _draws(d=2, seed=1):
    x = np.random.default_rng(seed).standard_normal((S, d))
    return x, stats.norm.logpdf(x).sum(axis=1)


def _gaussian(mean, cov):
    dist = stats.multivariate_normal(mean, cov)
    calls = []

    def target(z):
        calls.append(len(z))
        return dist.logpdf(z), z[:, 0].copy()

    return target, calls


def _moments(mm):
    m = mm.weights @ mm.x
    c = ((mm.x - m) * mm.weights[:, None]).T @ (mm.x - m)
    return m, c


def test_a_shifted_narrower_target_is_reached_by_shifting_and_scaling():
    """N(0, I) draws, target N((2.5, -1), diag(0.6^2, 0.8^2)): plain PSIS is unreliable (k > 0.7);
    after the maps the weighted mean and spreads are the target's within Monte Carlo error."""
    x, log_g = _draws()
    mean, sd = np.array([2.5, -1.0]), np.array([0.6, 0.8])
    target, calls = _gaussian(mean, np.diag(sd**2))
    plain_k = psis(target(x)[0] - log_g)[1]
    assert plain_k > K_RELIABLE
    mm = moment_match(x, log_g, target)
    assert mm.k_start == pytest.approx(plain_k)
    assert mm.k < K_RELIABLE
    assert mm.transforms
    assert set(mm.transforms) <= {"shift", "scale", "cov"}
    m, c = _moments(mm)
    np.testing.assert_allclose(m, mean, atol=0.05)
    np.testing.assert_allclose(np.sqrt(np.diag(c)), sd, rtol=0.08)
    assert mm.evaluations == len(calls) - 1  # the plain PSIS call above is not counted
    np.testing.assert_array_equal(mm.aux, mm.x[:, 0])  # the extra output follows the kept draws


def test_a_correlated_target_is_estimated_after_moving_the_draws():
    """Target correlation 0.9 from uncorrelated draws, far off: plain PSIS is unreliable."""
    x, log_g = _draws()
    cov = np.array([[0.25, 0.9 * 0.5 * 0.4], [0.9 * 0.5 * 0.4, 0.16]])
    target, _ = _gaussian(np.array([2.0, 2.0]), cov)
    assert psis(target(x)[0] - log_g)[1] > K_RELIABLE
    mm = moment_match(x, log_g, target)
    assert mm.k < K_RELIABLE
    m, c = _moments(mm)
    np.testing.assert_allclose(m, [2.0, 2.0], atol=0.05)
    assert c[0, 1] / math.sqrt(c[0, 0] * c[1, 1]) == pytest.approx(0.9, abs=0.03)


@pytest.mark.parametrize("kind", ["shift", "scale", "cov"])
def test_each_map_gives_the_draws_the_weighted_moments_it_matches(kind):
    """An exact identity: the mapped draws' plain mean (and spreads, covariance) are the weighted
    ones of the draws; the log-determinant is the log volume change."""
    from ipscsim.validation.moment_match import _affine

    rng = np.random.default_rng(7)
    x = rng.standard_normal((500, 3)) @ np.array([[1, 0.3, 0], [0, 1, 0.5], [0, 0, 1.0]])
    w = rng.random(500) ** 3
    w /= w.sum()
    y, log_det = _affine(x, w, kind)
    mw = w @ x
    cw = ((x - mw) * w[:, None]).T @ (x - mw)
    np.testing.assert_allclose(y.mean(axis=0), mw, atol=1e-12)
    c0, c1 = np.cov(x, rowvar=False, bias=True), np.cov(y, rowvar=False, bias=True)
    if kind == "scale":
        np.testing.assert_allclose(np.diag(c1), np.diag(cw), rtol=1e-10)
    if kind == "cov":
        np.testing.assert_allclose(c1, cw, rtol=1e-10, atol=1e-12)
    expected = 0.5 * (np.linalg.slogdet(c1)[1] - np.linalg.slogdet(c0)[1])
    assert log_det == pytest.approx(expected, abs=1e-9)


def test_draws_already_fit_for_the_target_are_left_alone():
    """The target is the draws' own density: equal weights (k NaN), one call, no map."""
    x, log_g = _draws()
    mm = moment_match(x, log_g, lambda z: (stats.norm.logpdf(z).sum(axis=1), None))
    assert math.isnan(mm.k)
    assert mm.transforms == ()
    assert mm.evaluations == 1
    np.testing.assert_array_equal(mm.x, x)
    np.testing.assert_allclose(mm.weights, 1.0 / S)
    known = (stats.norm.logpdf(x).sum(axis=1), None)
    again = moment_match(x, log_g, lambda z: pytest.fail("the start was given"), initial=known)
    assert again.evaluations == 0


def test_a_target_with_bounded_support_gives_no_weight_outside_it():
    """Target: N(0, 1) restricted to x > 1 (an exact truncated normal mean, 1.525)."""
    x, log_g = _draws(d=1, seed=3)

    def target(z):
        return np.where(z[:, 0] > 1.0, stats.norm.logpdf(z[:, 0]), -np.inf), None

    mm = moment_match(x, log_g, target)
    assert np.all(mm.weights[mm.x[:, 0] <= 1.0] == 0.0)
    exact = stats.truncnorm(1.0, np.inf).mean()
    assert float(mm.weights @ mm.x[:, 0]) == pytest.approx(exact, abs=0.05)


def test_ratios_of_a_few_values_are_weighed_exactly_without_a_tail_fit():
    """A likelihood flat inside published intervals gives ratios of a few values: the weights are
    the exact normalised ratios (bounded, so of finite variance) and k is NaN, not a failed fit."""
    group = np.arange(200) % 25 == 0  # 8 draws outside an interval, each 1.2 log units down
    w, k = psis(np.where(group, -1.2, 0.0))
    assert math.isnan(k)
    np.testing.assert_allclose(w[group], w[~group][0] * np.exp(-1.2))
    np.testing.assert_allclose(w[~group], w[~group][0])
    assert w.sum() == pytest.approx(1.0)
    a = np.exp(-1.2)
    assert 1 / np.sum(w**2) == pytest.approx((192 + 8 * a) ** 2 / (192 + 8 * a * a), rel=1e-12)
    many = np.random.default_rng(1).normal(size=200)  # a continuous tail is fitted
    assert not math.isnan(psis(many)[1])


def test_bad_input_is_named():
    x, log_g = _draws()
    with pytest.raises(ValueError, match="log_g: shape"):
        moment_match(x, log_g[:-1], lambda z: (np.zeros(len(z)), None))
    with pytest.raises(ValueError, match="log_w: no draw"):
        psis(np.full(5, -np.inf))
