"""Sweep benchmark: the embedded default, a Dask LocalCluster and a naive loop, in one run.

The sweep is a grid over maury2015: SAG dose x RA dose x DAPT start day (25 x 20 x 20 = 10,000 runs;
``--quick``: 10 x 10 x 10 = 1,000). Reported as runs per second:

* ``runs_per_s_local``: ``Sweep.run()`` with the embedded default (batch engine, all local cores);
* ``runs_per_s_dask``: ``Sweep.run(executor=client)`` on a ``LocalCluster`` with two worker processes;
* ``runs_per_s_loop``: a naive loop ``ips.simulate(protocol_variant).summary()`` over a subset;
* ``dask_overhead``: ``runs_per_s_local / runs_per_s_dask - 1`` (0.25 = Dask 25% slower).

The last line printed is one JSON object with those keys. Usage:
``python benchmarks/bench_sweep.py [--quick]``.
"""

import argparse
import json
import os
import platform
import time

import numpy as np

import ipscsim as ips


def grid(quick: bool):
    n_sag, n_ra, n_dapt = (10, 10, 10) if quick else (25, 20, 20)
    return {
        "SAG.scale": list(np.geomspace(0.2, 5.0, n_sag)),
        "RA.scale": list(np.geomspace(0.2, 5.0, n_ra)),
        "DAPT.start": list(np.linspace(6.0, 12.0, n_dapt)),
    }


def main(quick: bool) -> dict:
    from distributed import Client, LocalCluster

    space = grid(quick)
    sweep = ips.Sweep("maury2015", space, seed=0)
    n = len(sweep)
    ips.Sweep("maury2015", {"SAG.scale": [1.0, 2.0]}).run(
        progress=False
    )  # load the compiled kernels
    ips.simulate("maury2015").summary()

    t0 = time.perf_counter()
    local = sweep.run(progress=False)
    t_local = time.perf_counter() - t0
    assert (local.to_dataframe()["status"] == "ok").all()

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        # load the compiled kernels (single and batch) in every worker before timing
        client.run(
            lambda: len(ips.Sweep("maury2015", {"SAG.scale": [1.0, 2.0]}).run(progress=False))
        )
        t0 = time.perf_counter()
        dask = ips.Sweep("maury2015", space, seed=0).run(executor=client, progress=False)
        t_dask = time.perf_counter() - t0
    a = local.to_dataframe().drop(columns="wall_time_s")
    b = dask.to_dataframe().drop(columns="wall_time_s")
    assert a.equals(b), "Dask and the embedded default disagree"

    n_loop = 100 if quick else 300
    t0 = time.perf_counter()
    for i in range(n_loop):
        ips.simulate(sweep.protocol_for(i)).summary()
    t_loop = (time.perf_counter() - t0) / n_loop

    result = {
        "runs": n,
        "runs_per_s_local": n / t_local,
        "runs_per_s_dask": n / t_dask,
        "runs_per_s_loop": 1.0 / t_loop,
        "dask_overhead": t_dask / t_local - 1.0,
        "speedup_local_vs_loop": (n / t_local) * t_loop,
        "cores": os.cpu_count(),
    }
    print(
        f"ipscsim sweep benchmark: maury2015, {n} runs (SAG x RA x DAPT start); "
        f"{platform.machine()}, {os.cpu_count()} cores"
    )
    print(
        f"  embedded default (batch engine, all cores)   {result['runs_per_s_local']:9.1f} runs/s "
        f"({t_local:.1f} s)"
    )
    print(
        f"  Dask LocalCluster, 2 worker processes        {result['runs_per_s_dask']:9.1f} runs/s "
        f"({t_dask:.1f} s; overhead {result['dask_overhead']:+.0%})"
    )
    print(
        f"  naive loop of ips.simulate(...).summary()    {result['runs_per_s_loop']:9.1f} runs/s "
        f"(over {n_loop} runs)"
    )
    print(f"  embedded default vs naive loop: {result['speedup_local_vs_loop']:.1f}x")
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()}))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 runs (a few minutes at most)")
    main(parser.parse_args().quick)
