"""Designs: the points of a sweep (scipy.stats.qmc for the quasi-random ones).

* ``grid``: the Cartesian product of every dimension's values (every dimension needs values);
* ``random``: independent uniform draws mapped through each dimension's distribution;
* ``lhs``: a Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`);
* ``sobol``: a scrambled Sobol sequence (:class:`scipy.stats.qmc.Sobol`; ``n`` a power of two);
* an explicit ``(n, d)`` array or DataFrame of points (used by the sensitivity samplers).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from ..errors import ParameterError
from .space import ParameterSpace

__all__ = ["DESIGNS", "design_points"]

DESIGNS = ("grid", "random", "lhs", "sobol")


def design_points(space: ParameterSpace, design: Any, n: int | None, seed: int) -> np.ndarray:
    """The ``(n_points, n_dims)`` array of a design."""
    d = len(space)
    if not isinstance(design, str):
        try:
            pts = np.asarray(getattr(design, "values", design), dtype=np.float64)
        except (TypeError, ValueError):
            raise ParameterError(
                f"design: {design!r} must be one of {', '.join(DESIGNS)} or an (n, {d}) array of "
                "points"
            ) from None
        if pts.ndim != 2 or pts.shape[1] != d:
            raise ParameterError(
                f"design: explicit points must have shape (n, {d}) for the {d} dimensions, not "
                f"{pts.shape}"
            )
        return pts
    if design == "grid":
        missing = [dim.name for dim in space.dimensions if not dim.is_grid]
        if missing:
            raise ParameterError(
                f"design 'grid': dimension {missing[0]!r} has bounds, not values; give a list of "
                "values, {'bounds': [lo, hi], 'n': k}, or use design='lhs'"
            )
        if n is not None:
            raise ParameterError("design 'grid': n is set by the values; leave n=None")
        return np.array(
            list(itertools.product(*(dim.values for dim in space.dimensions))), dtype=np.float64
        )
    if design not in DESIGNS:
        raise ParameterError(
            f"design: unknown design {design!r}; choose one of {', '.join(DESIGNS)}"
        )
    if n is None or isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ParameterError(f"design {design!r}: n = {n!r} must be a positive number of runs")
    from scipy.stats import qmc

    rng = np.random.default_rng(seed)
    if design == "random":
        u = rng.random((n, d))
    elif design == "lhs":
        u = qmc.LatinHypercube(d, seed=rng).random(n)
    else:
        m = math.log2(n)
        if m != int(m):
            raise ParameterError(
                f"design 'sobol': n = {n} is not a power of 2 (the sequence loses its balance); use "
                f"n = {2 ** math.ceil(m)}, or design='lhs'"
            )
        u = qmc.Sobol(d, scramble=True, seed=rng).random_base2(int(m))
    return np.column_stack([dim.from_unit(u[:, j]) for j, dim in enumerate(space.dimensions)])
