"""Parameter ranges the published data allow: profile ranges, the joint plausible box, consistent draws.

The parameter table (``model/data/parameters.csv``) holds three ranges per parameter:

* the **prior** range (``prior_lower``/``prior_upper``): biologically plausible before looking at the
  calibration data, each with its reason;
* the **profile** range (``profile_lower``/``profile_upper``): the part of the prior range over which
  the calibration data (:func:`calibration_targets`: the published outcomes and the phenotypes T1-T8)
  stay met when that parameter *alone* moves from its default (:func:`profile_ranges`);
* the **plausible** range (``lower``/``upper``): the parameter uncertainty given the data, as a box in
  which *joint* draws still meet them (:func:`joint_box`).

Why two data-derived ranges: the data constrain combinations of parameters. Drawn jointly over their
profile ranges, ninety-odd parameters each at a tolerable value add up to parameter sets that contradict
the data. The plausible box is the profile box shrunk towards the defaults, by one factor for every
parameter (in each parameter's own coordinate, logarithmic for log-uniform ones), until at least
``coverage`` of joint Latin-hypercube draws meet all the calibration data. Uncertainty analyses draw
from it; the further facts, which play no part in setting it, then measure prediction across it
(:mod:`~ipscsim.validation.coverage`). :func:`consistent_draws` samples the data-consistent region
itself, without the box (rejection from the profile or prior box), for analyses that want its full
extent.

``python -m ipscsim.validation.ranges --write`` recomputes the profile ranges and the box and rewrites
the table.
"""

from __future__ import annotations

import argparse
import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..model.layout import PARAM_NAMES
from ..model.parameter_set import ParameterSet
from ..model.parameters import default_params, param_table
from .evaluate import evaluate
from .targets import Target, outcome_targets, phenotype_targets

__all__ = [
    "JointBox",
    "calibration_targets",
    "consistent_draws",
    "joint_box",
    "profile_ranges",
    "write_ranges",
]

#: Seed of the draws that size the joint box (the report's robustness draws use another).
BOX_SEED = 17


def calibration_targets() -> list[Target]:
    """The data that set the ranges: published outcomes (less explained misses) and phenotypes.

    The further facts stay out, to measure prediction (:mod:`~ipscsim.validation.coverage`,
    :mod:`~ipscsim.validation.crossval`).
    """
    return [*outcome_targets(known_misses=False), *phenotype_targets()]


def _is_log(name: str) -> bool:
    return param_table()[name].distribution == "loguniform"


def _coord(name: str, v: float) -> float:
    return math.log(v) if _is_log(name) else v


def _value(name: str, c: float) -> float:
    return math.exp(c) if _is_log(name) else c


def profile_ranges(
    names: Sequence[str] | None = None, steps: int = 7, targets: Sequence[Target] | None = None
) -> dict[str, tuple[float, float]]:
    """For each parameter, the sub-range of its prior range consistent with the calibration data.

    Bisection from the default towards each end of the prior range (in log space for log-uniform
    parameters), ``steps`` halvings: the resolution is the prior span divided by ``2**steps``.

    Args:
        names: Parameters to profile (default: all).
        steps: Bisection steps per side.
        targets: Targets that must stay met (default: :func:`calibration_targets`).
    """
    names = list(names or PARAM_NAMES)
    targets = list(targets or calibration_targets())
    base = default_params()
    table = param_table()

    sides = [(n, s) for n in names for s in (0, 1)]
    prior = {n: (table[n].prior_lower, table[n].prior_upper) for n in names}
    inner = {k: _coord(k[0], base[PARAM_NAMES.index(k[0])]) for k in sides}  # known good
    outer = {k: _coord(k[0], prior[k[0]][k[1]]) for k in sides}  # to test

    def ok(cands: dict[tuple[str, int], float]) -> dict[tuple[str, int], bool]:
        keys = list(cands)
        stack = np.tile(base, (len(keys), 1))
        for i, (n, _s) in enumerate(keys):
            row = table[n]
            stack[i, PARAM_NAMES.index(n)] = min(max(_value(n, cands[(n, _s)]), row.min), row.max)
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
    return {n: (_value(n, result[(n, 0)]), _value(n, result[(n, 1)])) for n in names}


def _shrunk(
    ranges: dict[str, tuple[float, float]], factor: float
) -> dict[str, tuple[float, float]]:
    """Ranges shrunk towards the defaults by ``factor`` in each parameter's coordinate."""
    base = default_params()
    out = {}
    for n, (lo, hi) in ranges.items():
        d = _coord(n, base[PARAM_NAMES.index(n)])
        out[n] = (
            _value(n, d - factor * (d - _coord(n, lo))),
            _value(n, d + factor * (_coord(n, hi) - d)),
        )
    return out


@dataclass
class JointBox:
    """The plausible box found by :func:`joint_box`.

    Attributes:
        ranges: Parameter name to ``(low, high)``.
        factor: The shrink factor applied to the profile ranges (1 = the profile box itself).
        coverage: Fraction of the sizing draws that meet every target at that factor.
        history: ``(factor, coverage)`` of every factor tried.
    """

    ranges: dict[str, tuple[float, float]]
    factor: float
    coverage: float
    history: list[tuple[float, float]]


def joint_box(
    profile: dict[str, tuple[float, float]] | None = None,
    coverage: float = 0.9,
    n: int = 200,
    steps: int = 8,
    seed: int = BOX_SEED,
    targets: Sequence[Target] | None = None,
) -> JointBox:
    """Shrink the profile box until joint draws meet every target in at least ``coverage`` of cases.

    Every draw uses the same Latin-hypercube points (``seed``) mapped into the shrunk box, so the
    coverage changes smoothly with the factor; the factor is found by bisection on ``[0, 1]``.

    Args:
        profile: Profile ranges (default: those in the parameter table).
        coverage: Fraction of joint draws that must meet every target.
        n: Draws per factor tried.
        steps: Bisection steps.
        seed: Seed of the draws.
        targets: Targets (default: :func:`calibration_targets`).
    """
    table = param_table()
    if profile is None:
        profile = {n_: (r.profile_lower, r.profile_upper) for n_, r in table.items()}
    varied = {k: v for k, v in profile.items() if v[0] < v[1] and table[k].distribution != "fixed"}
    targets = list(targets or calibration_targets())
    history: list[tuple[float, float]] = []

    def frac(factor: float) -> float:
        ps = ParameterSet(bounds=_shrunk(varied, factor))
        draws = ps.sample_arrays(n, seed=seed, names=list(varied))
        f = float(evaluate(targets, draws, keep_results=False).met.all(axis=1).mean())
        history.append((factor, f))
        return f

    if frac(1.0) >= coverage:
        return JointBox(dict(varied), 1.0, history[-1][1], history)
    good, bad = 0.0, 1.0
    good_cov = 1.0
    for _ in range(steps):
        mid = 0.5 * (good + bad)
        f = frac(mid)
        if f >= coverage:
            good, good_cov = mid, f
        else:
            bad = mid
    return JointBox(_shrunk(varied, good), good, good_cov, history)


def consistent_draws(
    n: int,
    ranges: str = "profile",
    seed: int = 0,
    batch: int = 2000,
    max_draws: int = 200_000,
    targets: Sequence[Target] | None = None,
) -> tuple[np.ndarray, int]:
    """Parameter sets that meet every target, by rejection from the profile or prior box.

    An approximate-Bayesian (ABC) rejection sample of the data-consistent region: uniform (or
    log-uniform) over the box, kept when every target is met.

    Args:
        n: Accepted sets wanted.
        ranges: Box to draw from: ``"profile"`` or ``"prior"``.
        seed: Seed.
        batch: Draws evaluated per batch.
        max_draws: Give up after this many draws (returns what was accepted).
        targets: Targets (default: :func:`calibration_targets`).

    Returns:
        The accepted sets ``(n_accepted, n_params)`` (at most ``n``) and the number of draws made.
    """
    targets = list(targets or calibration_targets())
    ps = ParameterSet(ranges=ranges)
    rng = np.random.default_rng(seed)
    accepted: list[np.ndarray] = []
    drawn = 0
    while sum(len(a) for a in accepted) < n and drawn < max_draws:
        draws = ps.sample_arrays(batch, seed=rng, design="random")
        drawn += batch
        ok = evaluate(targets, draws, keep_results=False).met.all(axis=1)
        accepted.append(draws[ok])
    out = np.concatenate(accepted) if accepted else np.empty((0, len(PARAM_NAMES)))
    return out[:n], drawn


def write_ranges(
    profile: dict[str, tuple[float, float]],
    plausible: dict[str, tuple[float, float]],
    path: str | Path | None = None,
) -> Path:
    """Write profile and plausible ranges into the parameter table, keeping the priors."""
    path = (
        Path(path)
        if path
        else Path(str(resources.files("ipscsim.model").joinpath("data/parameters.csv")))
    )
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    for r in rows:
        v = float(r["value"])
        for cols, ranges in (
            (("profile_lower", "profile_upper"), profile),
            (("lower", "upper"), plausible),
        ):
            if r["name"] in ranges:
                lo, hi = ranges[r["name"]]
                r[cols[0]] = f"{min(lo, v):.6g}"
                r[cols[1]] = f"{max(hi, v):.6g}"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - a maintenance command
    """Command line: recompute the ranges (and with ``--write``, rewrite the table)."""
    import time

    parser = argparse.ArgumentParser(
        prog="python -m ipscsim.validation.ranges", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--coverage", type=float, default=0.9, help="default %(default)s")
    parser.add_argument(
        "--draws", type=int, default=200, help="draws per factor (default %(default)s)"
    )
    parser.add_argument("--write", action="store_true", help="rewrite model/data/parameters.csv")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    profile = profile_ranges()
    print(f"profiled {len(profile)} parameters in {time.perf_counter() - t0:.0f} s")
    box = joint_box(profile, coverage=args.coverage, n=args.draws)
    for f, c in box.history:
        print(f"  factor {f:.4f}: every target met in {c:.3f} of {args.draws} joint draws")
    print(f"plausible box: factor {box.factor:.4f}, coverage {box.coverage:.3f}")
    if args.write:
        print(f"wrote {write_ranges(profile, box.ranges)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
