"""The population search that optimisation and calibration share.

Differential evolution whose whole population is evaluated in one call (one batch of simulations per
generation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["population_search"]


def population_search(
    cost: Callable[[np.ndarray], np.ndarray],
    bounds: Sequence[tuple[float, float]],
    budget: int,
    seed: Any = None,
    popsize: int = 10,
    tol: float = 1e-8,
):
    """Minimise ``cost`` over a box with :func:`scipy.optimize.differential_evolution`.

    Args:
        cost: Takes candidates ``(n, d)`` and returns their costs ``(n,)`` (one batch per generation).
        bounds: ``(low, high)`` per dimension.
        budget: Evaluations allowed (population ``popsize * d`` times generations).
        seed: Seed of the search.
        popsize: Population size multiplier.
        tol: Relative tolerance of convergence.

    Returns:
        scipy's ``OptimizeResult`` (no polishing: every evaluation is a simulation).
    """
    from scipy.optimize import differential_evolution

    d = len(bounds)
    maxiter = max(1, budget // (popsize * d) - 1)

    def f(xt: np.ndarray) -> np.ndarray:
        return cost(np.atleast_2d(xt.T) if xt.ndim == 2 else xt[None, :])

    return differential_evolution(
        f,
        list(bounds),
        popsize=popsize,
        maxiter=maxiter,
        seed=seed,
        vectorized=True,
        updating="deferred",
        polish=False,
        tol=tol,
    )
