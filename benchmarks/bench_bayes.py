"""Bayesian calibration benchmark: the posterior given the literature table, on this machine.

Runs :func:`ipscsim.validation.bayes.sample_posterior` as ``python -m ipscsim.validation.bayes``
makes the shipped posterior (10 parameters, every published outcome, phenotype and fact the
posterior was fitted to, emcee with 22 walkers) and reports the wall time, the simulations run, the
acceptance, the autocorrelation time and the effective sample size; beside it, what the same number
of simulations would cost a modeller wrapping emcee around scipy's ``solve_ivp`` (LSODA) on the numpy
reference right-hand side (timed in this run, one simulation of each protocol the table uses), the
tool they would otherwise pick.

Usage: ``python benchmarks/bench_bayes.py [--steps 600] [--json]`` (600 steps: about 25 minutes on
2 cores; ``--steps 40`` for a quick look, whose autocorrelation estimate is not meaningful).
"""

from __future__ import annotations

import argparse
import platform
import time

from bench_calibration import report, scipy_seconds_per_simulation
from ipscsim.engines.threads import get_threads
from ipscsim.validation.bayes import literature_targets, sample_posterior


def main(steps: int = 600, as_json: bool = False) -> dict:
    """Run the benchmark; print a table (or a JSON line) and return the numbers."""
    targets = literature_targets()
    sample_posterior(targets[:2], ["k_neurogenesis"], walkers=4, steps=10, progress=False)  # warm
    fitted = set(_shipped_targets())
    targets = [t for t in targets if t.id in fitted] or targets
    t0 = time.perf_counter()
    post = sample_posterior(targets, steps=steps, seed=0)
    wall = time.perf_counter() - t0
    runs = len({(t.protocol, t.perturbation) for t in targets} | _references(targets))
    sims = post.meta["simulations"] * runs
    per_sim = scipy_seconds_per_simulation(sorted({t.protocol for t in targets}))
    tau = post.meta["autocorrelation_time"]
    out = {
        "parameters": len(post.names),
        "targets": len(targets),
        "walkers": post.meta["walkers"],
        "steps": steps,
        "wall_s": round(wall, 1),
        "parameter_sets": post.meta["simulations"],
        "simulations": sims,
        "acceptance": round(post.meta["acceptance"], 3),
        "max_autocorrelation_steps": round(max(tau.values()), 1),
        "min_effective_sample_size": round(post.meta["min_effective_sample_size"], 1),
        "kept_draws": len(post),
        "scipy_lsoda_s_per_simulation": round(per_sim, 3),
        "scipy_lsoda_estimated_h": round(per_sim * sims / 3600, 1),
        "speedup_vs_scipy_lsoda": round(per_sim * sims / wall, 1),
        "machine": f"{platform.machine()}, Python {platform.python_version()}, "
        f"{get_threads()} engine threads",
    }
    return report(out, as_json)


def _shipped_targets() -> list[str]:
    from ipscsim.model.posterior import shipped_posterior

    return list(shipped_posterior().meta.get("targets", ()))


def _references(targets: list) -> set[tuple[str, str]]:
    return {
        (t.reference_protocol or t.protocol, t.reference_perturbation)
        for t in targets
        if t.kind == "direction"
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=600, help="steps of every walker")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    a = parser.parse_args()
    main(a.steps, as_json=a.json)
