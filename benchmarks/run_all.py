"""Every benchmark in one run: the ODE comparisons with peers, then the abm, tissue and sweep benchmarks.

Usage: ``python benchmarks/run_all.py [--quick]``. Writes ``benchmarks/RESULTS.md`` (tables with ratios,
the machine, the date) and ``benchmarks/results.json``. The ODE part is ``ipscsim bench`` (add
``--quick`` for the short version); the other benchmarks run as their own scripts, each in a fresh
process, and their JSON lines are collected (they run in their ``--quick`` modes unless ``--full``).
Run it on an otherwise idle machine: parallel speed-ups measure the cores you leave free.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from ipscsim.benchmarking import run_benchmark, write_results

HERE = Path(__file__).parent
OTHERS = ("bench_abm.py", "bench_tissue.py", "bench_sweep.py")


def _collect(script: str, full: bool) -> dict:
    args = [sys.executable, str(HERE / script)] + ([] if full else ["--quick"])
    t0 = time.perf_counter()
    out = subprocess.run(args, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1], "wall_s": wall}
    data = json.loads(out.stdout.strip().splitlines()[-1])
    data["wall_s"] = round(wall, 1)
    data["mode"] = "full" if full else "quick"
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the short ODE comparison")
    parser.add_argument("--full", action="store_true", help="the other benchmarks in full mode")
    args = parser.parse_args()
    result = run_benchmark(quick=args.quick)
    collected = {}
    for script in OTHERS:
        print(f"running {script} ...", flush=True)
        collected[script] = _collect(script, args.full)
        print(json.dumps(collected[script]), flush=True)
    write_results(result, HERE, collected)
    print(f"wrote {HERE / 'RESULTS.md'} and {HERE / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
