"""Fitting model parameters to published or a lab's own readouts: ``ipscsim.calibrate``.

Targets are rows in the format of ``data/published_outcomes.csv`` (protocol, readout, day, relation,
value): a lab's own CSV works as it is. Each target contributes a residual in tolerance units (0.10 for
fractions, 10% of the value otherwise): the distance to the value for ``~``, the shortfall for ``>=`` and
``<=`` (0 when met), and for directions the shortfall of the comparison. Parameters are fitted in log space
when their range spans a factor of three or more.

Three methods, all evaluating candidates through the batch engine:

* ``"least_squares"``: :func:`scipy.optimize.least_squares` (trust region) from ``n_starts`` starting
  points (the current values and a Latin hypercube), with a finite-difference Jacobian whose columns are
  simulated in one batch call;
* ``"differential_evolution"``: :func:`scipy.optimize.differential_evolution` on the sum of squares, whole
  populations in one batch call (for rough landscapes);
* ``"mcmc"``: Bayesian calibration (:func:`ipscsim.validation.bayes.sample_posterior`, emcee): a
  posterior sample of the parameters with their credible intervals (``result.posterior``), the
  fitted values its medians. Needs the ``bayes`` extra.
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

from ..errors import ParameterError, check_int, suggest, warn
from ..trackers import ProgressLog
from .bayes import calibrate_mcmc
from .evaluate import check_protocols, evaluate
from .fitting import CalibrationResult
from .fitting import Fit as _Fit
from .fitting import resolve_targets as _resolve_targets
from .fitting import run_candidates as _run
from .fitting import search_space as _space
from .fitting import start_set as _start_set
from .targets import Target

__all__ = ["METHODS", "CalibrationResult", "calibrate"]

#: The calibration methods.
METHODS = ("least_squares", "differential_evolution", "mcmc")


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
    steps: int = 400,
    walkers: int | None = None,
    **options: Any,
) -> CalibrationResult:
    """Fit parameters so that the model meets targets.

    Args:
        targets: A CSV path (published-outcomes format), a list of targets, or ``None`` for the shipped
            published outcomes.
        params: Names to fit (searched over their prior ranges in the parameter table: what is
            biologically plausible before any data), or names to ``(low, high)``.
        protocols: Protocols the targets name that are neither presets nor files.
        method: ``"least_squares"`` (multi-start), ``"differential_evolution"`` or ``"mcmc"``.
        n_starts: Starting points for least squares.
        seed: Seed of the starting points and of differential evolution.
        max_nfev: Function evaluations per least-squares start (each is one batch of simulations).
        budget: Simulations allowed to differential evolution (population size times generations).
        start: Starting parameter set (dict, file or ParameterSet; default: the defaults).
        progress: Show a progress bar over the evaluations (tqdm).
        steps: Steps of every walker (``"mcmc"``).
        walkers: Walkers of the ensemble (``"mcmc"``; default 16, or ``2 * len(params) + 2``).
        **options: Solver options of the simulations.
    """
    n_starts, seed, max_nfev, budget = _check_settings(method, n_starts, seed, max_nfev, budget)
    protocols = check_protocols(protocols)
    _check_options(options)
    _warn_unused(method, n_starts=n_starts, max_nfev=max_nfev, budget=budget, steps=steps,
                 walkers=walkers)  # fmt: skip
    if method == "mcmc":
        return calibrate_mcmc(
            targets, params, protocols, seed, start, progress, steps, walkers, options
        )
    return _optimise(
        _resolve_targets(targets), params, protocols, method, (n_starts, seed, max_nfev, budget),
        start, progress, options,
    )  # fmt: skip


def _optimise(
    targets: list[Target], params: Any, protocols: Any, method: str, settings: tuple,
    start: Any, progress: bool, options: Mapping[str, Any],
) -> CalibrationResult:  # fmt: skip
    """Least squares or differential evolution; the result evaluated at the best point."""
    import pandas as pd

    t0 = time.perf_counter()
    n_starts, seed, max_nfev, budget = settings
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
        fitted, fitted_set, final.table(), float(best.cost), pd.DataFrame(trace),
        bool(best.success), str(best.message), time.perf_counter() - t0,
    )  # fmt: skip


#: The settings each method reads, and their defaults (a changed one the method ignores is said).
_USED = {
    "least_squares": ("n_starts", "max_nfev"),
    "differential_evolution": ("budget",),
    "mcmc": ("steps", "walkers"),
}
_DEFAULTS = {"n_starts": 4, "max_nfev": 60, "budget": 2000, "steps": 400, "walkers": None}


def _warn_unused(method: str, **given: Any) -> None:
    unused = [k for k, v in given.items() if k not in _USED[method] and v != _DEFAULTS[k]]
    if unused:
        warn(
            f"calibrate: {', '.join(unused)} {'is' if len(unused) == 1 else 'are'} not read by "
            f"method={method!r}, which reads {', '.join(_USED[method])}; "
            + "; ".join(f"{m} reads {', '.join(k)}" for m, k in _USED.items() if m != method)
        )


def _check_options(options: Mapping[str, Any]) -> None:
    """``**options`` go to every evaluation (engine settings, ``engine``, ``n_threads``).

    Raises:
        ParameterError: for another keyword, matched to the nearest name.
    """
    from ..solvers import ODE, keywords_of

    own = ("targets", "params", "keep_results", "protocols")  # set by calibrate itself
    allowed = [
        *(f for f in ODE.__dataclass_fields__ if f != "name"),
        *(k for k in keywords_of(evaluate) if k not in own and k not in ODE.__dataclass_fields__),
    ]
    for name in options:
        if name not in allowed:
            hint = suggest(name, [*keywords_of(calibrate), *allowed])
            raise ParameterError(
                f"calibrate: unknown option {name!r}{hint}; the keywords beyond calibrate's own go "
                f"to every evaluation: {', '.join(allowed)}"
            )


def _check_settings(
    method: Any, n_starts: Any, seed: Any, max_nfev: Any, budget: Any
) -> tuple[int, int | None, int, int]:
    """The search settings as ints; a ParameterError names one of the wrong type or out of range."""
    if not isinstance(method, str) or method not in METHODS:
        raise ParameterError(
            f"method: {method!r} must be 'least_squares', 'differential_evolution' or 'mcmc'"
        )
    return (
        check_int("n_starts", n_starts, 1, 1000),
        None if seed is None else check_int("seed", seed, 0, 2**32 - 1),
        check_int("max_nfev", max_nfev, 1, 100_000),
        check_int("budget", budget, 1, 10_000_000),
    )


@dataclass(frozen=True)
class _Best:
    """The best point a search found: coordinates, cost, and the optimiser's verdict."""

    x: Any
    cost: float
    success: bool
    message: str


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
