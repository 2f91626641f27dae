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
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..model.layout import PARAM_INDEX
from ..model.parameter_set import ParameterSet
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
        **options: Solver options of the simulations.
    """
    from scipy.optimize import differential_evolution, least_squares
    from scipy.stats import qmc

    t0 = time.perf_counter()
    if targets is None:
        targets = outcome_targets()
    elif isinstance(targets, (str, Path)):
        targets = load_targets(targets)
    targets = list(targets)
    if not targets:
        raise ParameterError("targets: nothing to fit")
    base = (
        start
        if isinstance(start, ParameterSet)
        else ParameterSet(
            dict(start)
            if isinstance(start, Mapping)
            else (ParameterSet.from_toml(start).changed() if start is not None else {})
        )
    )
    prior = ParameterSet(ranges="prior")
    names = list(params)
    if not names:
        raise ParameterError("params: name at least one parameter to fit")
    bounds = {}
    for n in names:
        b = params[n] if isinstance(params, Mapping) else prior.bounds(n)
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

    def to_values(x: np.ndarray) -> np.ndarray:
        return np.where(logs, np.exp(x), x)

    def to_x(v: np.ndarray) -> np.ndarray:
        return np.where(logs, np.log(v), v)

    base_arr = base.to_array()
    trace: list[dict[str, Any]] = []

    def run(X: np.ndarray, start_id: int) -> np.ndarray:
        sets = np.tile(base_arr, (X.shape[0], 1))
        vals = to_values(X)
        for j, n in enumerate(names):
            sets[:, PARAM_INDEX[n]] = vals[:, j]
        ev = evaluate(targets, sets, keep_results=False, protocols=dict(protocols or {}), **options)
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

    best_x, best_cost, success, message = None, math.inf, False, ""
    if method == "least_squares":
        x0 = np.clip(to_x(np.array([base[n] for n in names])), lo_x, hi_x)
        starts = [x0]
        if n_starts > 1:
            u = qmc.LatinHypercube(len(names), seed=seed).random(n_starts - 1)
            starts += list(lo_x + u * (hi_x - lo_x))
        step = 1e-3 * (hi_x - lo_x)
        for k, x_start in enumerate(starts):
            cache: dict[bytes, np.ndarray] = {}

            def fun(x, k=k, cache=cache):
                key = x.tobytes()
                if key not in cache:
                    cache[key] = run(x[None, :], k)[0]
                return cache[key]

            def jac(x, k=k):
                f0 = fun(x)
                h = np.where(x + step <= hi_x, step, -step)
                X = x[None, :] + np.diag(h)
                return ((run(X, k) - f0[None, :]) / h[:, None]).T

            sol = least_squares(
                fun,
                x_start,
                jac=jac,
                bounds=(lo_x, hi_x),
                method="trf",
                max_nfev=max_nfev,
                x_scale="jac",
            )
            if sol.cost < best_cost:
                best_x, best_cost, success, message = sol.x, sol.cost, sol.success, sol.message
    elif method == "differential_evolution":
        d = len(names)
        popsize = 10
        maxiter = max(1, budget // (popsize * d) - 1)

        def cost(xt: np.ndarray) -> np.ndarray:
            X = np.atleast_2d(xt.T) if xt.ndim == 2 else xt[None, :]
            r = run(X, 0)
            return 0.5 * np.sum(r * r, axis=1)

        sol = differential_evolution(
            cost,
            list(zip(lo_x, hi_x, strict=True)),
            popsize=popsize,
            maxiter=maxiter,
            seed=seed,
            vectorized=True,
            updating="deferred",
            polish=False,
            tol=1e-10,
        )
        best_x, best_cost, success, message = (
            sol.x,
            float(sol.fun),
            bool(sol.success),
            str(sol.message),
        )
    else:
        raise ParameterError(
            f"method: {method!r} must be 'least_squares' or 'differential_evolution'"
        )
    fitted = dict(zip(names, map(float, to_values(np.asarray(best_x))), strict=True))
    fitted_set = base.with_values(fitted)
    final = evaluate(targets, fitted_set.to_array(), protocols=dict(protocols or {}), **options)
    import pandas as pd

    return CalibrationResult(
        fitted,
        fitted_set,
        final.table(),
        float(best_cost),
        pd.DataFrame(trace),
        bool(success),
        str(message),
        time.perf_counter() - t0,
    )
