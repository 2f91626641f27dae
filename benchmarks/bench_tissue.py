"""Tissue diffusion: explicit steps against numpy, and the steady state against scipy's sparse solvers.

* Explicit steps: both advance ``dc/dt = D laplacian(c) - k c + s`` on the same 3-D grid (sink faces),
  the numpy way being what a user would write: ``c + dt * (D/h^2 * ndimage.laplace(c) - k c + s)``.
* Steady state ``(k - D laplacian) c = s`` on the grid of a transplant in a rat's lumbar cord
  (34 x 24 x 200 nodes): ``steady_state`` (fast sine transforms) against the same 7-point operator as a
  scipy.sparse matrix solved by ``scipy.sparse.linalg.cg`` (Jacobi-preconditioned, rtol 1e-10) and by
  ``spsolve`` (SuperLU), what a user would otherwise write.

Each pair is checked to agree (1e-12 relative for the steps, 1e-8 for the solves) before times are
compared; medians over repeats.

Usage: ``python benchmarks/bench_tissue.py [--quick] [--json]``; ``--quick`` (a 64^3 grid) finishes
within a minute. The last line is JSON with ``speedup_vs_numpy`` and ``steady_speedup_vs_cg``.
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


def _sparse_operator(shape: tuple[int, int, int], d_h2: float, k: float):
    """``k I - D laplacian`` with sink faces as a scipy.sparse matrix (C order, as numpy ravels)."""
    from scipy import sparse

    def second_difference(n: int):
        return sparse.diags([np.ones(n - 1), -2.0 * np.ones(n), np.ones(n - 1)], [-1, 0, 1])

    eye = [sparse.identity(n) for n in shape]
    lap = (
        sparse.kron(sparse.kron(second_difference(shape[0]), eye[1]), eye[2])
        + sparse.kron(sparse.kron(eye[0], second_difference(shape[1])), eye[2])
        + sparse.kron(sparse.kron(eye[0], eye[1]), second_difference(shape[2]))
    )
    return (k * sparse.identity(lap.shape[0]) - d_h2 * lap).tocsr()


def run_steady(shape: tuple[int, int, int], repeats: int, direct: bool) -> dict:
    from scipy.sparse.linalg import cg, spsolve

    rng = np.random.default_rng(1)
    src = rng.random(shape)
    d, k, h = 22.5, 2.08, 0.104  # GDNF in a rat cord: mm^2/day, 1/day, mm
    a = _sparse_operator(shape, d / (h * h), k)
    diag = a.diagonal()

    def ours():
        return tissue.steady_state(src, d, k, h)

    def scipy_cg():
        x, info = cg(a, src.ravel(), rtol=1e-10, atol=0.0, M=_jacobi(diag))
        if info != 0:
            raise SystemExit(f"scipy cg did not converge (info {info})")
        return x.reshape(shape)

    ref = ours()
    rows = {"scipy cg": scipy_cg}
    if direct:
        rows["scipy spsolve"] = lambda: spsolve(a.tocsc(), src.ravel()).reshape(shape)
    out = {"grid": "x".join(map(str, shape)), "ipscsim_s": _median_time(ours, repeats)}
    for name, fn in rows.items():
        err = float(np.abs(fn() - ref).max() / np.abs(ref).max())
        if err > 1e-8:
            raise SystemExit(f"steady_state and {name} disagree: {err:.3g}")
        out[f"{name}_s"] = _median_time(fn, 1 if name == "scipy spsolve" else repeats)
    return out


def _jacobi(diag: np.ndarray):
    from scipy.sparse.linalg import LinearOperator

    return LinearOperator((diag.size, diag.size), matvec=lambda x: x / diag, dtype=np.float64)


def main(quick: bool = False, as_json: bool = False) -> dict:
    cases = [(64, 20, 3)] if quick else [(64, 40, 5), (128, 20, 3), (192, 10, 3)]
    rows = [run(*c) for c in cases]
    steady = run_steady((34, 24, 200), 3, direct=not quick)
    out = {
        "speedup_vs_numpy": rows[-1]["speedup"],
        "steady_speedup_vs_cg": steady["scipy cg_s"] / steady["ipscsim_s"],
        "steady": steady,
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
        others = ", ".join(
            f"{k[:-2]} {v:.3g} s ({v / steady['ipscsim_s']:.0f}x)"
            for k, v in steady.items()
            if k.startswith("scipy")
        )
        print(
            f"  steady state, {steady['grid']} grid: ipscsim {steady['ipscsim_s']:.3g} s; {others}"
        )
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 64^3 grid, within a minute")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    main(quick=args.quick, as_json=args.json)
