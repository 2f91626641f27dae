"""Faults injected into sweeps: foreign, missing and damaged store files, forked pools, lost workers.

Each case ends with the exact table of an uninterrupted run (or a refusal naming the file and the fix).
"""

import json
import multiprocessing
import os
import shutil
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import pytest

import ipscsim as ips
from ipscsim import StoreError

SPACE = {"SAG.scale": [0.3, 1.0, 3.0], "DAPT.start": [7.0, 9.0]}
READOUTS = ["mn_fraction", "MN@12"]


def _sweep(space=SPACE, seed=3):
    return ips.Sweep("maury2015", space, seed=seed, readouts=READOUTS)


def _table(result):
    return result.to_dataframe().drop(columns=["wall_time_s"])


@pytest.fixture(scope="module")
def clean():
    return _table(_sweep().run(progress=False))


def test_a_part_from_another_sweep_is_refused_by_name(tmp_path, clean):
    mine, other = tmp_path / "mine", tmp_path / "other"
    _sweep().run(store=mine, progress=False, chunk_size=2)
    _sweep({"SAG.scale": [2.0, 4.0]}).run(store=other, progress=False)
    foreign = sorted(other.glob("part-*.parquet"))[0]
    shutil.copy(foreign, mine / "part-999999-foreign0.parquet")
    with pytest.raises(StoreError, match=r"part-999999-foreign0\.parquet.*another sweep.*move it"):
        _sweep().run(store=mine, progress=False)
    (mine / "part-999999-foreign0.parquet").unlink()  # the fix the message names
    again = _sweep().run(store=mine, progress=False)
    assert again.meta["run"]["runs_this_call"] == 0
    pd.testing.assert_frame_equal(_table(again), clean, check_dtype=False)


def test_a_store_without_its_spec_file_is_refused(tmp_path, clean):
    store = tmp_path / "store"
    _sweep().run(store=store, progress=False, chunk_size=2)
    spec = (store / "_sweep.json").read_text()
    (store / "_sweep.json").unlink()
    with pytest.raises(StoreError, match=r"part files but no _sweep\.json.*restore"):
        _sweep().run(store=store, progress=False)
    (store / "_sweep.json").write_text(spec)
    pd.testing.assert_frame_equal(
        _table(_sweep().run(store=store, progress=False)), clean, check_dtype=False
    )
    (store / "_sweep.json").write_text("{not json")
    with pytest.raises(StoreError, match=r"_sweep\.json cannot be read"):
        _sweep().run(store=store, progress=False)
    unseeded = ips.Sweep("maury2015", SPACE, readouts=READOUTS)  # adopts a stored seed if it can
    with pytest.raises(StoreError, match=r"_sweep\.json cannot be read"):
        unseeded.run(store=store, progress=False)


@pytest.mark.parametrize("damage", ["truncated", "not parquet", "empty"])
def test_a_damaged_part_is_quarantined_and_its_runs_rerun(tmp_path, clean, damage):
    store = tmp_path / "store"
    _sweep().run(store=store, progress=False, chunk_size=2)
    part = sorted(store.glob("part-*.parquet"))[1]
    data = part.read_bytes()
    part.write_bytes(
        {"truncated": data[: len(data) // 2], "not parquet": b"run_id,x\n1,2\n", "empty": b""}[
            damage
        ]
    )
    with pytest.warns(RuntimeWarning, match=rf"{part.name}.*damaged.*_quarantine"):
        again = _sweep().run(store=store, progress=False)
    assert again.meta["run"]["runs_this_call"] == 2  # the damaged part's two runs, nothing else
    assert (store / "_quarantine" / part.name).is_file()
    pd.testing.assert_frame_equal(_table(again), clean, check_dtype=False)


def test_parts_are_written_durably_without_leftovers(tmp_path):
    store = tmp_path / "store"
    _sweep().run(store=store, progress=False, chunk_size=4)
    names = sorted(p.name for p in store.iterdir())
    assert names[0] == "_sweep.json"
    assert all(n.endswith(".parquet") for n in names[1:])
    assert json.loads((store / "_sweep.json").read_text())["hash"] == ips.sweep.store.spec_hash(
        _sweep().spec()
    )


def test_a_forking_pool_is_replaced_and_work_runs_in_the_workers(clean):
    fork = multiprocessing.get_context("fork")
    with (
        ProcessPoolExecutor(2, mp_context=fork) as pool,
        pytest.warns(RuntimeWarning, match="spawn pool of 2 workers"),
    ):
        got = _sweep().run(executor=pool, progress=False, chunk_size=1)
    run = got.meta["run"]
    assert run["replaced_fork_pool"]
    assert run["chunks_rerun_locally"] == []
    assert run["worker_pids"]
    assert os.getpid() not in run["worker_pids"]
    pd.testing.assert_frame_equal(_table(got), clean)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        spawned = _sweep().run(executor=pool, progress=False, chunk_size=1)
    assert os.getpid() not in spawned.meta["run"]["worker_pids"]
    pd.testing.assert_frame_equal(_table(spawned), clean)


def test_a_killed_dask_worker_loses_no_run_after_a_rerun(tmp_path):
    """Workers are killed while chunks run; with no retries allowed some chunks are lost, then rerun."""
    distributed = pytest.importorskip("distributed")
    import dask

    space = {"SAG.scale": [0.3 + 0.1 * i for i in range(24)], "DAPT.start": [7.0, 9.0]}
    store = tmp_path / "store"
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        client.run(lambda: __import__("ipscsim").simulate("maury2015", days=1))  # warm the workers
        result = {}

        def run():
            with pytest.warns(RuntimeWarning, match="lost with their workers"):
                result["first"] = _sweep(space).run(executor=client, store=store, progress=False,
                                                    chunk_size=2)  # fmt: skip

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.time() + 120
        while not list(store.glob("part-*.parquet")) and time.time() < deadline:
            time.sleep(0.01)
        pids = client.run(os.getpid)
        os.kill(next(iter(pids.values())), 9)  # a worker dies in the middle of a chunk
        thread.join(300)
        first = result["first"]
        lost = first.meta["run"]["chunks_lost"]
        assert lost, "killing a busy worker lost no chunk"
        table = first.to_dataframe()
        assert set(table.loc[table["status"] == "lost", "message"].str[:25]) == {
            "chunk lost on the cluster"
        }
        rerun = _sweep(space).run(executor=client, store=store, progress=False, chunk_size=2)
    assert rerun.meta["run"]["runs_this_call"] == 2 * len(lost)
    clean = _sweep(space).run(progress=False)
    pd.testing.assert_frame_equal(_table(rerun), _table(clean), check_dtype=False)


def test_a_store_reads_its_columns_in_a_finished_runs_order_whichever_part_came_first(tmp_path):
    """A lost chunk's part has no readouts; read first, it used to put status and message before the
    readouts, so a rerun's table differed from a clean run's by column order (seen on CI in
    test_a_killed_dask_worker_loses_no_run_after_a_rerun)."""
    from ipscsim.sweep.store import LOST, SweepStore

    store = SweepStore(tmp_path / "s", {"sweep": "columns"})
    store.write([{"run_id": 0, "x": 1.0, "status": LOST, "message": "chunk lost"}], chunk=0)
    store.write([{"run_id": 1, "x": 2.0, "mn": 0.5, "status": "ok", "message": ""}], chunk=1)
    table = store.read()
    assert list(table.columns) == ["x", "mn", "status", "message"]
    assert table.loc[0, "status"] == LOST
    assert pd.isna(table.loc[0, "mn"])
    assert table.loc[1, "mn"] == 0.5


def test_a_store_with_a_lost_part_as_wide_as_a_finished_one_reads_in_the_finished_order(tmp_path):
    """CI's killed-worker run: the lost part had every column, status first, and won a width tie."""
    from ipscsim.sweep.store import LOST, SweepStore

    store = SweepStore(tmp_path / "s", {"sweep": "tie"})
    store.write([{"run_id": 0, "x": 1.0, "status": LOST, "message": "lost", "mn": None}], chunk=0)
    store.write([{"run_id": 1, "x": 2.0, "mn": 0.5, "status": "ok", "message": ""}], chunk=1)
    assert list(store.read().columns) == ["x", "mn", "status", "message"]


def test_invalid_failed_and_lost_rows_have_a_finished_rows_columns_in_its_order():
    """Every row a chunk can produce shares one layout, so no part of a store reorders the table."""
    from ipscsim.sweep.executors import _lost_rows
    from ipscsim.sweep.runner import run_chunk

    layout = ["run_id", "RA.start", "RA.end", "seed", *READOUTS, "status", "message", "wall_time_s"]
    joint = ips.Sweep("maury2015", {"RA.start": [3, 8.5], "RA.end": [4, 9]}, readouts=READOUTS)
    tasks = dict(joint._tasks([0, 1, 2, 3], chunk_size=1))
    (ok,), (invalid,) = run_chunk(tasks[0]), run_chunk(tasks[2])
    assert (ok["status"], invalid["status"]) == ("ok", "invalid")
    assert list(ok) == list(invalid) == list(_lost_rows(tasks[1], "chunk lost")[0]) == layout
    stiff = ips.Sweep(
        "maury2015", {"RA.start": [3.0], "k_hes": [100.0]}, readouts=READOUTS,
        engine=ips.ODE(max_steps=60),
    )  # fmt: skip
    (failed,) = run_chunk(next(iter(dict(stiff._tasks([0], chunk_size=1)).values())))
    assert failed["status"] == "failed"
    assert list(failed) == ["run_id", "RA.start", "k_hes", *layout[3:]]


def test_a_run_whose_state_turns_nan_fails_by_name_and_is_a_failed_row():
    import numpy as np

    from ipscsim.model.prepare import prepare_run
    from ipscsim.results import BatchOutput

    out = ips.ODE().run([prepare_run(ips.protocols.get("maury2015"), None, 4.0)], seed=1)
    assert out.ok(0)
    records = [out.records[0].copy()]
    records[0][5, 3] = np.nan  # the state of day 5 * record_every
    bad = BatchOutput(
        out.runs, "ode", records, out.status, out.messages, out.solver, out.seeds, 0.0
    )
    assert not bad.ok(0)
    day = out.runs[0].record_days[5]
    assert f"non-finite (NaN or inf) by day {day:g}" in bad.message(0)
    with pytest.raises(ips.SimulationError, match="non-finite"):
        bad.result(0)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (
            lambda: ips.Protocol.from_dict(
                {"name": "t", "days": 28, "media_change_every": 1e-9, "steps": []}
            ),
            r"media_change_every: 1e-09 days gives 2\.8e\+10 media changes.*smallest interval "
            r"for this protocol is 0\.0014 days",
        ),
        (
            lambda: ips.simulate("chambers2009", engine=ips.ABM(n_cells=100, dt=1e-9), days=2),
            r"dt: 1e-09 days needs 2e\+09 steps over 2 days.*smallest dt for this run is 1e-06",
        ),
        (
            lambda: ips.simulate("maury2015", record=ips.Record(every=1e-9)),
            r"record_every: 1e-09 records more than a million",
        ),
        (
            lambda: ips.survival.assay(days=28, record_every=1e-9),
            r"record_every: 1e-09 gives 2\.8e\+10 time points.*smallest spacing for this assay "
            r"is 2\.8e-05 days",
        ),
        (
            lambda: ips.survival.assay(n_cells=10**12),
            r"n_cells \(MNs per well, or None for the expected curve\): 1000000000000 must be",
        ),
        (lambda: ips.transplant.simulate("CNS10-NPC-GDNF", grid_mm=1e-300), r"grid_mm: 1e-300"),
        (
            lambda: ips.transplant.simulate("CNS10-NPC-GDNF", record_every=1e-9),
            r"record_every: 1e-09 must be a number of months .* at most 100000 records",
        ),
    ],
    ids=[
        "media",
        "abm dt",
        "records",
        "assay points",
        "assay cells",
        "graft grid",
        "graft records",
    ],
)
def test_unbounded_work_is_refused_up_front_with_the_estimate(call, words):
    with pytest.raises(ips.IpscsimError, match=words):
        call()
