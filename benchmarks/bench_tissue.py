"""Tissue diffusion kernel: grid cells per second against numpy stepping with scipy.ndimage.laplace.

Both advance ``dc/dt = D laplacian(c) - k c + s`` by explicit steps on the same 3-D grid (sink faces),
the numpy way being what a user would write: ``c + dt * (D/h^2 * ndimage.laplace(c) - k c + s)``. Both
start from the same field and are checked to agree (to 1e-12 relative) before times are compared;
medians over repeats.

Usage: ``python benchmarks/bench_tissue.py [--quick] [--json]``; ``--quick`` (a 64^3 grid) finishes
within a minute. The last line is JSON with ``speedup_vs_numpy``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

from ipscsim.engines import tissue
from ipscsim.model.tissue_reference import step_np


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(n: int, steps: int, repeats: int) -> dict:
    rng = np.random.default_rng(0)
    shape = (n, n, n)
    c0 = rng.random(shape)
    src = rng.random(shape)
    d, k, h = 1.0, 0.5, 1.0
    dt = tissue.stable_dt(shape, d, k, h)
    tissue.diffuse(c0, src, d, k, h, dt, 1)  # compile

    def numba_run():
        return tissue.diffuse(c0, src, d, k, h, dt, steps)

    def numpy_run():
        c = c0
        for _ in range(steps):
            c = step_np(c, src, d / (h * h), k, dt, False)
        return c

    a, b = numba_run(), numpy_run()
    err = float(np.abs(a - b).max() / np.abs(b).max())
    if err > 1e-12:
        raise SystemExit(f"kernel and numpy disagree: {err:.3g}")
    t_numba = _median_time(numba_run, repeats)
    t_numpy = _median_time(numpy_run, repeats)
    cells = n**3 * steps
    return {
        "grid": f"{n}^3",
        "steps": steps,
        "numba_cells_per_s": cells / t_numba,
        "numpy_cells_per_s": cells / t_numpy,
        "speedup": t_numpy / t_numba,
        "max_rel_diff": err,
    }


def main(quick: bool = False, as_json: bool = False) -> dict:
    cases = [(64, 20, 3)] if quick else [(64, 40, 5), (128, 20, 3), (192, 10, 3)]
    rows = [run(*c) for c in cases]
    out = {
        "speedup_vs_numpy": rows[-1]["speedup"],
        "numba_cells_per_s": rows[-1]["numba_cells_per_s"],
        "threads": os.cpu_count(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "table": rows,
    }
    if not as_json:
        print(f"ipscsim tissue diffusion benchmark; {out['machine']}")
        print(
            f"  {'grid':>6} {'steps':>5} {'ipscsim (cells/s)':>18} {'numpy+ndimage':>14} {'ratio':>6}"
        )
        for r in rows:
            print(
                f"  {r['grid']:>6} {r['steps']:>5} {r['numba_cells_per_s']:>18.3g} "
                f"{r['numpy_cells_per_s']:>14.3g} {r['speedup']:>6.1f}"
            )
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 64^3 grid, within a minute")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    main(quick=args.quick, as_json=args.json)
