"""Fitting model parameters to published or a lab's own readouts: ``ipscsim.calibrate``.

Targets are rows in the format of ``data/published_outcomes.csv`` (protocol, readout, day, relation,
value): a lab's own CSV works as it is. Each target contributes a residual in tolerance units (0.10 for
fractions, 10% of the value otherwise): the distance to the value for ``~``, the shortfall for ``>=`` and
``<=`` (0 when met), and for directions the shortfall of the comparison. Parameters are fitted in log space
when their range spans a factor of three or more.

Two methods, both evaluating candidates through the batch engine:

* ``"least_squares"``: :func:`scipy.optimize.least_squares` (trust region) from ``n_starts`` starting
  points (the current values and a Latin hypercube), with a finite-difference Jacobian whose columns are
  simulated in one batch call;
* ``"differential_evolution"``: :func:`scipy.optimize.differential_evolution` on the sum of squares, whole
  populations in one batch call (for rough landscapes).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError, check_int, check_names, is_real
from ..model.layout import PARAM_INDEX
from ..model.parameter_set import ParameterSet
from ..trackers import ProgressLog
from .evaluate import Evaluation, evaluate
from .targets import Target, load_targets, outcome_targets

__all__ = ["CalibrationResult", "calibrate"]


@dataclass
class CalibrationResult:
    """The outcome of :func:`calibrate`.

    Attributes:
        params: Fitted values of the calibrated parameters.
        parameter_set: Every parameter (fitted ones changed), ready for ``simulate(params=...)``.
        table: One row per target: published value, model value with the fitted parameters, met.
        cost: Half the sum of squared residuals at the fit.
        trace: Every evaluation: start, evaluation number, parameter values, cost.
        success: Whether the optimiser reported convergence.
        message: The optimiser's message.
        wall_time_s: Time the fit took.
    """

    params: dict[str, float]
    parameter_set: ParameterSet
    table: Any
    cost: float
    trace: Any
    success: bool
    message: str
    wall_time_s: float

    def save(self, path: str | Path) -> Path:
        """Write the fitted parameters as a TOML parameter file (``simulate(params=path)`` reads it)."""
        path = Path(path)
        met = int(self.table["met"].sum())
        self.parameter_set.to_toml(
            path,
            only_changed=True,
            fitted=", ".join(self.params),
            cost=f"{self.cost:.6g}",
            targets_met=f"{met} of {len(self.table)}",
            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        return path


def _residuals(ev: Evaluation, s: int) -> np.ndarray:
    out = []
    for j, t in enumerate(ev.targets):
        v, r = ev.values[s, j], ev.references[s, j]
        if t.kind == "outcome":
            out.append(t.residual(v))
            continue
        if not (math.isfinite(v) and math.isfinite(r)):
            out.append(10.0)
        elif t.relation == "=":
            out.append(max(0.0, abs(v - r) - t.margin) / 0.1)
        elif t.relation == "<":
            out.append(max(0.0, v - (r - t.margin)) / 0.1)
        else:
            out.append(max(0.0, (r + t.margin) - v) / 0.1)
    return np.asarray(out)


def calibrate(
    targets: str | Path | Sequence[Target] | None,
    params: Sequence[str] | Mapping[str, tuple[float, float]],
    protocols: Mapping[str, Any] | None = None,
    method: str = "least_squares",
    n_starts: int = 4,
    seed: int | None = 0,
    max_nfev: int = 60,
    budget: int = 2000,
    start: Any = None,
    progress: bool = True,
    **options: Any,
) -> CalibrationResult:
    """Fit parameters so that the model meets targets.

    Args:
        targets: A CSV path (published-outcomes format), a list of targets, or ``None`` for the shipped
            published outcomes.
        params: Names to fit (searched over their prior ranges in the parameter table: what is
            biologically plausible before any data), or names to ``(low, high)``.
        protocols: Protocols the targets name that are neither presets nor files.
        method: ``"least_squares"`` (multi-start) or ``"differential_evolution"``.
        n_starts: Starting points for least squares.
        seed: Seed of the starting points and of differential evolution.
        max_nfev: Function evaluations per least-squares start (each is one batch of simulations).
        budget: Simulations allowed to differential evolution (population size times generations).
        start: Starting parameter set (dict, file or ParameterSet; default: the defaults).
        progress: Show a progress bar over the evaluations (tqdm).
        **options: Solver options of the simulations.
    """
    import pandas as pd

    t0 = time.perf_counter()
    n_starts, seed, max_nfev, budget = _check_settings(method, n_starts, seed, max_nfev, budget)
    targets = _resolve_targets(targets)
    base = _start_set(start)
    space = _space(params)
    fit = _Fit(targets, space, base.to_array(), protocols, options)
    trace = ProgressLog(None if method == "least_squares" else budget, "calibrate", progress)
    try:
        if method == "least_squares":
            x0 = np.clip(space.to_x(np.array([base[n] for n in space.names])), space.lo, space.hi)
            best = _least_squares(fit, trace, x0, n_starts, seed, max_nfev)
        else:  # "differential_evolution" (checked above)
            best = _differential_evolution(fit, trace, budget, seed)
    finally:
        trace.close()
    fitted = dict(zip(space.names, map(float, space.to_values(np.asarray(best.x))), strict=True))
    fitted_set = base.with_values(fitted)
    final = evaluate(targets, fitted_set.to_array(), protocols=dict(protocols or {}), **options)
    return CalibrationResult(
        fitted,
        fitted_set,
        final.table(),
        float(best.cost),
        pd.DataFrame(trace),
        bool(best.success),
        str(best.message),
        time.perf_counter() - t0,
    )


def _check_settings(
    method: Any, n_starts: Any, seed: Any, max_nfev: Any, budget: Any
) -> tuple[int, int | None, int, int]:
    """The search settings as ints; a ParameterError names one of the wrong type or out of range."""
    if not isinstance(method, str) or method not in ("least_squares", "differential_evolution"):
        raise ParameterError(
            f"method: {method!r} must be 'least_squares' or 'differential_evolution'"
        )
    return (
        check_int("n_starts", n_starts, 1, 1000),
        None if seed is None else check_int("seed", seed, 0, 2**32 - 1),
        check_int("max_nfev", max_nfev, 1, 100_000),
        check_int("budget", budget, 1, 10_000_000),
    )


def _resolve_targets(targets: str | Path | Sequence[Target] | None) -> list[Target]:
    """The targets as a list: the shipped published outcomes for ``None``, a CSV path read.

    Raises:
        ParameterError: No target, or something that is not a target.
    """
    if targets is None:
        targets = outcome_targets()
    elif isinstance(targets, (str, Path)):
        targets = load_targets(targets)
    elif not isinstance(targets, (list, tuple)):
        raise ParameterError(
            f"targets: {targets!r} must be a CSV path, a list of Target or None (the published "
            "outcomes)"
        )
    targets = list(targets)
    if not targets:
        raise ParameterError("targets: nothing to fit")
    for i, t in enumerate(targets):
        if not isinstance(t, Target):
            raise ParameterError(
                f"targets[{i}]: {t!r} is not a Target; read a CSV with load_targets() or build "
                "Target(...) rows"
            )
    return targets


def _start_set(start: Any) -> ParameterSet:
    """The starting ParameterSet from a ParameterSet, a dict, a TOML file or ``None`` (defaults)."""
    if isinstance(start, ParameterSet):
        return start
    if not (
        start is None or isinstance(start, (Mapping, Path)) or (isinstance(start, str) and start)
    ):
        raise ParameterError(
            f"start: {start!r} must be a ParameterSet, a dict of name = value, a TOML file or None "
            "(the defaults)"
        )
    return ParameterSet(
        dict(start)
        if isinstance(start, Mapping)
        else (ParameterSet.from_toml(start).changed() if start is not None else {})
    )


@dataclass(frozen=True)
class _Space:
    """The search space: each parameter in log space when its range spans a factor of three or more.

    Attributes:
        names: Parameters fitted, in the order of the search's dimensions.
        logs: Whether each parameter is searched in log space.
        lo: Lower bounds in search coordinates.
        hi: Upper bounds in search coordinates.
    """

    names: list[str]
    logs: list[bool]
    lo: np.ndarray
    hi: np.ndarray

    def to_values(self, x: np.ndarray) -> np.ndarray:
        """Parameter values of search coordinates ``x``."""
        return np.where(self.logs, np.exp(x), x)

    def to_x(self, v: np.ndarray) -> np.ndarray:
        """Search coordinates of parameter values ``v``."""
        return np.where(self.logs, np.log(v), v)


def _space(params: Sequence[str] | Mapping[str, tuple[float, float]]) -> _Space:
    """Check the parameters to fit and their bounds (prior ranges unless given) and build the space.

    Raises:
        ParameterError: No parameter, bounds with ``low >= high``, or outside the model's limits.
    """
    prior = ParameterSet(ranges="prior")
    names = list(params) if isinstance(params, Mapping) else check_names("params", params, "names")
    if not names:
        raise ParameterError("params: name at least one parameter to fit")
    bounds = {}
    for n in names:
        b = params[n] if isinstance(params, Mapping) else prior.bounds(n)
        if not isinstance(n, str) or not (
            isinstance(b, (list, tuple)) and len(b) == 2 and all(is_real(v) for v in b)
        ):
            raise ParameterError(
                f"params {n!r}: {b!r} must be a (low, high) pair of numbers; or give names only, "
                "to search the prior ranges"
            )
        lo, hi = float(b[0]), float(b[1])
        if not lo < hi:
            raise ParameterError(f"params {n!r}: bounds ({lo:g}, {hi:g}) must have low < high")
        ParameterSet(bounds={n: (lo, hi)})  # validates against the model's limits
        bounds[n] = (lo, hi)
    logs = [bounds[n][0] > 0 and bounds[n][1] / bounds[n][0] >= 3 for n in names]
    lo_x = np.array(
        [math.log(bounds[n][0]) if lg else bounds[n][0] for n, lg in zip(names, logs, strict=True)]
    )
    hi_x = np.array(
        [math.log(bounds[n][1]) if lg else bounds[n][1] for n, lg in zip(names, logs, strict=True)]
    )
    return _Space(names, logs, lo_x, hi_x)


@dataclass(frozen=True)
class _Fit:
    """What every evaluation of a candidate needs.

    Attributes:
        targets: The targets.
        space: The search space.
        base_arr: The starting parameter set as an array (fitted parameters overwritten per run).
        protocols: Protocols the targets name that are neither presets nor files.
        options: Solver options of the simulations.
    """

    targets: list[Target]
    space: _Space
    base_arr: np.ndarray
    protocols: Mapping[str, Any] | None
    options: Mapping[str, Any]


@dataclass(frozen=True)
class _Best:
    """The best point a search found: coordinates, cost, and the optimiser's verdict."""

    x: Any
    cost: float
    success: bool
    message: str


def _run(fit: _Fit, X: np.ndarray, start_id: int, trace: list[dict[str, Any]]) -> np.ndarray:
    """Residuals of the candidates ``X`` (rows, search coordinates), simulated in one batch.

    Args:
        fit: The fit.
        X: Candidates ``(n, d)``.
        start_id: Start (of least squares) to record in the trace.
        trace: The evaluations so far; these are appended.

    Returns:
        Residuals ``(n, targets)``.
    """
    names = fit.space.names
    sets = np.tile(fit.base_arr, (X.shape[0], 1))
    vals = fit.space.to_values(X)
    for j, n in enumerate(names):
        sets[:, PARAM_INDEX[n]] = vals[:, j]
    ev = evaluate(
        fit.targets, sets, keep_results=False, protocols=dict(fit.protocols or {}), **fit.options
    )
    res = np.array([_residuals(ev, s) for s in range(X.shape[0])])
    for s in range(X.shape[0]):
        trace.append(
            {
                "start": start_id,
                "evaluation": len(trace),
                **dict(zip(names, map(float, vals[s]), strict=True)),
                "cost": 0.5 * float(res[s] @ res[s]),
            }
        )
    return res


def _residual_at(
    x: np.ndarray,
    fit: _Fit,
    trace: list[dict[str, Any]],
    start_id: int,
    cache: dict[bytes, np.ndarray],
) -> np.ndarray:
    """Residuals at one point ``x``, simulated once per distinct point (``cache`` keeps them)."""
    key = x.tobytes()
    if key not in cache:
        cache[key] = _run(fit, x[None, :], start_id, trace)[0]
    return cache[key]


def _jacobian(
    x: np.ndarray,
    fit: _Fit,
    trace: list[dict[str, Any]],
    start_id: int,
    cache: dict[bytes, np.ndarray],
    step: np.ndarray,
) -> np.ndarray:
    """Forward-difference Jacobian of the residuals at ``x``, its columns simulated in one batch.

    A step that would leave the box is taken backwards.
    """
    f0 = _residual_at(x, fit, trace, start_id, cache)
    h = np.where(x + step <= fit.space.hi, step, -step)
    X = x[None, :] + np.diag(h)
    return ((_run(fit, X, start_id, trace) - f0[None, :]) / h[:, None]).T


def _least_squares(
    fit: _Fit,
    trace: list[dict[str, Any]],
    x0: np.ndarray,
    n_starts: int,
    seed: int | None,
    max_nfev: int,
) -> _Best:
    """Multi-start trust-region least squares: from ``x0`` and a Latin hypercube of other starts.

    Args:
        fit: The fit.
        trace: Evaluations are appended here.
        x0: The first start (search coordinates).
        n_starts: Starting points.
        seed: Seed of the Latin hypercube.
        max_nfev: Function evaluations per start.

    Returns:
        The best solution over the starts.
    """
    from scipy.optimize import least_squares
    from scipy.stats import qmc

    lo_x, hi_x = fit.space.lo, fit.space.hi
    starts = [x0]
    if n_starts > 1:
        u = qmc.LatinHypercube(len(fit.space.names), seed=seed).random(n_starts - 1)
        starts += list(lo_x + u * (hi_x - lo_x))
    step = 1e-3 * (hi_x - lo_x)
    best = _Best(None, math.inf, False, "")
    for k, x_start in enumerate(starts):
        cache: dict[bytes, np.ndarray] = {}
        sol = least_squares(
            partial(_residual_at, fit=fit, trace=trace, start_id=k, cache=cache),
            x_start,
            jac=partial(_jacobian, fit=fit, trace=trace, start_id=k, cache=cache, step=step),
            bounds=(lo_x, hi_x),
            method="trf",
            max_nfev=max_nfev,
            x_scale="jac",
        )
        if sol.cost < best.cost:
            best = _Best(sol.x, sol.cost, sol.success, sol.message)
    return best


def _sum_of_squares(fit: _Fit, trace: list[dict[str, Any]], X: np.ndarray) -> np.ndarray:
    """Half the sum of squared residuals of each candidate (rows of ``X``)."""
    r = _run(fit, X, 0, trace)
    return 0.5 * np.sum(r * r, axis=1)


def _differential_evolution(
    fit: _Fit, trace: list[dict[str, Any]], budget: int, seed: int | None
) -> _Best:
    """Differential evolution on the sum of squares, whole populations in one batch call.

    Args:
        fit: The fit.
        trace: Evaluations are appended here.
        budget: Simulations allowed.
        seed: Seed of the search.

    Returns:
        The best solution.
    """
    from ..sweep.search import population_search

    bounds = list(zip(fit.space.lo, fit.space.hi, strict=True))
    sol = population_search(partial(_sum_of_squares, fit, trace), bounds, budget, seed, tol=1e-10)
    return _Best(sol.x, float(sol.fun), bool(sol.success), str(sol.message))
