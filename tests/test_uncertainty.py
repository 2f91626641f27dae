"""Predictions with uncertainty: ``simulate(..., uncertainty=n)``."""

import math

import matplotlib
import numpy as np
import pytest

import ipscsim as ips
from ipscsim.model.layout import PARAM_NAMES
from ipscsim.model.readouts import MARKERS

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def maury():
    return ips.simulate("maury2015", uncertainty=24, seed=3)


def test_ranges_shrunk_to_the_defaults_collapse_onto_the_point_prediction():
    """Drawn over ranges of zero width, every draw is the default parameter set, so every interval is
    the point prediction (to the integrator's rounding)."""
    ps = ips.ParameterSet()
    point = {n: (ps[n], ps[n]) for n in PARAM_NAMES}
    r = ips.simulate("maury2015", uncertainty=4, params=ips.ParameterSet(bounds=point))
    lo, hi = r.uncertainty.interval("markers", 0.9)
    np.testing.assert_allclose(lo.to_numpy(), r.markers.to_numpy(), atol=1e-12)
    np.testing.assert_allclose(hi.to_numpy(), r.markers.to_numpy(), atol=1e-12)
    t = r.summary(level=0.9)
    assert t.loc["mn_yield", "lower"] == pytest.approx(t.loc["mn_yield", "value"], rel=1e-9)


def test_stage_timing_intervals_are_quantiles_of_each_draws_days(maury):
    """The ensemble's onset day of OLIG2 is, draw by draw, the day its share crosses 0.10
    (linear interpolation between records); the interval is the quantiles of those days."""
    t = maury.stage_timing(["OLIG2", "MN"], level=0.9)
    assert t.loc["OLIG2", "onset"] == pytest.approx(maury.stage_timing(["OLIG2"]).onset.iloc[0])
    ens, days = maury.uncertainty, maury.uncertainty.days
    onsets = []
    for share in ens.markers[:, :, MARKERS.index("OLIG2")]:
        if share.max() < 0.10:  # a draw whose share never reaches 0.10 has no onset: left out
            continue
        i = int(np.argmax(share >= 0.10))
        onsets.append(np.interp(0.10, share[i - 1 : i + 1], days[i - 1 : i + 1]))
    assert t.loc["OLIG2", "onset_defined"] == pytest.approx(len(onsets) / ens.n)
    lo, med, hi = np.quantile(onsets, [0.05, 0.5, 0.95])
    assert (t.loc["OLIG2", "onset_lower"], t.loc["OLIG2", "onset_median"]) == pytest.approx(
        (lo, med)
    )
    assert t.loc["OLIG2", "onset_upper"] == pytest.approx(hi)
    assert t.loc["MN", "onset_lower"] <= t.loc["MN", "onset_median"] <= t.loc["MN", "onset_upper"]
    assert t.loc["MN", "peak_defined"] == 1.0
    with pytest.raises(ips.ParameterError, match="no ensemble"):
        ips.simulate("maury2015").stage_timing(level=0.9)


def test_intervals_are_ordered_and_widen_with_the_level(maury):
    t = maury.summary(level=0.9)
    ok = t["defined"] > 0
    assert (t.loc[ok, "lower"] <= t.loc[ok, "median"] + 1e-12).all()
    assert (t.loc[ok, "median"] <= t.loc[ok, "upper"] + 1e-12).all()
    lo50, hi50 = maury.uncertainty.interval("fractions", 0.5)
    lo90, hi90 = maury.uncertainty.interval("fractions", 0.9)
    assert (lo90.to_numpy() <= lo50.to_numpy() + 1e-12).all()
    assert (hi50.to_numpy() <= hi90.to_numpy() + 1e-12).all()
    # the draws are real: the published parameter uncertainty moves the MN fraction (its 90%
    # interval was 0.34 wide on 24 draws when this was written; identical draws would give 0)
    assert t.loc["mn_fraction", "upper"] - t.loc["mn_fraction", "lower"] > 0.05
    assert maury.uncertainty.n == 24
    assert maury.uncertainty.failed == 0


def test_the_same_seed_gives_the_same_draws_and_values_given_stay_fixed(maury):
    again = ips.simulate("maury2015", uncertainty=24, seed=3)
    np.testing.assert_array_equal(again.uncertainty.draws, maury.uncertainty.draws)
    np.testing.assert_array_equal(again.uncertainty.markers, maury.uncertainty.markers)
    held = ips.simulate("maury2015", uncertainty=6, params={"cycle_np": 30.0})
    assert "cycle_np" not in held.uncertainty.varied
    assert held.uncertainty.parameters().shape[1] == len(held.uncertainty.varied)
    col = PARAM_NAMES.index("cycle_np")
    assert (held.uncertainty.draws[:, col] == 30.0).all()


def test_each_draw_is_the_run_simulate_gives_for_its_parameters(maury):
    draw = maury.uncertainty.draws[5]
    alone = ips.simulate("maury2015", params=draw)
    np.testing.assert_allclose(maury.uncertainty.markers[5], alone.markers.to_numpy(), atol=1e-10)


def test_bad_requests_are_named_errors():
    with pytest.raises(ips.ParameterError, match="uncertainty"):
        ips.simulate("maury2015", uncertainty=1)
    with pytest.raises(ips.ParameterError, match="ODE engine"):
        ips.simulate("maury2015", engine=ips.ABM(n_cells=500), uncertainty=4, seed=1)
    with pytest.raises(ips.ParameterError, match="uncertainty=200"):
        ips.simulate("maury2015").summary(level=0.9)


def test_plots_draw_bands_and_the_repr_gives_the_interval(maury):
    plain = ips.simulate("maury2015")
    with_bands = ips.plot.timecourse.plot_markers(maury)
    without = ips.plot.timecourse.plot_markers(plain)
    n_bands = len(with_bands.axes[0].collections) - len(without.axes[0].collections)
    assert n_bands == len(ips.plot.timecourse.DEFAULT_MARKERS)  # one band per marker line drawn
    assert "90% over 24 draws" in repr(maury)


def test_ensemble_and_posterior_arguments_are_named(maury):
    """quantile('median'), quantile([0.05, 0.95]) and summary(level='90%') were raw errors,
    share(['MN']) an unhashable TypeError; a Posterior of names='k_neurogenesis' listed its letters
    and one with a log-likelihood per draw missing was accepted until it was written."""
    from ipscsim.model.posterior import Posterior

    e = maury.uncertainty
    for q in ("median", None, [0.05, 0.95], math.nan):
        with pytest.raises(ips.ParameterError, match=r"q: .* must be one probability in"):
            e.quantile(q)
    with pytest.raises(ips.ParameterError, match="level: '90%' must be in"):
        e.summary(level="90%")
    with pytest.raises(ips.ParameterError, match=r"name: \['MN'\] must be one marker"):
        e.share(["MN"])
    one = Posterior("k_neurogenesis", [[1.5], [1.4]], [0.0, -1.0])
    assert one.names == ("k_neurogenesis",)
    with pytest.raises(ips.ParameterError, match=r"log_likelihood: shape \(1,\) must be \(2,\)"):
        Posterior(("k_neurogenesis",), [[1.5], [1.4]], [0.0])
    with pytest.raises(ips.ParameterError, match="names a parameter twice"):
        Posterior(("k_neurogenesis", "k_neurogenesis"), [[1.5, 1.4]], [0.0])
