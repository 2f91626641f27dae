r"""Bayesian calibration: a posterior sample of parameters given published or a lab's own data.

The posterior of parameters :math:`\theta` (a few named ones; the others stay at their values) given
targets :math:`j` (rows in the format of ``data/published_outcomes.csv``) is

.. math:: \log p(\theta \mid D) = \log \pi(\theta)
          - \tfrac{\nu + 1}{2} \sum_j \log\!\left(1 + r_j(\theta)^2 / \nu\right) + C,

with :math:`r_j` the residual of :func:`~ipscsim.validation.calibrate.calibrate` in tolerance units
(0 inside a published interval, the distance to it outside, in units of 0.10 for fractions or 10% of
the value otherwise) and a Student-t likelihood with :data:`NU` degrees of freedom: for small
residuals it is the Gaussian of least squares, but a target the model cannot meet for a structural
reason (the table's known misses) pulls on the parameters with a bounded force instead of dragging
every other fit with it (a robust likelihood for a misspecified model). The prior :math:`\pi` is
uniform over the prior ranges of the parameter table in the search coordinates of ``calibrate``
(log-uniform where a range spans a factor of three or more).

It is sampled with the affine-invariant ensemble sampler of emcee (Foreman-Mackey et al. 2013, PASP
125:306), every step's walkers simulated in one batch of the batch engine. Burn-in and thinning
follow from the integrated autocorrelation time :math:`\tau` (burn-in :math:`2\tau_{max}`, thinning
:math:`\tau_{min}/2`); the effective sample size is walkers x kept steps / :math:`\tau`.
``python -m ipscsim.validation.bayes`` refits the shipped posterior (``model/data/posterior.csv``).
Needs the ``bayes`` extra (``pip install "ipscsim[bayes]"``: emcee, and arviz for the
leave-one-publication-out check in :mod:`~ipscsim.validation.posterior_check`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError, check_int
from ..model.posterior import Posterior
from .evaluate import check_protocols, evaluate
from .fitting import (
    CV_PARAMS,
    CalibrationResult,
    Fit,
    residuals,
    resolve_targets,
    search_space,
    start_set,
)
from .fitting import run_candidates as _run
from .targets import Target, fact_targets, outcome_targets, phenotype_targets

__all__ = [
    "BAYES_PARAMS",
    "NU",
    "calibrate_mcmc",
    "literature_targets",
    "log_likelihood",
    "log_likelihood_terms",
    "sample_posterior",
]

#: Parameters of the shipped posterior: those refitted in cross-validation (``CV_PARAMS``:
#: neurogenesis tempo, progenitor cycling, quiescence, PONI tempo, the BMP gate of induction) and
#: four more the literature table is sensitive to (heterogeneity of morphogen sensitivity, the GLI
#: threshold of NKX2.2 that splits p3 from pMN, the SOX1 tempo and the pluripotent cell cycle,
#: which sets yields).
BAYES_PARAMS: tuple[str, ...] = (
    *CV_PARAMS,
    "sigma_sensitivity",
    "K_Gli_Nkx",
    "k_sox1",
    "cycle_psc",
)

#: Degrees of freedom of the Student-t likelihood (4: Gaussian near the data, heavy tails beyond
#: about two tolerances).
NU = 4.0


def literature_targets() -> list[Target]:
    """Every row of the literature table: published outcomes, phenotypes and further facts."""
    return [*outcome_targets(), *phenotype_targets(), *fact_targets()]


def log_likelihood_terms(residuals: np.ndarray, nu: float = NU) -> np.ndarray:
    """Student-t log-likelihood of each residual in tolerance units (same shape)."""
    r = np.asarray(residuals, dtype=np.float64)
    return -0.5 * (nu + 1.0) * np.log1p(r * r / nu)


def log_likelihood(residuals: np.ndarray, nu: float = NU) -> np.ndarray:
    """Student-t log-likelihood of residuals in tolerance units, summed over the last axis."""
    return np.sum(log_likelihood_terms(residuals, nu), axis=-1)


def _emcee() -> Any:
    try:
        import emcee
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            'Bayesian calibration needs emcee: pip install "ipscsim[bayes]"'
        ) from None
    return emcee


def _check(walkers: Any, steps: Any, burn: Any, thin: Any, d: int) -> tuple[int, int, Any, Any]:
    walkers = (
        check_int("walkers", walkers, 2 * d + 2, 100_000)
        if walkers is not None
        else (2 * d + 2 if d >= 7 else 16)
    )
    if walkers % 2:
        raise ParameterError(f"walkers: {walkers} must be even (emcee splits them in two halves)")
    steps = check_int("steps", steps, 10, 10_000_000)
    burn = None if burn is None else check_int("burn", burn, 0, steps - 1)
    thin = None if thin is None else check_int("thin", thin, 1, steps)
    return walkers, steps, burn, thin


def sample_posterior(
    targets: str | Path | Sequence[Target] | None = None,
    params: Sequence[str] | Mapping[str, tuple[float, float]] = BAYES_PARAMS,
    protocols: Mapping[str, Any] | None = None,
    walkers: int | None = None,
    steps: int = 400,
    burn: int | None = None,
    thin: int | None = None,
    seed: int = 0,
    start: Any = None,
    progress: bool = True,
    **options: Any,
) -> Posterior:
    """Sample the posterior of ``params`` given ``targets`` with emcee.

    Args:
        targets: A CSV path (published-outcomes format), a list of targets, or ``None`` for the
            literature table (:func:`literature_targets`).
        params: Names (prior ranges of the parameter table) or names to ``(low, high)``.
        protocols: Protocols the targets name that are neither presets nor files.
        walkers: Walkers of the ensemble (even, at least ``2 * len(params) + 2``; default 16, or
            ``2 * len(params) + 2`` for seven or more parameters).
        steps: Steps of every walker (each step simulates every walker once).
        burn: Steps discarded at the start (default: twice the longest autocorrelation time, at
            most half the steps).
        thin: Keep every ``thin``-th step (default: half the shortest autocorrelation time).
        seed: Seed of the starting ball and of the sampler's moves.
        start: Centre of the starting ball (a ParameterSet, dict or TOML file; default: the
            defaults, or a least-squares fit passed by ``calibrate``).
        progress: Show a progress bar over the steps.
        **options: Solver options of the simulations.

    Returns:
        The :class:`~ipscsim.model.posterior.Posterior` with the sampler's diagnostics in ``meta``.
    """
    emcee = _emcee()
    t0 = time.perf_counter()
    seed = check_int("seed", seed, 0, 2**32 - 1)
    targets = literature_targets() if targets is None else resolve_targets(targets)
    protocols = check_protocols(protocols)
    space = search_space(params)
    d = len(space.names)
    walkers, steps, burn, thin = _check(walkers, steps, burn, thin, d)
    base = start_set(start)
    fit = Fit(targets, space, base.to_array(), protocols, options)
    rng = np.random.default_rng(seed)
    width = space.hi - space.lo
    x0 = np.clip(space.to_x(np.array([base[n] for n in space.names])), space.lo, space.hi)
    p0 = np.clip(x0 + 0.02 * width * rng.standard_normal((walkers, d)), space.lo, space.hi)
    sampler = emcee.EnsembleSampler(walkers, d, partial(_log_prob, fit, []), vectorize=True)
    sampler.random_state = np.random.RandomState(seed).get_state()
    sampler.run_mcmc(p0, steps, progress=progress)
    return _posterior(sampler, space, targets, walkers, steps, burn, thin, seed, t0)


def _log_prob(fit: Fit, trace: list[dict[str, Any]], X: np.ndarray) -> np.ndarray:
    """Log posterior of candidates ``X`` (rows, search coordinates): -inf outside the prior box."""
    space = fit.space
    inside = np.all((space.lo <= X) & (space.hi >= X), axis=1)
    out = np.full(X.shape[0], -np.inf)
    if inside.any():
        out[inside] = log_likelihood(_run(fit, X[inside], 0, trace))
    return out


def _posterior(
    sampler: Any, space: Any, targets: list[Target], walkers: int, steps: int,
    burn: int | None, thin: int | None, seed: int, t0: float,
) -> Posterior:  # fmt: skip
    """The kept draws and the diagnostics of a finished sampler."""
    tau = np.asarray(sampler.get_autocorr_time(tol=0), dtype=np.float64)
    tau = np.where(np.isfinite(tau) & (tau > 0), tau, float(steps))
    burn = min(math.ceil(2 * tau.max()), steps // 2) if burn is None else burn
    thin = max(1, int(tau.min() // 2)) if thin is None else thin
    X = sampler.get_chain(discard=burn, thin=thin, flat=True)
    ll = sampler.get_log_prob(discard=burn, thin=thin, flat=True)
    ess = walkers * (steps - burn) / tau
    meta = {
        "sampler": f"emcee {_emcee().__version__} EnsembleSampler (stretch move), vectorised",
        "likelihood": f"Student-t (nu = {NU:g}) on residuals in tolerance units",
        "prior": "uniform over the prior ranges in search coordinates (log where range >= 3x)",
        "walkers": walkers,
        "steps": steps,
        "burn": burn,
        "thin": thin,
        "seed": seed,
        "acceptance": float(np.mean(sampler.acceptance_fraction)),
        "autocorrelation_time": dict(zip(space.names, map(float, tau), strict=True)),
        "effective_sample_size": dict(zip(space.names, map(float, ess), strict=True)),
        "min_effective_sample_size": float(ess.min()),
        "simulations": int(walkers * steps),
        "wall_time_s": round(time.perf_counter() - t0, 1),
        "targets": [t.id for t in targets],
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return Posterior(tuple(space.names), space.to_values(X), ll, meta)


def calibrate_mcmc(
    targets: Any, params: Any, protocols: Any, seed: int | None, start: Any, progress: bool,
    steps: int, walkers: int | None, options: Mapping[str, Any],
) -> CalibrationResult:  # fmt: skip
    """``calibrate(method="mcmc")``: a posterior sample; the point is its medians, evaluated there."""
    import pandas as pd

    t0 = time.perf_counter()
    targets = resolve_targets(targets)
    post = sample_posterior(
        targets, params, protocols, walkers, steps, seed=seed or 0, start=start,
        progress=progress, **options,
    )  # fmt: skip
    fitted = post.median()
    fitted_set = start_set(start).with_values(fitted)
    final = evaluate(targets, fitted_set.to_array(), protocols=dict(protocols or {}), **options)
    r = residuals(final, 0)
    tau = max(post.meta["autocorrelation_time"].values())
    ess = post.meta["min_effective_sample_size"]
    ok = post.meta["steps"] >= 50 * tau and ess >= 100
    trace = pd.DataFrame(post.samples, columns=list(post.names)).assign(
        log_likelihood=post.log_likelihood
    )
    message = (
        f"{post.meta['steps']} steps of {post.meta['walkers']} walkers, autocorrelation time up to "
        f"{tau:.1f} steps, smallest effective sample size {ess:.0f}, acceptance "
        f"{post.meta['acceptance']:.2f}"
        + ("" if ok else "; run longer (steps >= 50 autocorrelation times, ESS >= 100)")
    )
    return CalibrationResult(
        fitted, fitted_set, final.table(), 0.5 * float(r @ r), trace, bool(ok), message,
        time.perf_counter() - t0, post,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - a maintenance command
    """Refit the shipped posterior: ``python -m ipscsim.validation.bayes [--steps N] [--out CSV]``."""
    import argparse
    from importlib import resources

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--steps", type=int, default=600)  # as the shipped posterior
    ap.add_argument("--walkers", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--out",
        default=str(resources.files("ipscsim.model").joinpath("data/posterior.csv")),
    )
    a = ap.parse_args(argv)
    post = sample_posterior(steps=a.steps, walkers=a.walkers, seed=a.seed)
    post.to_csv(a.out)
    print(post.intervals().to_string())
    print({k: post.meta[k] for k in ("acceptance", "min_effective_sample_size", "wall_time_s")})
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
