"""Onset and end stage of grafted ALS hosts, against the published in vivo outcomes."""

import math

import numpy as np
import pytest

import ipscsim as ips
from ipscsim.studies.transplant_outcomes import lumbar_alive


def test_lumbar_mean_weights_the_box_and_the_untreated_cord():
    zc = np.arange(-9.75, 10.0, 0.5)  # a 20 mm box, 0.5 mm grid
    untreated = np.array([1.0, 0.6])
    same = np.tile(untreated[:, None], (1, len(zc)))
    assert np.allclose(lumbar_alive(same, same, untreated, zc, 24.0), untreated, rtol=1e-14)
    # the box protected to 1.0 on both sides: 20 of 24 mm at 1.0, 4 mm untreated
    full = np.ones((2, len(zc)))
    expect = (20.0 * 1.0 + 4.0 * untreated) / 24.0
    assert np.allclose(lumbar_alive(full, full, untreated, zc, 24.0), expect, rtol=1e-12)
    # one horn protected, the other untreated: half the gain
    half = lumbar_alive(full, same, untreated, zc, 24.0)
    assert np.allclose(half - untreated, 0.5 * (expect - untreated), rtol=1e-12)


@pytest.fixture(scope="module")
def nsi():
    return ips.transplant.outcome("NSI-566", host="rat_SOD1_G93A", sites=4, dose=1e5)


def test_untreated_host_meets_its_published_onset_and_end_stage(nsi):
    # Howland et al. 2002: onset ~115 days, end stage on average 11 days later
    assert nsi["onset_day_untreated"] == pytest.approx(115.0, abs=0.01)
    assert nsi["end_stage_day_untreated"] == pytest.approx(126.0, abs=0.01)


def test_graft_delays_grow_with_secretion_and_vanish_without_it(nsi):
    none = ips.transplant.outcome("NSI-566", "rat_SOD1_G93A", sites=4, dose=1e5, secretion_scale=0)
    assert none["onset_delay_days"] == pytest.approx(0.0, abs=1e-9)
    assert none["survival_gain_days"] == pytest.approx(0.0, abs=1e-9)
    more = ips.transplant.outcome("NSI-566", "rat_SOD1_G93A", sites=4, dose=1e5, secretion_scale=30)
    assert 0 < nsi["onset_delay_days"] < more["onset_delay_days"]
    assert 0 < nsi["survival_gain_days"] < more["survival_gain_days"]
    assert math.isfinite(more["survival_gain_days"])


def test_published_graft_outcomes_are_met_or_their_miss_explained():
    v = ips.transplant.validate()
    assert set(v.index) == {"G1", "G2", "G3", "G4"}
    assert (v.low < v.high).all()
    assert ((v.low <= v.published) & (v.published <= v.high)).all()
    for gid, row in v.iterrows():
        assert row.met or row.known_limitation.strip(), f"{gid} is missed without an explanation"
    # the values docs/neuroprotection.md's table quotes (+2.3 days of onset, +3.5 days of life for 4
    # lumbar sites of NSI-566): a change that moves them by more than 0.5 or 0.7 days makes that
    # table wrong (the published intervals, -9.6 to 9.6 and wider, are checked above)
    assert v.loc["G1", "model"] == pytest.approx(2.35, abs=0.5)
    assert v.loc["G2", "model"] == pytest.approx(3.5, abs=0.7)


def test_a_transplant_shows_where_its_secretion_rates_come_from():
    from ipscsim.model.secretion import secretion_rate

    t = ips.transplant.simulate("suzuki2007_rat", months=0.5, progress=False)
    producer = ips.transplant.products().loc["suzuki2007_rat", "secretes_as"]
    sec = t.meta["secretion"]
    assert set(sec) == set(t.meta["factors"])  # every secreted factor, and only those
    for f, row in sec.items():
        assert row["pg_per_1e6_cells_day"] == secretion_rate(producer, f)
        assert row["range"][0] <= row["pg_per_1e6_cells_day"] <= row["range"][1]
        assert row["status"] in {"verified", "assumption", "derived", "partly verified"}
        assert row["source"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"doses": 1e5}, "doses: not an option of outcome"), ({"step_days": 0}, "step_days")],
)
def test_outcome_bad_input_is_named(kwargs, match):
    with pytest.raises(ips.ParameterError, match=match):
        ips.transplant.outcome("NSI-566", "rat_SOD1_G93A", **kwargs)
