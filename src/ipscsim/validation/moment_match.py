"""Importance sampling with moment matching: leave-out estimates that PSIS alone cannot trust.

Leaving a publication out of a posterior by importance sampling weighs each draw by the ratio of
the posterior without it to the posterior with it. When the publication moved the posterior a lot,
a few draws carry all the weight and the Pareto shape ``k`` of the weights' tail says so (above
0.7 the estimate is unreliable; Vehtari et al. 2024, JMLR 25(72):1-58). Moment matching (Paananen
et al. 2021, Stat Comput 31:16, "Implicitly adaptive importance sampling") moves the draws instead
of refitting: affine maps that give the draws the weighted mean, then the weighted marginal spreads,
then the weighted covariance of the target, each kept if it lowers ``k``. A mapped draw ``T(x)``
follows the proposal density ``g(x) / |det A|``, and its weight is the target density there over
that: the target density at new points is what costs (here, simulations), so the target is a
callable.

This is the non-split variant of the paper's Algorithm 1 (all draws are mapped; the paper's split
variant halves a small bias from the maps being fitted to the same draws, at the cost of half the
draws for the weights).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["K_RELIABLE", "MIN_TAIL", "MomentMatch", "moment_match", "psis"]

log = logging.getLogger(__name__)

#: Pareto shape above which an importance-sampling estimate is not reliable.
K_RELIABLE = 0.7

#: The affine maps tried in turn: match the weighted mean, the marginal spreads, the covariance.
TRANSFORMS = ("shift", "scale", "cov")


#: Fewest distinct values in the weights' tail for a Pareto fit (arviz and loo fit no tail of fewer
#: than 5 draws; tied draws tell the fit no more than one).
MIN_TAIL = 5


def psis(log_w: np.ndarray) -> tuple[np.ndarray, float]:
    """Pareto-smoothed normalised importance weights and the shape estimate ``k`` (arviz).

    ``k`` is NaN, and the weights are the plain normalised ratios, where the largest ratios (the
    tail arviz would fit: ``min(0.2 S, 3 sqrt(S))`` draws) take fewer than :data:`MIN_TAIL` distinct
    values: equal weights, or a likelihood that takes a few values only (flat inside published
    intervals). Such ratios are bounded on the draws, so the estimate's variance is finite; the
    generalized Pareto fit, made for a continuous tail, has nothing to estimate. The fold is then
    judged by its effective sample size. Draws of log weight ``-inf`` (outside the target's
    support) get weight 0.
    """
    log_w = np.asarray(log_w, dtype=np.float64)
    finite = np.isfinite(log_w)
    if not finite.any():
        raise ValueError("log_w: no draw has a finite log weight; the target misses every draw")
    lw_f = log_w[finite] - log_w[finite].max()
    m = math.ceil(min(0.2 * lw_f.size, 3 * math.sqrt(lw_f.size)))
    w = np.zeros(log_w.shape)
    if np.unique(np.round(np.sort(lw_f)[-m:], 9)).size < MIN_TAIL:
        w[finite] = np.exp(lw_f)
        return w / w.sum(), math.nan
    with warnings.catch_warnings():  # arviz announces its refactor on import
        warnings.simplefilter("ignore", FutureWarning)
        try:
            import arviz as az
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError(
                'leave-out importance sampling needs arviz: pip install "ipscsim[bayes]"'
            ) from None

        lw, k = az.psislw(lw_f)
    w[finite] = np.exp(np.asarray(lw, dtype=np.float64))
    return w / w.sum(), float(k)


@dataclass(frozen=True)
class MomentMatch:
    """Draws moved towards a target, with their weights.

    Attributes:
        x: ``(S, d)`` the draws after the maps kept.
        weights: Pareto-smoothed normalised importance weights of ``x`` for the target.
        k: Pareto shape of the weights (NaN: too few distinct ratios in the tail to fit, see
            :func:`psis`).
        k_start: Pareto shape before any map.
        transforms: The maps kept, in order.
        aux: What the target callable returned beside the log density, for the draws ``x``.
        evaluations: Calls of the target callable (the first one included, unless given).
    """

    x: np.ndarray
    weights: np.ndarray
    k: float
    k_start: float
    transforms: tuple[str, ...]
    aux: Any
    evaluations: int


def _affine(x: np.ndarray, w: np.ndarray, kind: str) -> tuple[np.ndarray, float]:
    """Map draws ``x`` towards their ``w``-weighted moments; the log |det| of the map."""
    m, mw = x.mean(axis=0), w @ x
    if kind == "shift":
        return x - m + mw, 0.0
    if kind == "scale":
        sd = x.std(axis=0)
        sdw = np.sqrt(np.maximum(w @ (x - mw) ** 2, 0.0))
        ratio = np.where(sd > 0, sdw / np.where(sd > 0, sd, 1.0), 1.0)
        if np.any(ratio <= 0):
            return x, math.nan
        return (x - m) * ratio + mw, float(np.sum(np.log(ratio)))
    c = np.cov(x, rowvar=False, bias=True)
    cw = ((x - mw) * w[:, None]).T @ (x - mw)
    try:
        lc, lw = np.linalg.cholesky(np.atleast_2d(c)), np.linalg.cholesky(np.atleast_2d(cw))
    except np.linalg.LinAlgError:
        return x, math.nan  # a degenerate spread: this map cannot be made
    a = lw @ np.linalg.inv(lc)
    return (x - m) @ a.T + mw, float(np.sum(np.log(np.diag(lw))) - np.sum(np.log(np.diag(lc))))


def _k(k: float) -> float:
    """A Pareto shape for comparisons: NaN (bounded ratios, no tail to fit) is as good as it gets."""
    return -math.inf if math.isnan(k) else k


def moment_match(
    x: np.ndarray,
    log_g: np.ndarray,
    log_target: Callable[[np.ndarray], tuple[np.ndarray, Any]],
    k_threshold: float = K_RELIABLE,
    max_iters: int = 10,
    initial: tuple[np.ndarray, Any] | None = None,
) -> MomentMatch:
    """Move draws ``x`` of density ``g`` towards a target until the weights' Pareto shape is low.

    Args:
        x: ``(S, d)`` draws (unconstrained coordinates: the maps may move a draw anywhere).
        log_g: ``(S,)`` log density the draws follow (up to a constant): for posterior draws,
            the log posterior.
        log_target: Maps ``(n, d)`` points to their target log density ``(n,)`` (up to a
            constant; ``-inf`` outside its support) and any per-draw extra output (kept for the
            accepted draws, e.g. predictions made while computing the density).
        k_threshold: Stop once the Pareto shape is below this.
        max_iters: Rounds of trying the three maps (each costs up to three target calls).
        initial: The target's output at ``x`` if already known (saves a call, and keeps the
            start exactly where plain importance sampling was).

    Returns:
        The :class:`MomentMatch`: draws, weights, Pareto shapes before and after.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    log_g = np.asarray(log_g, dtype=np.float64)
    if log_g.shape != (x.shape[0],):
        raise ValueError(f"log_g: shape {log_g.shape} must be ({x.shape[0]},), one per draw")
    lt, aux = log_target(x) if initial is None else initial
    w, k = psis(np.asarray(lt) - log_g)
    k_start, kept, calls = k, [], int(initial is None)
    for _ in range(max_iters):
        if _k(k) <= k_threshold:
            break
        for kind in TRANSFORMS:
            x2, log_det = _affine(x, w, kind)
            if math.isnan(log_det):
                continue
            lt2, aux2 = log_target(x2)
            calls += 1
            g2 = log_g - log_det  # the density of the mapped draws at the mapped points
            if not np.isfinite(lt2).any():
                continue
            w2, k2 = psis(np.asarray(lt2) - g2)
            log.info("moment matching: %s map, k %.3g -> %.3g", kind, k, k2)
            if _k(k2) < _k(k):
                x, log_g, w, k, aux = x2, g2, w2, k2, aux2
                kept.append(kind)
                break
        else:
            break  # no map lowered k
    return MomentMatch(x, w, k, k_start, tuple(kept), aux, calls)
