"""The sweep's fast preparation: one compiled protocol per protocol shape, scale knobs on its arrays.

Its prepared runs must be the plain build's, bit for bit (so a sweep's row is the same number a user
gets from ``ips.simulate`` of the same protocol), and a value it cannot vouch for must fall back to
the plain build, whose message the user sees.
"""

import math

import numpy as np
import pytest

import ipscsim as ips
from ipscsim.model.prepare import prepare_run
from ipscsim.protocols import Protocol
from ipscsim.sweep import prepare as fastprep
from ipscsim.sweep.readouts import parse_readouts
from ipscsim.sweep.runner import ChunkTask, build_run, prepare_options, run_chunk

# RA is both a step and a component of N2B27 (0.02 nM), so its column adds a scaled step to the medium
NAMES = ["RA.scale", "SAG.scale", "DAPT.start", "SAG.end", "k_neurogenesis"]
KINDS = ["knob", "knob", "knob", "knob", "param"]
VALUES = np.array(
    [
        [0.5, 0.0, 7.0, 10.0, 1.2],
        [2.0, 3.0, 7.0, 10.0, 1.5],
        [0.3, 1.7, 9.0, 10.0, 1.5],
        [1.0, 1.0, 9.0, 11.0, 1.2],
        [7.0, 0.2, 7.0, 10.0, 1.8],
    ]
)


def _task(values=VALUES, names=NAMES, kinds=KINDS):
    base = ips.protocols.get("maury2015").to_dict()
    base["medium"] = "N2B27"
    return ChunkTask(
        protocol=base,
        names=list(names),
        kinds=list(kinds),
        run_ids=list(range(len(values))),
        values=np.asarray(values, dtype=float),
        seeds=[0] * len(values),
        readouts=parse_readouts(["mn_fraction", "MN@12"]),
        fixed_params={"k_hes": 5.0},
    )


def _preparer(task):
    options, extra = prepare_options(task)
    base = Protocol.from_dict(task.protocol)
    fast = fastprep.ChunkPreparer(
        base, task.names, task.kinds, task.fixed_params, {**options, "record": extra}
    )
    return fast, base, options, extra


def test_fast_prepared_runs_are_bit_identical_to_building_each_run():
    task = _task()
    fast, base, options, extra = _preparer(task)
    for i in range(len(VALUES)):
        got = fast.run(task.values[i])
        protocol, params = build_run(task, i, base)
        want = prepare_run(protocol, params, **options).recording(extra)
        assert got is not None
        for field in ("t", "u", "op", "op_count"):
            assert np.array_equal(getattr(got.compiled, field), getattr(want.compiled, field))
        assert np.array_equal(got.params, want.params)
        assert np.array_equal(got.y0, want.y0)
        assert np.array_equal(got.record_days, want.record_days)
        assert got.compiled.seeded == want.compiled.seeded


def test_one_shape_is_prepared_per_set_of_window_knobs(monkeypatch):
    calls = []
    real = fastprep.prepare_shape

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(fastprep, "prepare_shape", counting)
    fastprep._SHAPES.clear()
    task = _task()
    fast, *_ = _preparer(task)
    for v in task.values:
        fast.run(v)
    again, *_ = _preparer(_task())  # another chunk of the same sweep reuses them
    for v in task.values:
        again.run(v)
    assert len(calls) == len({(v[2], v[3]) for v in VALUES})


@pytest.mark.parametrize("bad", [-1.0, math.nan])
def test_a_value_the_fast_path_cannot_vouch_for_is_built_the_plain_way(bad):
    values = VALUES[:2].copy()
    values[1, 1] = bad
    task = _task(values)
    fast, *_ = _preparer(task)
    assert fast.run(task.values[0]) is not None
    assert fast.run(task.values[1]) is None
    rows = run_chunk(task)
    assert rows[0]["status"] == "ok"
    assert rows[1]["status"] == "invalid"
    assert "SAG.scale" in rows[1]["message"]


def test_a_sweep_row_is_the_simulation_of_its_protocol():
    """Row 2, rebuilt by hand with the Protocol API (not the sweep's build_run, which run_chunk
    itself uses, so a knob applied wrongly would pass): RA x 0.3, SAG x 1.7 until day 10 instead of
    9, DAPT from day 9 (its preset start), k_neurogenesis 1.5 and the task's fixed k_hes 5."""
    task = _task()
    rows = run_chunk(task)
    i = 2
    assert VALUES[i].tolist() == [0.3, 1.7, 9.0, 10.0, 1.5]
    protocol = (
        Protocol.from_dict(task.protocol)
        .scale("RA", 0.3)
        .without("SAG")
        .with_step("SAG", 0.5 * 1.7, "uM", start=2, end=10)
    )
    assert next(s for s in protocol.steps if s.compound == "DAPT").start == 9.0
    r = ips.simulate(protocol, params={"k_neurogenesis": 1.5, "k_hes": 5.0})
    assert rows[i]["mn_fraction"] == pytest.approx(r.summary()["mn_fraction"], rel=1e-9)
    assert rows[i]["MN@12"] == pytest.approx(np.interp(12, r.days, r.fractions["MN"]), rel=1e-9)
