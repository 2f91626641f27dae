"""Calibration benchmark: fit 10 parameters to a lab's time courses, through ipscsim's batch engine.

A synthetic lab: a parameter set away from the defaults ("the truth") produces 30 readouts (MN, OLIG2,
PAX6, HOX, OCT4 at several days of maury2015, du2015 and chambers2009); ``ipscsim.calibrate`` fits
10 parameters to them from the defaults (multi-start least squares). Reported: wall time, parameter
sets and simulations evaluated, the largest relative error of the recovered parameters, and what the
same number of simulations would cost through scipy's ``solve_ivp`` (LSODA) on the numpy reference
right-hand side (timed in this run on one simulation per protocol), the tool a modeller would
otherwise wrap in ``scipy.optimize.least_squares``.

Usage: ``python benchmarks/bench_calibration.py [--json]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

import ipscsim as ips
from ipscsim.benchmarking.peers import scipy_run
from ipscsim.engines.threads import get_threads
from ipscsim.validation import evaluate
from ipscsim.validation.targets import Target

TRUTH = {
    "k_neurogenesis": 1.25,
    "K_neurogenesis": 0.21,
    "k_neural": 0.5,
    "eps_neural": 0.36,
    "k_oct4": 0.6,
    "sigma_sensitivity": 0.31,
    "sigma_tempo": 0.19,
    "cycle_np": 34.0,
    "k_maturation": 0.9,
    "k_hox": 1.0,
}

READOUTS = [
    ("maury2015", "OCT4", (2, 4)),
    ("maury2015", "HOX", (5, 7)),
    ("maury2015", "OLIG2", (6, 8, 10)),
    ("maury2015", "MN", (10, 11, 12, 14)),
    ("du2015", "PAX6", (4, 6)),
    ("du2015", "OLIG2", (8, 10, 12)),
    ("du2015", "MN", (14, 16, 18, 22)),
    ("chambers2009", "OCT4", (3, 5)),
    ("chambers2009", "PAX6", (5, 7, 9, 11)),
    ("chambers2009", "neuroectoderm", (6, 8)),
]


def lab_targets() -> list[Target]:
    """The synthetic lab's readouts ("~" targets at the truth's values)."""
    probe = [
        Target(f"L{i}-{j}", "outcome", p, "", r, float(d), "~", 0.0)
        for i, (p, r, days) in enumerate(READOUTS)
        for j, d in enumerate(days)
    ]
    ev = evaluate(probe, ips.ParameterSet(TRUTH))
    return [
        Target(t.id, "outcome", t.protocol, "", t.readout, t.day, "~", float(v))
        for t, v in zip(probe, ev.values[0], strict=True)
    ]


def scipy_seconds_per_simulation(protocols: list[str]) -> float:
    """Median over the protocols of one solve_ivp(LSODA) simulation on the reference RHS."""
    from ipscsim.model.cohorts import DEFAULT_COHORTS, cohort_nodes, initial_state
    from ipscsim.model.inputs import compile_protocol
    from ipscsim.model.parameters import default_params
    from ipscsim.model.pharmacology import compound_table

    nodes, p, comp = cohort_nodes(DEFAULT_COHORTS), default_params(), compound_table()
    times = []
    for name in protocols:
        cp = compile_protocol(ips.protocols.get(name))
        y0 = initial_state(nodes, cp.suspension)
        t0 = time.perf_counter()
        scipy_run(cp, nodes, p, comp, y0, "LSODA")
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main(as_json: bool = False) -> dict:
    """Run the benchmark; print a table (or a JSON line) and return the numbers."""
    targets = lab_targets()
    ips.calibrate(targets[:2], ["k_neural"], n_starts=1, max_nfev=2)  # compile and warm up
    t0 = time.perf_counter()
    fit = ips.calibrate(targets, list(TRUTH), n_starts=2, seed=0, max_nfev=40)
    wall = time.perf_counter() - t0
    protocols = sorted({p for p, _, _ in READOUTS})
    sims = len(fit.trace) * len(protocols)
    err = max(abs(fit.params[k] / v - 1) for k, v in TRUTH.items())
    per_sim = scipy_seconds_per_simulation(protocols)
    out = {
        "parameters": len(TRUTH),
        "targets": len(targets),
        "wall_s": round(wall, 2),
        "parameter_sets": len(fit.trace),
        "simulations": sims,
        "ms_per_simulation": round(1e3 * wall / sims, 3),
        "targets_met": int(fit.table["met"].sum()),
        "max_rel_error": float(f"{err:.3g}"),
        "scipy_lsoda_s_per_simulation": round(per_sim, 3),
        "scipy_lsoda_estimated_s": round(per_sim * sims, 1),
        "speedup_vs_scipy_lsoda": round(per_sim * sims / wall, 1),
        "machine": f"{platform.machine()}, Python {platform.python_version()}, "
        f"{get_threads()} engine threads",
    }
    return report(out, as_json)


def report(out: dict, as_json: bool) -> dict:
    """Print the numbers as a table or one JSON line; return them."""
    if as_json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:32s} {v}")
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    main(as_json=parser.parse_args().json)
