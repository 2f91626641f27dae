"""Bad input from a careful user, generated: every exception is the library's own, naming the field.

Each public entry point gets a valid call with one argument replaced by a value of the wrong type or out
of range (hypothesis draws the argument and the value). The call must either work, with no NaN or
infinity in what it returns, or raise an :class:`~ipscsim.IpscsimError` whose message names the
argument. Anything else (a TypeError from inside numpy, an IndexError, a hang) is a defect.
"""

import contextlib
import io
import math
import re
import signal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ipscsim as ips
from ipscsim import IpscsimError
from ipscsim.sweep.spec import sweep_from_spec
from ipscsim.validation.targets import Target

#: Values of the wrong type, out of range, or at the edges of the floats.
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -1.0, 1e-300, 1e300, math.nan, math.inf, 1.5, 1e9]),
    st.text(max_size=8),
    st.binary(max_size=6),
    st.lists(st.one_of(st.integers(-5, 5), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(-3, 3), max_size=2),
    st.complex_numbers(max_magnitude=10, allow_nan=False),
    st.just(object()),
    st.just(np.array([1.0, 2.0])),
    st.just(np.float64("nan")),
)

TARGET = Target("t1", "outcome", "maury2015", "", "MN", 3.0, "in", 0.0, low=0.0, high=1.0)


def _finite(out):
    """Whether a returned object's numbers are all finite (the outputs a user reads)."""
    arrays = []
    if isinstance(out, ips.Result):
        arrays = [out.records, out.fractions.to_numpy()]
    elif hasattr(out, "alive"):  # a survival assay
        arrays = [out.alive, out.expected]
    elif hasattr(out, "mn_survival") and hasattr(out, "graft"):  # a transplant
        tables = (out.mn_survival, out.mn_profile, out.factor_profile, out.graft)
        arrays = [t.select_dtypes("number").to_numpy(float) for t in tables]
    elif isinstance(out, ips.SweepResult):  # "day_*" and lmc_share are NaN when never reached
        ok = out.ok
        cols = [c for c in ok.columns if c not in ("status", "message", "lmc_share")]
        arrays = [ok[[c for c in cols if not c.startswith("day_")]].to_numpy(float)]
    elif isinstance(out, list):
        return all(_finite(o) for o in out)
    elif isinstance(out, pd.DataFrame):  # dose-response tables and the like: every number column
        arrays = [out.select_dtypes("number").to_numpy(float)]
    elif isinstance(out, ips.Protocol):  # a protocol built from a dict: its schedule
        arrays = [[s.concentration for s in out.steps], [out.days]]
    elif hasattr(out, "knobs") and hasattr(out, "value"):  # an optimisation
        arrays = [[out.value], list(out.knobs.values())]
    elif hasattr(out, "parameter_set") and hasattr(out, "cost"):  # a calibration
        arrays = [[out.cost], list(out.params.values())]
    else:  # an output this check does not know would pass unread: say so instead
        raise TypeError(f"_finite cannot read a {type(out).__name__}; add a branch for it")
    return all(np.isfinite(np.asarray(a, dtype=float)).all() for a in arrays)


#: name -> (function, a valid call, the arguments fuzzed, words that count as naming an argument).
ENTRIES = {
    "simulate": (
        lambda record_every=0.25, **k: ips.simulate(**k, record=ips.Record(every=record_every)),
        {"protocol": "maury2015", "days": 3.0},
        ["protocol", "days", "params", "genotype", "seed", "record_every", "n_threads", "engine"],
    ),
    "simulate_abm": (
        lambda days=1.0, seed=1, params=None, **abm: ips.simulate(
            "chambers2009",
            engine=ips.ABM(**abm),
            days=days,
            seed=seed,
            params=params,
            progress=False,
        ),
        {"n_cells": 200},
        ["days", "n_cells", "seed", "dt", "neighbours", "aggregate_size", "params", "fields"],
    ),
    "simulate_batch": (
        ips.simulate_batch,
        {"protocols": ["maury2015"], "days": 2.0},
        ["protocols", "params", "days", "seed", "genotype"],
    ),
    "sweep": (
        lambda **k: ips.Sweep(**k).run(progress=False),
        {"protocol": "maury2015", "space": {"SAG.scale": [1.0]}, "days": 2.0},
        ["protocol", "space", "design", "n", "seed", "readouts", "params", "days", "genotype"],
    ),
    "calibrate": (
        ips.calibrate,
        {"targets": [TARGET], "params": ["k_neurogenesis"], "max_nfev": 1, "n_starts": 1},
        ["targets", "params", "method", "n_starts", "seed", "max_nfev", "budget", "start"],
    ),
    "optimize": (
        ips.optimize,
        {"protocol": "maury2015", "knobs": {"SAG.scale": (0.5, 2.0)}, "budget": 4, "days": 2.0},
        ["knobs", "objective", "budget", "seed", "maximize", "popsize", "constraints", "prices"],
    ),
    "assay": (
        ips.survival.assay,
        {"genotype": "control", "days": 3.0, "n_cells": 50},
        ["genotype", "factors", "stress", "drug", "days", "n_cells", "seed", "record_every"],
    ),
    "dose_response": (
        ips.survival.dose_response,
        {"factor": "GDNF", "doses_pM": [1.0, 10.0], "day": 5.0},
        ["factor", "doses_pM", "day", "genotype", "params"],
    ),
    "transplant": (
        ips.transplant.simulate,
        {"graft": "CNS10-NPC-GDNF", "months": 0.5, "grid_mm": 0.5},
        [
            "graft",
            "host",
            "months",
            "dose",
            "sites",
            "origin",
            "grid_mm",
            "record_every",
            "secretion_scale",
            "residual_pluripotent",
            "age_at_transplant",
            "immunosuppression",
        ],
    ),
    "protocol": (
        lambda **k: ips.Protocol.from_dict(k),
        {
            "name": "t",
            "days": 5,
            "steps": [{"compound": "RA", "concentration": 1, "unit": "uM", "start": 0, "end": 3}],
        },
        [
            "name",
            "days",
            "steps",
            "seeding_density",
            "media_change_every",
            "media_changes",
            "medium",
            "format",
        ],
    ),
}

#: Other words a message may use for an argument (its singular, or the table it is read into).
ALIASES = {
    "params": ("param",),
    "protocols": ("protocol",),
    "steps": ("step",),
    "protocol": ("preset", "protocol", "file"),
    "space": ("space", "knob", "dimension", "scale"),
    "targets": ("target",),
    "start": ("start", "parameter"),
    "knobs": ("knob",),
    "graft": ("graft", "product"),
    "genotype": ("genotype",),
    "factors": ("factor",),
    "constraints": ("constraint", "readout"),
    "objective": ("objective", "readout"),
    "options": ("options", "rtol", "atol", "max_steps", "record_every", "n_cells", "dt"),
    "engine": ("engine", "n_cells", "dt", "neighbours", "aggregate_size", "rtol", "atol"),
    "cohorts": ("cohorts",),
}


def _names(message: str, field: str) -> bool:
    """Whether ``message`` names ``field`` (or one of its aliases) as a word, not inside another."""
    for w in (field, *ALIASES.get(field, ())):
        right = r"(?![A-Za-z_])" if len(w) == 1 else ""
        if re.search(rf"(?<![A-Za-z_]){re.escape(w)}{right}", message):
            return True
    return False


class _Hang(Exception):
    pass


def _alarm(*_):
    raise _Hang


@pytest.mark.parametrize("entry", list(ENTRIES))
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_bad_input_gives_a_named_error_or_a_finite_result(entry, data):
    fn, base, fields = ENTRIES[entry]
    field = data.draw(st.sampled_from(fields), label="argument")
    value = data.draw(JUNK, label="value")
    big_culture = isinstance(value, int) and not isinstance(value, bool) and 20_000 < value <= 5e7
    assume(not (entry == "simulate_abm" and field == "n_cells" and big_culture))  # valid, just long
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(60)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            out = fn(**{**base, field: value})
    except _Hang:
        pytest.fail(f"{entry}({field}={value!r}) ran for more than 60 s")
    except IpscsimError as exc:
        message = str(exc)
    else:
        message = None
        assert _finite(out), f"{entry}({field}={value!r}) returned NaN or infinite values"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    if message is not None:
        assert _names(message, field), f"{entry}({field}={value!r}): {message}"


@pytest.mark.parametrize(
    ("reader", "suffix"),
    [
        (ips.Protocol.from_toml, ".toml"),
        (lambda p: ips.simulate("maury2015", params=p, days=1), ".toml"),
        (lambda p: ips.calibrate(p, ["k_neurogenesis"], max_nfev=1), ".csv"),
        (lambda p: sweep_from_spec(p), ".toml"),
        (lambda p: ips.simulate(p, days=1), ".json"),
    ],
    ids=["protocol", "params", "targets", "sweep spec", "protocol json"],
)
def test_files_that_are_not_utf8_give_a_named_error(tmp_path, reader, suffix):
    path = tmp_path / f"latin1{suffix}"
    path.write_bytes('name = "Müller"\n'.encode("latin-1") + b"\xff\xfe\n")
    with pytest.raises(IpscsimError, match=r"latin1.*UTF-8|UTF-8.*latin1"):
        reader(path)


def test_cli_bad_arguments_end_with_a_message_not_a_traceback(capsys):
    from ipscsim.cli import main

    for argv in (
        ["run", "no-such-protocol"],
        ["run", "maury2015", "--days", "x"],
        ["run", "maury2015", "--days", "-3"],
        ["run", "maury2015", "--params", "missing.toml"],
        ["sweep", "missing.toml", "--store", "s"],
        ["protocols", "--bogus"],
    ):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code
        err = capsys.readouterr().err
        assert code == 2, argv
        assert "error" in err
        assert "Traceback" not in err


#: Values a TOML file can hold, of the wrong type or out of range for a sweep spec's keys.
TOML_JUNK = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.one_of(st.integers(-3, 3), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=4), st.integers(-3, 3), max_size=2),
)
SPEC_KEYS = ["protocol", "design", "n", "seed", "engine", "readouts", "days", "genotype",
             "cohorts", "space", "params", "options"]  # fmt: skip


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(key=st.sampled_from(SPEC_KEYS), value=TOML_JUNK)
def test_malformed_sweep_specs_give_named_errors(tmp_path_factory, key, value):
    import tomli_w

    spec = {"protocol": "maury2015", "days": 2.0, "space": {"SAG.scale": [1.0]}, key: value}
    path = tmp_path_factory.mktemp("spec") / "spec.toml"
    path.write_text(tomli_w.dumps(spec), encoding="utf-8")
    try:
        out = sweep_from_spec(path).run(progress=False)
    except IpscsimError as exc:
        message = str(exc)
    else:
        message = None
        assert _finite(out), f"spec {key} = {value!r} returned NaN or infinite values"
    if message is not None:
        assert _names(message, key), f"spec {key} = {value!r}: {message}"
