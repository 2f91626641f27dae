"""What every calibration method shares: targets, the search space, residuals, candidates run in batches.

:func:`~ipscsim.validation.calibrate.calibrate` (least squares, differential evolution) and
:func:`~ipscsim.validation.bayes.sample_posterior` (emcee) fit the same residuals over the same
space: each target's residual in tolerance units (0.10 for fractions, 10% of the value otherwise),
parameters in log space when their range spans a factor of three or more.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._paths import output_path
from ..errors import ParameterError, check_names, is_real
from ..model.layout import PARAM_INDEX
from ..model.parameter_set import ParameterSet
from ..model.posterior import Posterior
from .evaluate import Evaluation, evaluate
from .targets import Target, resolve_targets

__all__ = [
    "CV_PARAMS",
    "CalibrationResult",
    "Fit",
    "Space",
    "residuals",
    "resolve_targets",
    "run_candidates",
    "search_space",
    "start_set",
]

#: Parameters refitted in each fold of cross-validation (:mod:`~ipscsim.validation.crossval`) and the
#: first six of the shipped posterior: neurogenesis tempo, progenitor cycling with and without
#: mitogens, quiescence, the PONI network's tempo and the BMP gate of neural induction.
CV_PARAMS: tuple[str, ...] = (
    "k_neurogenesis",
    "cycle_np",
    "np_basal",
    "quies_max",
    "lambda_poni",
    "K_bmp_neural",
)


@dataclass
class CalibrationResult:
    """The outcome of :func:`calibrate`.

    Attributes:
        params: Fitted values of the calibrated parameters.
        parameter_set: Every parameter (fitted ones changed), ready for ``simulate(params=...)``.
        table: One row per target: published value, model value with the fitted parameters, met.
        cost: Half the sum of squared residuals at the fit.
        trace: Every evaluation: start, evaluation number, parameter values, cost.
        success: Whether the optimiser reported convergence (``"mcmc"``: the chain ran at least
            50 autocorrelation times and kept at least 100 effective draws of every parameter).
        message: The optimiser's message.
        wall_time_s: Time the fit took.
        posterior: With ``method="mcmc"``: the posterior sample
            (:class:`~ipscsim.model.posterior.Posterior`; ``posterior.intervals(0.9)``), usable as
            ``simulate(..., params=ParameterSet(posterior=...), uncertainty=n)``.
    """

    params: dict[str, float]
    parameter_set: ParameterSet
    table: Any
    cost: float
    trace: Any
    success: bool
    message: str
    wall_time_s: float
    posterior: Posterior | None = None

    def save(self, path: str | Path) -> Path:
        """Write the fitted parameters as a TOML parameter file (``simulate(params=path)`` reads it).

        With a posterior, its sample is written beside it (``<name>.posterior.csv``).
        """
        path = output_path(path, "path", (".toml",), "fit.toml")
        met = int(self.table["met"].sum())
        self.parameter_set.to_toml(
            path,
            only_changed=True,
            fitted=", ".join(self.params),
            cost=f"{self.cost:.6g}",
            targets_met=f"{met} of {len(self.table)}",
            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        if self.posterior is not None:
            self.posterior.to_csv(path.with_suffix(".posterior.csv"))
        return path


def residuals(ev: Evaluation, s: int) -> np.ndarray:
    """Residuals in tolerance units of parameter set ``s`` of an evaluation, one per target.

    An outcome's is :meth:`Target.residual`; a direction's is its shortfall beyond the margin in
    units of 0.10; a run that failed costs 10 tolerances.
    """
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


def start_set(start: Any) -> ParameterSet:
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
class Space:
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


def search_space(params: Sequence[str] | Mapping[str, tuple[float, float]]) -> Space:
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
    return Space(names, logs, lo_x, hi_x)


@dataclass(frozen=True)
class Fit:
    """What every evaluation of a candidate needs.

    Attributes:
        targets: The targets.
        space: The search space.
        base_arr: The starting parameter set as an array (fitted parameters overwritten per run).
        protocols: Protocols the targets name that are neither presets nor files.
        options: Solver options of the simulations.
    """

    targets: list[Target]
    space: Space
    base_arr: np.ndarray
    protocols: Mapping[str, Any] | None
    options: Mapping[str, Any]


def run_candidates(
    fit: Fit, X: np.ndarray, start_id: int, trace: list[dict[str, Any]]
) -> np.ndarray:
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
    res = np.array([residuals(ev, s) for s in range(X.shape[0])])
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
