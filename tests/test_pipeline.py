"""The one run pipeline: settings objects, prepared runs, batch outputs, trackers, stepping a run."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import ipscsim as ips
from ipscsim import ParameterError


def test_settings_objects_validate_and_pickle():
    for bad in (dict(rtol=2.0), dict(atol=0.0), dict(max_steps=0), dict(cohorts=1.5)):
        with pytest.raises(ParameterError, match=next(iter(bad))):
            ips.ODE(**bad)
    for bad in (dict(n_cells=5), dict(neighbours="grid"), dict(dt=0.0), dict(aggregate_size=1)):
        with pytest.raises(ParameterError, match=next(iter(bad))):
            ips.ABM(**bad)
    with pytest.raises(ParameterError, match="every"):
        ips.Record(every=0)
    with pytest.raises(ParameterError, match="snapshots"):
        ips.Record(snapshots=["x"])
    for obj in (ips.ODE(rtol=1e-8, cohorts=6), ips.ABM(n_cells=500), ips.Record(days=[3, 1])):
        assert pickle.loads(pickle.dumps(obj)) == obj
    assert ips.Record(days=[3, 1, 3]).days == (1.0, 3.0)


def test_settings_objects_load_no_engine():
    """Making settings objects imports no numba (they are plain data for workers and sweeps)."""
    import subprocess
    import sys

    code = (
        "import sys, ipscsim as ips; ips.ODE(); ips.ABM(n_cells=100); ips.Record(every=1);"
        "print('numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_old_keywords_warn_and_give_the_same_run():
    new = ips.simulate(
        "maury2015", engine=ips.ODE(rtol=1e-8, cohorts=6), record=ips.Record(every=0.5)
    )
    with pytest.warns(DeprecationWarning, match=r"ips\.ODE"):
        old = ips.simulate("maury2015", rtol=1e-8, cohorts=6, record_every=0.5)
    np.testing.assert_array_equal(old.records, new.records)
    np.testing.assert_array_equal(old.days, new.days)
    kw = dict(seed=3, days=3)
    new = ips.simulate("chambers2009", engine=ips.ABM(n_cells=800), progress=False, **kw)
    with pytest.warns(DeprecationWarning, match=r"engine='abm'"):
        old = ips.simulate("chambers2009", engine="abm", n_cells=800, progress=False, **kw)
    np.testing.assert_array_equal(old.counts_by_type, new.counts_by_type)


def test_trackers_do_not_change_the_ode_run_and_can_stop_it():
    plain = ips.simulate("maury2015")
    store = ips.trackers.DataTracker(lambda run, t: run.composition()["MN"], interval=1.0)
    tracked = ips.simulate("maury2015", trackers=[store])
    # The same algorithm and steps; the segment-by-segment driver is a separately compiled entry point,
    # and LLVM may fuse multiply-adds differently there (fastmath "contract"), so records agree to
    # rounding (measured: at most 1.1e-13 relative), not always bit for bit.
    np.testing.assert_allclose(tracked.records, plain.records, rtol=1e-10, atol=1e-14)
    # the ODE engine interrupts at breakpoints: every stored day is one of the protocol's
    breakpoints = ips.prepare("maury2015").compiled.t
    assert set(store.times) <= set(breakpoints.tolist())
    # the result reports types with less than one cell per well as none: 1e-9 covers those
    assert store.frame()[0].iloc[-1] == pytest.approx(plain.fractions["MN"].iloc[-1], abs=1e-9)
    stop = ips.trackers.StopWhen(lambda run, t: run.composition()["MN"] > 0.2)
    early = ips.simulate("maury2015", trackers=[stop])
    n = len(early.days)
    assert 0 < n < len(plain.days)
    assert "StopWhen" in early.meta["solver"]["stopped"]
    np.testing.assert_allclose(early.records, plain.records[:n], rtol=1e-10, atol=1e-14)
    assert plain.fractions["MN"].iloc[n] > 0.2  # it stopped at the first breakpoint past the level


def test_a_stepped_abm_run_equals_the_run_simulate_makes():
    engine = ips.ABM(n_cells=1500)
    ref = ips.simulate("chambers2009", engine=engine, seed=9, days=4, progress=False)
    run = engine.start("chambers2009", seed=9, days=4)
    seen = []
    while run.t < 2.0:
        run.step()
        seen.append(run.t)
    assert np.all(np.diff(seen) > 0)
    assert np.all(np.diff(seen) <= 1.25 * engine.dt + 1e-12)  # a step may absorb a sliver
    cells = run.snapshot()
    assert len(cells) == run.cells.n
    comp = run.composition()
    assert sum(comp.values()) == pytest.approx(1.0, abs=1e-12)
    out = run.run()
    np.testing.assert_array_equal(out.types, ref.counts_by_type)
    np.testing.assert_array_equal(out.globals, ref.records)


def test_batch_output_makes_results_and_readouts():
    runs = [ips.prepare("maury2015", params={"k_neurogenesis": v}) for v in (1.0, 1.5)]
    out = ips.ODE().run(runs)
    counts, _ = out.readouts()
    for i, r in enumerate(out.results()):
        c = np.where(counts[i] * r.seeded < 1.0, 0.0, counts[i])  # less than a cell per well: none
        np.testing.assert_allclose(c / c.sum(axis=1)[:, None], r.fractions.values, rtol=1e-12)
        assert out.lineage(i) == pytest.approx(r.records[-1, -L_GLOBALS + L_LINEAGE])
        assert r.meta["engine"] == "ode"


from ipscsim.model import layout as _L  # noqa: E402

L_GLOBALS, L_LINEAGE = _L.N_GLOBALS, _L.X_LINEAGE


def test_a_sweep_runs_the_agent_based_engine():
    s = ips.Sweep(
        "chambers2009",
        {"Noggin.scale": [0.5, 1.0]},
        seed=5,
        engine=ips.ABM(n_cells=600),
        days=3,
        readouts=["iPSC@3", "neuroectoderm@3"],
    )
    table = s.run(progress=False).to_dataframe()
    assert (table["status"] == "ok").all()
    for run_id, row in table.iterrows():
        r = ips.simulate(
            s.protocol_for(run_id),
            engine=ips.ABM(n_cells=600),
            seed=int(row["seed"]),
            days=3,
            progress=False,
        )
        assert row["iPSC@3"] == pytest.approx(r.fractions["iPSC"].iloc[-1], abs=1e-12)
    assert s.spec()["engine"]["name"] == "abm"
