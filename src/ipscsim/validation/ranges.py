"""Data-consistent parameter ranges: how far each parameter may move before the data disagree.

A parameter's *prior* range (``prior_lower``/``prior_upper`` in ``model/data/parameters.csv``) says what
is biologically plausible before looking at the calibration data. Its *plausible* range
(``lower``/``upper``) is the part of the prior range over which every published outcome
(``data/published_outcomes.csv``) is still met when that parameter alone moves from its default: a
profile range. Uncertainty analyses draw from the plausible ranges; the phenotypes, which play no part in
setting them, then test the model across joint draws (:mod:`ipscsim.validation.robustness`).

``python -m ipscsim.validation.ranges`` recomputes the plausible ranges and rewrites the table.
"""

from __future__ import annotations

import csv
import math
from importlib import resources
from pathlib import Path

import numpy as np

from ..model.layout import PARAM_NAMES
from ..model.parameters import default_params, param_table
from .evaluate import evaluate
from .targets import outcome_targets

__all__ = ["profile_ranges", "write_ranges"]


def _prior(name: str) -> tuple[float, float, str]:
    row = _rows()[name]
    return float(row["prior_lower"]), float(row["prior_upper"]), row["distribution"]


def _rows() -> dict[str, dict[str, str]]:
    text = resources.files("ipscsim.model").joinpath("data/parameters.csv").read_text("utf-8")
    return {r["name"]: r for r in csv.DictReader(text.splitlines())}


def profile_ranges(
    names: list[str] | None = None, steps: int = 7
) -> dict[str, tuple[float, float]]:
    """For each parameter, the sub-range of its prior range consistent with every published outcome.

    Bisection from the default towards each end of the prior range (in log space for log-uniform
    parameters), ``steps`` halvings: the resolution is the prior span divided by ``2**steps``.
    """
    names = list(names or PARAM_NAMES)
    targets = outcome_targets()
    base = default_params()
    table = param_table()

    def coord(name, v):
        return math.log(v) if _prior(name)[2] == "loguniform" else v

    def value(name, c):
        return math.exp(c) if _prior(name)[2] == "loguniform" else c

    sides = [(n, s) for n in names for s in (0, 1)]
    inner = {k: coord(k[0], base[PARAM_NAMES.index(k[0])]) for k in sides}  # known good
    outer = {k: coord(k[0], _prior(k[0])[k[1]]) for k in sides}  # to test

    def ok(cands: dict[tuple[str, int], float]) -> dict[tuple[str, int], bool]:
        keys = list(cands)
        stack = np.tile(base, (len(keys), 1))
        for i, (n, _s) in enumerate(keys):
            v = value(n, cands[(n, _s)])
            row = table[n]
            stack[i, PARAM_NAMES.index(n)] = min(max(v, row.min), row.max)
        ev = evaluate(targets, stack, keep_results=False)
        return dict(zip(keys, ev.met.all(axis=1), strict=True))

    good_end = ok(outer)
    result = {k: outer[k] for k in sides if good_end[k]}
    todo = [k for k in sides if not good_end[k]]
    lo_hi = {k: (inner[k], outer[k]) for k in todo}
    for _ in range(steps):
        if not todo:
            break
        mids = {k: 0.5 * (lo_hi[k][0] + lo_hi[k][1]) for k in todo}
        passed = ok(mids)
        for k in todo:
            good, bad = lo_hi[k]
            lo_hi[k] = (mids[k], bad) if passed[k] else (good, mids[k])
    for k in todo:
        result[k] = lo_hi[k][0]
    return {n: (value(n, result[(n, 0)]), value(n, result[(n, 1)])) for n in names}


def write_ranges(ranges: dict[str, tuple[float, float]], path: str | Path | None = None) -> Path:
    """Write plausible ranges into the parameter table (``lower``/``upper``), keeping the priors."""
    path = (
        Path(path)
        if path
        else Path(str(resources.files("ipscsim.model").joinpath("data/parameters.csv")))
    )
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    for r in rows:
        if r["name"] in ranges:
            lo, hi = ranges[r["name"]]
            v = float(r["value"])
            r["lower"] = f"{min(lo, v):.6g}"
            r["upper"] = f"{max(hi, v):.6g}"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    import time

    t0 = time.perf_counter()
    ranges = profile_ranges()
    print(
        f"profiled {len(ranges)} parameters in {time.perf_counter() - t0:.0f} s; wrote "
        f"{write_ranges(ranges)}"
    )
