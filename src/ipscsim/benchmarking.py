"""The ODE benchmark: ipscsim's engine against scipy's ``solve_ivp`` on the same model and protocol.

What a modeller would otherwise do is integrate the numpy right-hand side with ``solve_ivp``. Both sides
integrate maury2015 segment by segment (between media changes and replating), with the same tolerances
(``rtol=1e-6``, ``atol=1e-9``), the same cohorts and parameters; the final states are checked to agree
before any time is compared. Reported, in one run and as medians over repeats:

* ``single_s``: one ipscsim simulation after warm-up;
* ``scipy_lsoda_s``: one ``solve_ivp(method="LSODA")`` simulation with :mod:`ipscsim.model.reference`;
* ``batch_per_sim_s``: wall time per simulation of a batch of parameter sets on all cores;
* ``import_s`` and ``first_sim_s``: ``import ipscsim`` and import plus a first simulation, each in a
  fresh process (with the numba cache warm).

The last line printed is one JSON object with those keys and ``speedup_vs_scipy_lsoda``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from statistics import median

import numpy as np

__all__ = ["main", "run_benchmark"]

PROTOCOL = "maury2015"
RTOL, ATOL = 1e-6, 1e-9


def _fresh_process(code: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return float(out.stdout.strip().splitlines()[-1])


def _scipy_run(cp, nodes, p, comp, y0, method: str):
    from scipy.integrate import solve_ivp

    from .engines.ode import apply_operation
    from .model.reference import rhs

    y = y0.copy()
    nfev = 0
    for s in range(len(cp.t) - 1):
        apply_operation(y, cp.op[s], cp.op_count[s], nodes.shape[0])
        sol = solve_ivp(
            rhs,
            (cp.t[s], cp.t[s + 1]),
            y,
            method=method,
            rtol=RTOL,
            atol=ATOL,
            args=(p, cp.u[s], comp, nodes),
        )
        if not sol.success:
            raise RuntimeError(f"solve_ivp({method}) failed: {sol.message}")
        nfev += sol.nfev
        y = sol.y[:, -1].copy()
    return y, nfev


def run_benchmark(quick: bool = False, out=print) -> dict[str, float]:
    """Run the benchmark, print a table through ``out``, and return the measured numbers."""
    from . import protocols
    from .api import simulate_batch
    from .engines import ode
    from .engines.threads import get_threads
    from .model.cohorts import DEFAULT_COHORTS, cohort_nodes, initial_state
    from .model.inputs import compile_protocol
    from .model.parameters import param_table
    from .model.pharmacology import compound_table

    cp = compile_protocol(protocols.get(PROTOCOL))
    nodes = cohort_nodes(DEFAULT_COHORTS)
    p = np.array([row.value for row in param_table().values()])
    comp = compound_table()
    y0 = initial_state(nodes, cp.suspension)
    rec = np.array([0.0, cp.t[-1]])

    def ours():
        return ode.run(y0, p, cp.t, cp.u, cp.op, cp.op_count, comp, nodes, rec, RTOL, ATOL, 10**6)

    records, stats, status = ours()  # warm-up (compiles or loads the cache)
    assert status == 0
    reps = 10 if quick else 50
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        ours()
        times.append(time.perf_counter() - t0)
    single = median(times)

    y_ref, nfev_lsoda = _scipy_run(cp, nodes, p, comp, y0, "LSODA")
    agree = float(np.max(np.abs(y_ref - records[-1]) / np.maximum(np.abs(y_ref), 1e-6)))
    if agree > 1e-3:
        raise RuntimeError(
            f"ipscsim and scipy disagree on the final state (max rel. diff {agree:.2e})"
        )
    s_times = []
    for _ in range(1 if quick else 3):
        t0 = time.perf_counter()
        _scipy_run(cp, nodes, p, comp, y0, "LSODA")
        s_times.append(time.perf_counter() - t0)
    lsoda = median(s_times)

    n_batch = 200 if quick else 1000
    rng = np.random.default_rng(0)
    table = param_table()
    lo = np.array([r.profile_lower for r in table.values()])
    hi = np.array([r.profile_upper for r in table.values()])
    sets = [lo + (hi - lo) * rng.random(lo.size) for _ in range(n_batch)]
    simulate_batch([PROTOCOL] * 4, params=sets[:4], rtol=RTOL, atol=ATOL)  # warm-up
    t0 = time.perf_counter()
    simulate_batch([PROTOCOL] * n_batch, params=sets, rtol=RTOL, atol=ATOL, record_every=1.0)
    batch = (time.perf_counter() - t0) / n_batch

    import_s = median(
        _fresh_process(
            "import time; t = time.perf_counter(); import ipscsim; print(time.perf_counter() - t)"
        )
        for _ in range(3)
    )
    first_s = _fresh_process(
        "import time; t = time.perf_counter(); import ipscsim as ips; ips.simulate('maury2015'); "
        "print(time.perf_counter() - t)"
    )
    result = {
        "single_s": single,
        "scipy_lsoda_s": lsoda,
        "speedup_vs_scipy_lsoda": lsoda / single,
        "batch_per_sim_s": batch,
        "batch_size": n_batch,
        "threads": get_threads(),
        "import_s": import_s,
        "first_sim_s": first_s,
        "nfev_ipscsim": int(stats[0]),
        "nfev_scipy_lsoda": int(nfev_lsoda),
        "final_state_max_rel_diff": agree,
    }
    out(
        f"ipscsim ODE benchmark: {PROTOCOL}, {DEFAULT_COHORTS} cohorts ({y0.size} states), "
        f"rtol={RTOL:g}, atol={ATOL:g}; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, python {platform.python_version()}"
    )
    rows = [
        ("ipscsim, one simulation", single, f"{stats[0]} RHS evaluations"),
        ("scipy solve_ivp LSODA + numpy RHS", lsoda, f"{nfev_lsoda} RHS evaluations"),
        (f"ipscsim batch, per simulation ({n_batch} sets, {result['threads']} threads)", batch, ""),
        ("import ipscsim (fresh process)", import_s, ""),
        ("import + first simulation (fresh process, warm cache)", first_s, ""),
    ]
    for label, seconds, note in rows:
        out(f"  {label:<62} {seconds * 1e3:10.2f} ms  {note}")
    out(
        f"  speed-up over scipy LSODA: {result['speedup_vs_scipy_lsoda']:.0f}x; final states agree to "
        f"{agree:.1e}"
    )
    return result


def main(quick: bool = False, as_json: bool = False) -> int:
    """Command-line entry: print the table (unless ``as_json``), then the JSON line."""
    result = run_benchmark(quick=quick, out=(lambda *_: None) if as_json else print)
    print(json.dumps({k: (round(v, 6) if isinstance(v, float) else v) for k, v in result.items()}))
    return 0
