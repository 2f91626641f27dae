"""Sweeps: spaces, designs, executors (embedded, futures, a real Dask cluster), stores, resume."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import ipscsim as ips
from ipscsim import ParameterError, ProtocolError

SPACE = {"SAG.scale": [0.3, 1.0, 3.0], "DAPT.start": [7.0, 9.0], "k_neurogenesis": [1.2, 1.8]}
READOUTS = ["mn_fraction", "mn_yield", "MN@12", "OLIG2@9"]


def _table(result):
    return result.to_dataframe().drop(columns=["wall_time_s"])


@pytest.fixture(scope="module")
def reference():
    return ips.Sweep("maury2015", SPACE, seed=5, readouts=READOUTS).run(progress=False)


def test_grid_runs_every_combination_and_matches_single_simulations(reference):
    df = reference.to_dataframe()
    assert len(df) == 12
    assert (df["status"] == "ok").all()
    row = df.iloc[7]
    p = (
        ips.protocols.get("maury2015")
        .scale("SAG", row["SAG.scale"])
        .shift("DAPT", row["DAPT.start"] - 9)
    )
    r = ips.simulate(p, params={"k_neurogenesis": row["k_neurogenesis"]})
    assert row["mn_fraction"] == pytest.approx(r.summary()["mn_fraction"], rel=1e-9)
    assert row["MN@12"] == pytest.approx(np.interp(12, r.days, r.fractions["MN"]), rel=1e-9)


def test_timing_readouts_are_the_days_a_run_shows(tmp_path):
    """``onset:OLIG2`` and ``peak:SOX1`` in a sweep are the days Result.stage_timing() gives."""
    got = (
        ips.Sweep("maury2015", {"SAG.scale": [0.5, 1.0]}, readouts=["onset:OLIG2", "peak:SOX1"])
        .run(progress=False)
        .to_dataframe()
    )
    for _, row in got.iterrows():
        r = ips.simulate(ips.protocols.get("maury2015").scale("SAG", row["SAG.scale"]))
        t = r.stage_timing(["OLIG2", "SOX1"])
        assert row["onset:OLIG2"] == pytest.approx(t.loc["OLIG2", "onset"], abs=1e-9)
        assert row["peak:SOX1"] == pytest.approx(t.loc["SOX1", "peak"], abs=1e-9)
    with pytest.raises(ips.ParameterError, match=r"'OLIG' is neither.*'OLIG2'.*'onset:OLIG2'"):
        ips.Sweep("maury2015", {"SAG.scale": [1.0]}, readouts=["onset:OLIG"])


def test_a_readout_day_outside_the_run_is_refused():
    """maury2015 runs 14 days: MN@30 has no value (it would be a NaN row marked ok), unless the
    sweep runs longer."""
    with pytest.raises(
        ips.ParameterError, match=r"'MN@30': day 30 is outside the run \(days 0 to 14\)"
    ):
        ips.Sweep("maury2015", {"SAG.scale": [1.0]}, readouts=["MN@30"])
    with pytest.raises(ips.ParameterError, match="day -1 is outside the run"):
        ips.Sweep("maury2015", {"SAG.scale": [1.0]}, readouts=["MN@-1"])
    with pytest.raises(ips.ParameterError, match="'MN@nan': the day must be a finite number"):
        ips.Sweep("maury2015", {"SAG.scale": [1.0]}, readouts=["MN@nan"])
    ips.Sweep("maury2015", {"SAG.scale": [1.0]}, readouts=["MN@30"], days=30)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_same_seed_same_table_for_any_thread_count(reference, n_jobs):
    again = ips.Sweep("maury2015", SPACE, seed=5, readouts=READOUTS).run(
        n_jobs=n_jobs, progress=False, chunk_size=5
    )
    pd.testing.assert_frame_equal(_table(again), _table(reference))


@pytest.mark.parametrize(
    "make",
    [lambda: ThreadPoolExecutor(2), lambda: ProcessPoolExecutor(2)],
    ids=["threads", "processes"],
)
def test_futures_executors_give_the_same_table(reference, make):
    with make() as ex:
        got = ips.Sweep("maury2015", SPACE, seed=5, readouts=READOUTS).run(
            executor=ex, progress=False, chunk_size=3
        )
    pd.testing.assert_frame_equal(_table(got), _table(reference))


def test_dask_local_cluster_gives_the_same_table(reference):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        got = ips.Sweep("maury2015", SPACE, seed=5, readouts=READOUTS).run(
            executor=client, progress=False, chunk_size=3
        )
        via_address = ips.Sweep("maury2015", SPACE, seed=5, readouts=READOUTS).run(
            executor=cluster.scheduler_address, progress=False, chunk_size=4
        )
        abm = ips.Sweep(
            "chambers2009",
            {"Noggin.scale": [0.5, 1.0]},
            seed=5,
            engine=ips.ABM(n_cells=600),
            days=2,
            readouts=["iPSC@2"],
        )
        abm_dask = abm.run(executor=client, progress=False, chunk_size=1)
    pd.testing.assert_frame_equal(_table(abm_dask), _table(abm.run(progress=False)))
    pd.testing.assert_frame_equal(_table(got), _table(reference))
    pd.testing.assert_frame_equal(_table(via_address), _table(reference))
    assert got.meta["run"]["executor"] == "dask"


def test_sampling_designs_are_reproducible_and_cover_the_bounds():
    space = {
        "SAG.scale": (0.5, 2.0),
        "k_neurogenesis": {"bounds": [1.0, 2.0], "dist": "loguniform"},
    }
    for design, n in (("random", 20), ("lhs", 20), ("sobol", 16)):
        a = ips.Sweep("maury2015", space, design=design, n=n, seed=3)
        b = ips.Sweep("maury2015", space, design=design, n=n, seed=3)
        np.testing.assert_array_equal(a.points, b.points)
        assert a.points[:, 0].min() >= 0.5
        assert a.points[:, 0].max() <= 2.0
        assert a.points[:, 1].min() >= 1.0
        assert a.points[:, 1].max() <= 2.0
    lhs = ips.Sweep("maury2015", {"SAG.scale": (0.0, 1.0)}, design="lhs", n=10, seed=1).points[:, 0]
    assert sorted(np.floor(lhs * 10).astype(int)) == list(range(10))  # one point per stratum


def test_salib_problem_is_accepted_as_a_space():
    problem = {
        "num_vars": 2,
        "names": ["SAG.scale", "k_neurogenesis"],
        "bounds": [[0.5, 2], [1, 2]],
    }
    s = ips.Sweep("maury2015", problem, design="lhs", n=8, seed=0)
    assert s.space.names == ("SAG.scale", "k_neurogenesis")


@pytest.mark.parametrize(
    ("space", "kwargs", "error", "words"),
    [
        ({"SGA.scale": [1, 2]}, {}, ProtocolError, "did you mean 'SAG'"),
        ({"SHH.scale": [1, 2]}, {}, ParameterError, "has no step with 'SHH'"),
        ({"SAG.volume": [1, 2]}, {}, ParameterError, "unknown knob 'volume'"),
        ({"culture.density": [1e4]}, {}, ParameterError, "did you mean 'seeding_density'"),
        ({"culture.seeding_density": [-5.0]}, {}, ProtocolError, "seeding_density = -5"),
        ({"culture.cassette_efficiency": [0.5]}, {}, ProtocolError, "without a cassette"),
        ({"k_neurogenisis": [1, 2]}, {}, ParameterError, "did you mean 'k_neurogenesis'"),
        ({"SAG.scale": []}, {}, ParameterError, "empty list"),
        ({"SAG.scale": (2.0, 1.0)}, {"design": "lhs", "n": 4}, ParameterError, "empty range"),
        ({"DAPT.start": [7, 15]}, {}, ProtocolError, "DAPT.start = 15"),
        (
            {"dissociation_survival": [0.5, 2.0]},
            {},
            ParameterError,
            "outside what the model accepts",
        ),
        ({"SAG.scale": (0.5, 2.0)}, {}, ParameterError, "has bounds, not values"),
        ({"SAG.scale": (0.5, 2.0)}, {"design": "sobol", "n": 100}, ParameterError, "use n = 128"),
        ({"SAG.scale": [1]}, {"readouts": ["MN@x"]}, ParameterError, "is not a number"),
        (
            {"SAG.scale": [1]},
            {"readouts": ["mn_fractoin"]},
            ParameterError,
            "did you mean 'mn_fraction'",
        ),
    ],
)
def test_invalid_spaces_are_rejected_before_anything_runs(space, kwargs, error, words):
    with pytest.raises(error, match=words):
        ips.Sweep("maury2015", space, **kwargs)


def test_failed_and_invalid_runs_are_rows_and_the_sweep_goes_on():
    r = ips.Sweep(
        "maury2015", {"k_hes": [3, 100], "k_ngn2": [3, 100]}, engine=ips.ODE(max_steps=60)
    ).run(progress=False)
    df = r.to_dataframe()
    assert df.loc[0, "status"] == "ok"
    assert (df.loc[1:, "status"] == "failed").all()
    assert df.loc[1:, "message"].str.contains("step budget").all()
    assert df.loc[1:, "mn_fraction"].isna().all()
    joint = ips.Sweep("maury2015", {"RA.start": [3, 8.5], "RA.end": [4, 9]}).run(progress=False)
    jdf = joint.to_dataframe()
    assert list(jdf["status"]) == ["ok", "ok", "invalid", "ok"]
    assert "RA.end = 4" in jdf.loc[2, "message"]
    assert len(joint.failed) == 1


def test_store_resumes_and_refuses_another_sweep(tmp_path, reference):
    store = tmp_path / "runs"
    first = ips.Sweep("maury2015", SPACE, seed=5, readouts=READOUTS).run(
        store=store, progress=False, chunk_size=4
    )
    assert first.meta["run"]["runs_this_call"] == 12
    again = ips.Sweep("maury2015", SPACE, seed=5, readouts=READOUTS).run(
        store=store, progress=False
    )
    assert again.meta["run"]["runs_this_call"] == 0
    pd.testing.assert_frame_equal(_table(again), _table(reference), check_dtype=False)
    with pytest.raises(ValueError, match="holds a different sweep"):
        ips.Sweep("maury2015", {"SAG.scale": [1, 2]}).run(store=store, progress=False)


CHILD = textwrap.dedent(
    """
    import signal
    import sys
    import numpy as np
    import ipscsim as ips
    # Ctrl-C as a terminal delivers it, even where the runner started us with SIGINT ignored (a
    # background job of a shell without job control inherits SIG_IGN, and Python keeps it)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    space = {"SAG.scale": list(np.linspace(0.3, 3, 40)), "DAPT.start": [7.0, 8.0, 9.0, 10.0, 11.0]}
    ips.Sweep("maury2015", space, seed=1, readouts=["mn_fraction"]).run(store=sys.argv[1], progress=False,
                                                                        chunk_size=2, n_jobs=1)
    """
)
FULL_SPACE = {"SAG.scale": list(np.linspace(0.3, 3, 40)), "DAPT.start": [7.0, 8.0, 9.0, 10.0, 11.0]}


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_interrupted_sweep_loses_nothing_and_runs_nothing_twice(tmp_path, how):
    import pyarrow.parquet as pq

    store = tmp_path / "store"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(store)])
    deadline = time.time() + 120
    while time.time() < deadline and len(list(store.glob("part-*.parquet"))) < 5:
        time.sleep(0.005)
    os.kill(proc.pid, how)
    proc.wait(timeout=60)
    parts_before = {p.name: pq.read_table(p).to_pandas() for p in store.glob("part-*.parquet")}
    done_before = sorted(int(i) for df in parts_before.values() for i in df["run_id"])
    assert 5 <= len(done_before) < 200, "the sweep was not interrupted part-way"
    resumed = ips.Sweep("maury2015", FULL_SPACE, seed=1, readouts=["mn_fraction"]).run(
        store=store, progress=False, n_jobs=1
    )
    assert resumed.meta["run"]["runs_this_call"] == 200 - len(done_before)
    for name, df in parts_before.items():  # finished runs are kept as they were
        pd.testing.assert_frame_equal(pq.read_table(store / name).to_pandas(), df)
    all_ids = [
        int(i) for p in store.glob("part-*.parquet") for i in pq.read_table(p)["run_id"].to_pylist()
    ]
    assert sorted(all_ids) == list(range(200))  # every run exactly once
    clean = ips.Sweep("maury2015", FULL_SPACE, seed=1, readouts=["mn_fraction"]).run(progress=False)
    pd.testing.assert_frame_equal(_table(resumed), _table(clean), check_dtype=False)


def test_result_views(reference):
    best = reference.best("mn_fraction")
    assert best["mn_fraction"] == reference.to_dataframe()["mn_fraction"].max()
    ds = reference.to_xarray()
    assert dict(ds.sizes) == {"SAG.scale": 3, "DAPT.start": 2, "k_neurogenesis": 2}
    assert float(
        ds["mn_fraction"].sel({"SAG.scale": 1.0, "DAPT.start": 9.0, "k_neurogenesis": 1.2})
    ) == pytest.approx(
        reference.to_dataframe()
        .query("`SAG.scale` == 1.0 and `DAPT.start` == 9.0 and k_neurogenesis == 1.2")[
            "mn_fraction"
        ]
        .iloc[0]
    )
    with pytest.raises(ParameterError, match="was not recorded"):
        reference.best("chat_fraction")
    assert "SweepResult" in reference._repr_html_()


def test_plots_show_the_readout():
    two = ips.Sweep(
        "maury2015", {"SAG.scale": [0.3, 1, 3], "DAPT.start": [7, 9]}, readouts=["mn_fraction"]
    ).run(progress=False)
    fig = two.plot("mn_fraction")
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("SAG.scale")
    assert ax.get_ylabel().startswith("DAPT.start (day")
    mesh = ax.collections[0]
    assert mesh.get_array().size == 6
    one = ips.Sweep("maury2015", {"SAG.scale": [0.3, 1, 3]}, readouts=["mn_fraction"]).run(
        progress=False
    )
    line = one.plot().axes[0].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), one.to_dataframe()["mn_fraction"].to_numpy())
    many = ips.Sweep("maury2015", SPACE, readouts=["mn_fraction"]).run(progress=False)
    assert len(many.plot().axes[0].get_lines()) == 12


def test_cli_sweep_runs_and_resumes(tmp_path, capsys):
    from ipscsim.cli import main

    spec = tmp_path / "spec.toml"
    spec.write_text(
        'protocol = "maury2015"\nreadouts = ["mn_fraction"]\n[space]\n"SAG.scale" = [0.3, 1, 3]\n'
    )
    store = tmp_path / "store"
    assert main(["sweep", str(spec), "--store", str(store), "--no-progress"]) == 0
    assert "3 runs (3 ok" in capsys.readouterr().out
    assert main(["sweep", str(spec), "--store", str(store), "--no-progress"]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('protocol = "maury2015"\nspace = { "SAG.scale" = [1] }\ndesing = "grid"\n')
    assert main(["sweep", str(bad), "--store", str(store)]) == 2
    assert "did you mean 'design'" in capsys.readouterr().err


def test_progress_bar_reports_runs(capsys):
    ips.Sweep("maury2015", {"SAG.scale": [0.5, 1.0]}).run(progress=True)
    assert "2/2" in capsys.readouterr().err


def test_culture_knobs_sweep_the_delivery_and_the_seeding():
    """A sweep over the share of cells the vectors reach matches single runs with that delivery."""
    space = {"culture.cassette_efficiency": [0.5, 1.0], "culture.seeding_density": [3e4, 6e4]}
    df = (
        ips.Sweep("hester2011", space, readouts=["MN@11"], seed=1)
        .run(progress=False)
        .to_dataframe()
    )
    assert (df["status"] == "ok").all()
    row = df.iloc[0]
    p = ips.Protocol.from_dict(
        {
            **ips.protocols.get("hester2011").to_dict(),
            "cassette_efficiency": row["culture.cassette_efficiency"],
            "seeding_density": row["culture.seeding_density"],
        }
    )
    assert row["MN@11"] == pytest.approx(ips.simulate(p).fractions.loc[11, "MN"], rel=1e-9)
    by = df.groupby("culture.cassette_efficiency")["MN@11"].mean()
    assert by[1.0] > by[0.5] + 0.2  # more cells programmed, more motor neurons
    assert (
        ips.plot.labels.input_label("culture.seeding_density")
        == "culture.seeding_density (cells/cm^2)"
    )


@pytest.mark.parametrize("name", ["ODE", "Abm", " ode "])
def test_a_spec_names_its_engine_in_any_case_as_simulate_does(tmp_path, name):
    from ipscsim.sweep.spec import sweep_from_spec

    spec = tmp_path / "spec.toml"
    spec.write_text(
        f'protocol = "maury2015"\nengine = "{name}"\n[space]\n"SAG.scale" = [1]\n', "utf-8"
    )
    assert type(sweep_from_spec(spec).engine).__name__ == name.strip().upper()
    spec.write_text('protocol = "maury2015"\nengine = "pde"\n[space]\n"SAG.scale" = [1]\n')
    with pytest.raises(ParameterError, match="engine 'pde' must be 'ode' or 'abm'"):
        sweep_from_spec(spec)


@pytest.mark.parametrize("text", ["dask", "processes", "localhost"])
def test_an_executor_string_that_is_no_scheduler_address_is_named_with_the_alternatives(text):
    s = ips.Sweep("maury2015", {"SAG.scale": [1]}, days=2)
    with pytest.raises(
        ParameterError, match=rf"executor: '{text}' is not a dask scheduler address"
    ):
        s.run(executor=text, progress=False)
