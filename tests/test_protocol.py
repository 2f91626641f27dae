import json
import math
import pickle
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ipscsim as ips
from ipscsim import Protocol, ProtocolError

COMPOUNDS = ["SB431542", "LDN193189", "CHIR99021", "RA", "SAG", "DAPT", "BDNF", "FGF2", "dox"]
UNITS = ["uM", "nM", "ng/ml", "pM", "ug/ml"]


@st.composite
def protocols(draw):
    days = draw(st.integers(4, 30))
    steps = []
    for compound in draw(st.lists(st.sampled_from(COMPOUNDS), min_size=1, max_size=5, unique=True)):
        start = draw(st.integers(0, days - 1))
        end = draw(st.integers(start + 1, days))
        conc = draw(st.floats(0.001, 1000, allow_nan=False))
        steps.append(
            {
                "compound": compound,
                "concentration": conc,
                "unit": draw(st.sampled_from(UNITS)),
                "start": float(start),
                "end": float(end),
            }
        )
    ops = []
    if draw(st.booleans()) and days > 2:
        ops.append(
            {
                "kind": "replate",
                "day": float(draw(st.integers(1, days - 1))),
                "density": draw(st.floats(1e3, 1e6)),
            }
        )
    media = draw(st.one_of(st.none(), st.floats(0.5, 3)))
    return Protocol.from_dict(
        {
            "name": "p",
            "days": float(days),
            "steps": steps,
            "operations": ops,
            **({"media_change_every": media} if media else {}),
        }
    )


@given(protocols(), st.floats(0.01, 100), st.floats(0.01, 100))
def test_scale_composes_exactly(p, a, b):
    c = p.compounds[0]
    assert p.scale(c, a).scale(c, b) == p.scale(c, a * b)


@given(protocols())
def test_toml_round_trip_is_identity(p):
    assert Protocol.from_toml(p.to_toml()) == p
    assert Protocol.from_dict(p.to_dict()) == p
    assert Protocol.from_json(p.to_json()) == p


@given(protocols())
def test_without_removes_every_step_of_the_compound(p):
    c = p.compounds[0]
    q = p.without(c)
    assert c not in q.compounds
    assert all(s.compound != c for s in q.steps)
    assert len(q.steps) == len(p.steps) - len(p.steps_of(c))


@settings(max_examples=30)
@given(protocols(), st.floats(0.01, 100))
def test_protocols_pickle(p, a):
    import pickle

    q = p.scale(p.compounds[0], a)
    assert pickle.loads(pickle.dumps(q)) == q


@settings(max_examples=30)
@given(protocols())
def test_edits_leave_the_original_untouched(p):
    before = p.to_dict()
    c = p.compounds[0]
    p.scale(c, 2.0)
    p.without(c)
    p.with_step("Y27632", 10, "uM", start=0, end=1)
    assert p.to_dict() == before


def test_presets_are_the_published_protocols():
    names = ips.protocols.names()
    for required in (
        "maury2015",
        "du2015",
        "chambers2009",
        "amoroso2013",
        "hester2011",
        "qu2014",
        "li2008",
    ):
        assert required in names
    for name in names:
        p = ips.protocols.get(name)
        assert p.reference["doi"].startswith("10.")
        assert p.reference["citation"]
        assert p.reference["evidence"]
        assert all(s.note for s in p.steps), f"{name}: every step states its evidence"


def test_hester_programs_with_dox_and_maury_patterns_with_ra_sag():
    assert "dox" in ips.protocols.get("hester2011").compounds
    assert {"RA", "SAG", "DAPT"} <= set(ips.protocols.get("maury2015").compounds)


def test_edits_compose_as_documented():
    p = ips.protocols.get("maury2015")
    q = p.without("SAG").scale("RA", 2.0).shift("DAPT", days=-1)
    assert "SAG" not in q.compounds
    assert q.steps_of("RA")[0].concentration == pytest.approx(0.2)
    assert q.steps_of("DAPT")[0].start == 8.0
    r = p.with_step("FGF2", 20, unit="ng/ml", start=2, end=9)
    assert r.steps_of("bFGF")[0].concentration == 20
    m = p.with_media_changes(every=2.0)
    assert m.media_change_every == 2.0
    assert m.media_changes is None


def test_media_change_days_include_step_edges_and_operations():
    p = ips.protocols.get("maury2015")
    days = p.media_change_days()
    assert {0.0, 1.0, 2.0, 9.0, 10.0} <= set(days)
    assert all(0 <= d < p.days for d in days)


def test_repr_and_html_show_the_schedule():
    p = ips.protocols.get("maury2015")
    assert "SAG" in repr(p)
    assert "replate" in repr(p)
    html = p._repr_html_()
    assert "<table>" in html
    assert "CHIR99021" in html


BASE = {
    "name": "x",
    "days": 10,
    "medium": "N2B27",
    "steps": [{"compound": "RA", "concentration": 1, "unit": "uM", "start": 0, "end": 5}],
}


def _with_step(**changes):
    d = json.loads(json.dumps(BASE))
    d["steps"][0].update(changes)
    return d


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (_with_step(concentration=-1), ["step 1 (RA): concentration", "-1", ">= 0"]),
        (
            _with_step(concentration="lots"),
            ["step 1 (RA): concentration", "'lots'", "not a number"],
        ),
        (
            _with_step(concentration="0.5 uM"),
            ["step 1 (RA): concentration", "not a number", "0.5 and unit 'uM'"],
        ),
        (_with_step(concentration="0,5"), ["not a number", "without quotes: 0.5"]),
        ({**BASE, "seeding_density": "60,000"}, ["'60,000'", "without separators: 60000"]),
        (_with_step(start=5, end=5), ["step 1 (RA)", "end 5 is not after start 5"]),
        (
            _with_step(end=12),
            ["step 1 (RA)", "ends after the protocol's last day 10", "days >= 12"],
        ),
        (_with_step(start=-1), ["step 1 (RA): start", "-1"]),
        (_with_step(unit="furlongs"), ["step 1 (RA): unit", "unknown unit 'furlongs'"]),
        (_with_step(unit="ng"), ["step 1 (RA): unit", "a mass, not a concentration"]),
        (
            _with_step(compound="SGA"),
            ["step 1: compound", "unknown compound 'SGA'", "did you mean 'SAG'"],
        ),
        (_with_step(colour="red"), ["step 1", "unknown key 'colour'"]),
        ({**BASE, "dayz": 3}, ["unknown key 'dayz'", "did you mean 'days'"]),
        ({**BASE, "days": 0}, ["days", "greater than 0"]),
        ({**BASE, "format": "floating"}, ["format", "'floating'"]),
        ({**BASE, "operations": [{"kind": "replate", "day": 3}]}, ["missing 'density'"]),
        ({**BASE, "operations": [{"kind": "split", "day": 3}]}, ["unknown kind 'split'"]),
        (
            {**BASE, "operations": [{"kind": "replate", "day": 3, "density": 1e5, "size": 2}]},
            ["operation 1", "unknown key 'size'"],
        ),
        (
            {**BASE, "media_changes": [0, 2], "media_change_every": 2},
            ["media_change_every and media_changes"],
        ),
        (
            {**BASE, "steps": BASE["steps"] * 2},
            [
                "steps 1 and 2 (RA) overlap",
                "p.scale('RA', factor)",
                "p.without('RA') (it removes all 2)",
            ],
        ),
    ],
)
def test_bad_input_names_the_field_the_value_and_the_fix(data, words):
    with pytest.raises(ProtocolError) as err:
        Protocol.from_dict(data)
    for w in words:
        assert w in str(err.value)


def test_protocol_data_without_days_or_medium_warns():
    """Both change every outcome (basal medium has no supplements), so leaving them out is said."""
    bare = {k: v for k, v in BASE.items() if k not in ("days", "medium")}
    with pytest.warns(UserWarning, match="no (days|medium) given") as caught:
        Protocol.from_dict(bare)
    text = " ".join(str(w.message) for w in caught)
    assert "no days given; it runs 14 days" in text
    assert (
        "no medium given, so it runs in 'basal' (no supplements or growth factors) on every day"
        in text
    )
    assert "N2B27" in text


def test_media_phases_that_leave_days_uncovered_without_a_medium_warn_for_those_days():
    phases = [{"name": "E6", "start": 0, "end": 4}, {"name": "N2B27", "start": 6, "end": 12}]
    with pytest.warns(UserWarning, match=r"'basal' .* on days \[4, 6\), \[12, 14\), which"):
        Protocol.from_dict(
            {k: v for k, v in {**BASE, "days": 14, "media": phases}.items() if k != "medium"}
        )
    covered = [{"name": "E6", "start": 0, "end": 4}, {"name": "N2B27", "start": 4, "end": 14}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = Protocol.from_dict(
            {k: v for k, v in {**BASE, "days": 14, "media": covered}.items() if k != "medium"}
        )
    assert [p.medium_at(d) for d in (0, 3.9, 4, 13.9)] == ["E6", "E6", "N2B27", "N2B27"]


def test_doses_that_are_most_often_unit_slips_warn():
    """A dose 100 times the highest dose of the compound in any preset or validation experiment
    (protocols/data/validated_doses.csv), or in the other dimension than the compound's unit, is
    said, also when a scale puts it there; the presets' doses, a plausible BDNF dose, and steps
    rebuilt without a dose change (shift, pickling) are not."""
    p = ips.protocols.get("maury2015")
    with pytest.warns(UserWarning, match=r"0\.5 ng/ml is 0\.00102 uM; SAG is dosed in uM"):
        p.without("SAG").with_step("SAG", 0.5, "ng/ml", start=2, end=9)
    with pytest.warns(UserWarning, match=r"3 mM is 300 times the highest dose of CHIR99021 .*F85"):
        p.without("CHIR99021").with_step("CHIR99021", 3, "mM", start=0, end=2)
    with pytest.warns(UserWarning, match="500 uM is 500 times the highest dose of RA"):
        slip = p.scale("RA", 5000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ips.protocols.names():
            Protocol.from_dict(ips.protocols.get(name).to_dict())
        p.without("CHIR99021").with_step("CHIR99021", 3, "uM", start=0, end=2)
        p.without("BDNF").with_step("BDNF", 50, "ng/ml", start=9, end=14)
        pickle.loads(pickle.dumps(slip.shift("RA", days=0.5)))


def test_the_validated_dose_table_is_current():
    """Regenerated from the presets and the validation tables: a new row or preset with a higher
    dose must rewrite it (python -m ipscsim.validation.doses --write)."""
    from ipscsim.validation import doses

    assert doses.main(["--check"]) == 0


def test_a_file_that_is_not_a_protocol_file_is_named(tmp_path):
    f = tmp_path / "schedule.csv"
    f.write_text("compound,concentration\nRA,1\n")
    with pytest.raises(ProtocolError, match=r"a \.csv file; protocol files are TOML \(\.toml\)"):
        ips.simulate(str(f))
    with pytest.raises(ProtocolError, match="without quotes: 21"):
        ips.protocols.get("maury2015").with_days("21")


def test_malformed_toml_names_the_file(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('name = "x"\ndays = 10\n[[steps]\ncompound = "RA"\n')
    with pytest.raises(ProtocolError, match=r"malformed TOML in .*bad\.toml"):
        Protocol.from_toml(f)


def test_missing_file_is_a_protocol_error(tmp_path):
    with pytest.raises(ProtocolError, match="does not exist"):
        Protocol.from_toml(tmp_path / "nope.toml")


def test_edit_errors_are_explained():
    p = ips.protocols.get("maury2015")
    with pytest.raises(ProtocolError, match="has no step with 'SHH'"):
        p.without("SHH")
    with pytest.raises(ProtocolError, match="outside days"):
        p.shift("DAPT", days=3)
    with pytest.raises(ProtocolError, match="factor"):
        p.scale("RA", -1)


def test_protocols_are_immutable():
    p = ips.protocols.get("maury2015")
    with pytest.raises(AttributeError):
        p.days = 3
    with pytest.raises(AttributeError):
        p.steps[0].start = 3
    with pytest.raises(TypeError):
        p.reference["doi"] = "x"


def test_lengthening_a_protocol_keeps_feeding_at_its_rhythm():
    """maury2015 feeds on days 0, 1, 2, 4, 7, 9, 10 and 12 (median gap 2 days); lengthened to day 20 it is
    fed on days 14, 16 and 18 as well, and shortening it back drops nothing it had."""
    p = ips.protocols.get("maury2015")
    assert p.feeding_rhythm() == 2.0
    longer = p.with_days(20)
    assert {14.0, 16.0, 18.0} <= set(longer.media_change_days())
    assert set(p.media_change_days()) <= set(longer.media_change_days())
    assert ips.protocols.get("du2015").with_days(40).media_change_every == 2


def test_diff_lists_every_change_and_nothing_else():
    p = ips.protocols.get("maury2015")
    assert p.diff(p).empty
    q = p.without("SAG").scale("RA", 2.0).shift("DAPT", days=-2).with_days(16)
    table = p.diff(q)
    assert list(zip(table["what"], table["item"], strict=True)) == [
        ("setting", "days"),
        ("compound", "DAPT"),
        ("compound", "RA"),
        ("compound", "SAG"),
        ("media changes", "days"),  # with_days feeds on at the protocol's rhythm
    ]
    d = table.set_index("item")
    assert d.loc["SAG", "b"] == "-"
    assert d.loc["RA", "a"] == "0.1 uM days 2-9"
    assert d.loc["RA", "b"] == "0.2 uM days 2-9"
    assert d.loc["DAPT", "b"] == "10 uM days 7-12"
    with pytest.raises(ips.ProtocolError, match="other: 'du2015' is not a Protocol"):
        p.diff("du2015")


def test_scaled_concentration_is_bit_for_bit_the_scaled_steps_concentration():
    """The sweep's fast path computes a scaled dose without building the steps; it must not differ."""
    import numpy as np

    from ipscsim.protocols.steps import Step

    step = Step("RA", 0.7, "uM", 0.0, 5.0)
    for factors in ([0.3], [np.float64(0.7), 1.3], [1 / 3, 3.0, 0.1], [np.geomspace(0.2, 5, 7)[3]]):
        built = step
        for f in factors:
            built = built.scaled(f)
        assert step.scaled_concentration(factors) == built.concentration
    assert step.scaled_concentration([]) == step.concentration


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        (
            {"cassette": "NIL", "cassette_efficiency": 0},
            "cassette_efficiency: 0 must be greater than 0",
        ),
        (
            {"cassette": "NIL", "cassette_efficiency": 1.5},
            r"cassette_efficiency: 1\.5 is a share .*\(0, 1\]",
        ),
        (
            {"cassette": "NIL", "cassette_vectors": "triple"},
            r"cassette_vectors: 'triple' .*single, separate",
        ),
        (
            {"cassette": "NGN2", "cassette_vectors": "separate"},
            r"needs the three-factor cassette 'NIL'",
        ),
        ({"cassette_efficiency": 0.5}, r"without a cassette; set cassette"),
    ],
)
def test_bad_cassette_delivery_is_named(fields, match):
    with pytest.raises(ProtocolError, match=match):
        Protocol(**fields)


def test_delivery_groups_are_the_probabilities_of_independent_vectors():
    e = 0.7
    sep = ips.protocols.delivery_groups(
        Protocol(cassette="NIL", cassette_efficiency=e, cassette_vectors="separate")
    )
    # NGN2 reaches a cell with probability e, ISL1 and LHX3 together with e^2, independently
    assert [g[0] for g in sep] == pytest.approx([e**3, e * (1 - e**2), 1 - e], rel=1e-15)
    assert [g[1:] for g in sep] == [(1.0, 1.0), (1.0, 0.0), (0.0, 0.0)]
    assert sum(g[0] for g in sep) == pytest.approx(1.0, abs=1e-15)
    assert ips.protocols.delivery_groups(Protocol(cassette="NIL")) == ((1.0, 1.0, 1.0),)
    assert ips.protocols.delivery_groups(Protocol()) == ((1.0, 1.0, 1.0),)


def test_cassette_delivery_round_trips_through_toml():
    p = ips.protocols.get("hester2011")
    assert (p.cassette_efficiency, p.cassette_vectors) == (0.9, "separate")
    q = Protocol.from_toml(p.to_toml())
    assert q == p
    plain = Protocol.from_dict(
        {**p.to_dict(), "cassette_efficiency": 1.0, "cassette_vectors": "single"}
    )
    assert "cassette_efficiency" not in plain.to_dict()


def test_warnings_name_the_users_line_whichever_entry_point_reached_them(tmp_path):
    """A dose slip reached through p.scale, and a bare protocol file given to simulate, were shown at
    lines inside ipscsim (a fixed stacklevel is right for one entry point only); inside optimize they
    were shown at scipy's line that calls back into ipscsim."""
    bare = tmp_path / "bare.toml"
    bare.write_text('name = "bare"\n', "utf-8")
    p = ips.protocols.get("maury2015")
    calls = [
        lambda: p.scale("RA", 5000),
        lambda: p.without("SAG").with_step("SAG", 0.5, "ng/ml", start=2, end=9),
        lambda: Protocol.from_toml(bare),
        lambda: ips.simulate(bare, days=0.5),
        lambda: ips.optimize(  # dose slips met inside scipy's optimiser, which calls back in
            "maury2015",
            {"SAG.scale": (1000.0, 2000.0)},
            budget=4,
            seed=1,
            progress=False,
            evaluate=lambda X: [{"mn_fraction": 0.5} for _ in X],
        ),
    ]
    for call in calls:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert caught
        assert {w.filename for w in caught} == {__file__}


def test_protocol_helpers_name_what_they_were_given():
    """with_media_changes(days=3) was a raw TypeError and days='2,4' was read letter by letter;
    from_json(None) a TypeError; a negative concentration converted to a negative nM silently."""
    from ipscsim.units import from_nanomolar, to_nanomolar

    p = ips.protocols.get("maury2015")
    for days in (3, "2,4"):
        with pytest.raises(ProtocolError, match=r"media_changes: .* must be a list of days"):
            p.with_media_changes(days=days)
    assert p.with_media_changes(days=[2, 4]).media_changes == (2.0, 4.0)
    for text in (None, {"name": "x"}):
        with pytest.raises(ProtocolError, match=r"from_json: .* is not JSON text"):
            Protocol.from_json(text)
    for value in (-10, math.nan, "a"):
        with pytest.raises(ProtocolError, match=r"concentration: .* must be a finite number >= 0"):
            to_nanomolar(value, "uM", 384.4)
    with pytest.raises(ProtocolError, match="molar mass None g/mol cannot convert 'ng/ml'"):
        to_nanomolar(10, "ng/ml", None)
    assert from_nanomolar(to_nanomolar(500, "ng/ml", 46000.0), "ng/ml", 46000.0) == pytest.approx(
        500
    )
