"""Leave-one-publication-out cross-validation (``ipscsim.validation.crossval``)."""

import math

import pytest

from ipscsim.validation.calibrate import calibrate
from ipscsim.validation.crossval import _error_pp, cross_validate, publication
from ipscsim.validation.evaluate import evaluate
from ipscsim.validation.targets import Target, outcome_targets


def _t(source="", relation="in", value=0.7, low=0.6, high=0.8, readout="MN"):
    return Target("x", "outcome", "qu2014", "", readout, 20, relation, value, source=source,
                  low=low, high=high)  # fmt: skip


@pytest.mark.parametrize(
    ("source", "key"),
    [
        ("Du et al. 2015, Nat Commun 6:6626", "Du 2015"),
        ("Gouti et al. 2014 PLoS Biol 12:e1001937; Frith et al. 2018 eLife", "Gouti 2014"),
        ("Kiskinis et al. 2014; Chen et al. 2014", "Kiskinis 2014"),
        ("Wichterle et al. 2002; Li et al. 2008", "Wichterle 2002"),
        ("Hu et al. 2009b Nat Protoc 4:1614", "Hu 2009b"),  # a second paper of author and year
        ("Krencik and Zhang 2011 Nat Protoc 6:1710", "Krencik 2011"),
    ],
)
def test_rows_are_grouped_by_first_author_and_year(source, key):
    assert publication(_t(source)) == key


def test_errors_are_distances_to_the_published_interval_in_percentage_points():
    t = _t()
    assert _error_pp(t, 0.7) == 0.0
    assert _error_pp(t, 0.5) == pytest.approx(10.0)
    assert _error_pp(t, 0.95) == pytest.approx(15.0)
    assert _error_pp(_t(relation=">=", value=0.9), 0.85) == pytest.approx(5.0)
    assert math.isnan(_error_pp(_t(readout="mn_yield"), 3.0))  # not a fraction


def test_a_left_out_publication_is_predicted_by_a_fit_that_never_saw_it():
    qu, maury = outcome_targets()[3], outcome_targets()[6]
    assert (publication(qu), publication(maury)) == ("Qu 2014", "Maury 2015")
    cv = cross_validate([qu, maury], ["k_neurogenesis"], publications=["Qu 2014"], max_nfev=2)
    alone = calibrate([maury], ["k_neurogenesis"], n_starts=1, max_nfev=2)
    assert cv.fits["Qu 2014"] == alone.params  # the fold's fit is the fit to the other paper
    assert list(cv.table["id"]) == [qu.id]
    row = cv.table.iloc[0]
    out = evaluate([qu], params=cv.fits["Qu 2014"], keep_results=False)  # the fold's own prediction
    assert row["value_out"] == pytest.approx(out.values[0, 0], rel=1e-9)
    assert bool(row["met_out"]) == qu.met(out.values[0, 0], math.nan)
    inside = evaluate([qu], params=cv.fits["all"], keep_results=False)  # the fit that saw every row
    assert row["value_in"] == pytest.approx(inside.values[0, 0], rel=1e-9)
    assert cv.figures("out") == pytest.approx(
        {"met": float(row["met_out"]), "mae_pp": row["error_out_pp"], "n": 1,
         "mn_rank_correlation": math.nan}, nan_ok=True)  # fmt: skip


def test_a_fold_fits_only_the_papers_it_keeps():
    """Two made-up papers that pull k_neurogenesis opposite ways (few and many MNs by day 12 in
    maury2015's day 10): the fold that leaves one out must fit the other alone (3.0, the prior's upper
    end, measured), which differs from the default (1.5) and from the fit to both (1.0): a fold that
    leaked its left-out paper into the fit, or fitted nothing, would miss it."""

    def paper(source, value):
        return Target("x", "outcome", "maury2015", "", "MN", 10, "in", value, source=source,
                      low=value - 0.02, high=value + 0.02)  # fmt: skip

    few, many = paper("Alpha et al. 2020", 0.3), paper("Beta et al. 2021", 0.9)
    kw = {"max_nfev": 12}
    cv = cross_validate([few, many], ["k_neurogenesis"], publications=["Alpha 2020"], **kw)
    kept = calibrate([many], ["k_neurogenesis"], n_starts=1, **kw).params["k_neurogenesis"]
    both = calibrate([few, many], ["k_neurogenesis"], n_starts=1, **kw).params["k_neurogenesis"]
    assert cv.fits["Alpha 2020"]["k_neurogenesis"] == pytest.approx(kept, rel=1e-9)
    assert abs(kept - both) > 0.5
    assert abs(kept - 1.5) > 0.5
