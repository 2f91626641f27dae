"""Prediction intervals against published facts: how often the model's uncertainty band reaches the data.

The plausible ranges of the parameter table are set by the published outcomes and the phenotypes
(:func:`ipscsim.validation.ranges.calibration_targets`); the further facts
(``validation/data/validation_facts.csv``) play no part in them. Drawing parameter sets over those
ranges and asking, for each fact, whether the central ``level`` band of the predictions reaches the
published value therefore measures prediction out of sample, the way ``simulate(..., uncertainty=n)``
shows it to a user.

A fact is **covered** when at least ``(1 - level) / 2`` of the draws meet it: for a one-sided fact
(``>=``, ``<=``, ``<``, ``>``) this is exactly "the far end of the central band reaches the published
value"; for a two-sided one (``~``, ``=``) it is the same within the band's resolution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..model.readouts import timing_kind
from .evaluate import evaluate
from .targets import Target

__all__ = ["as_days", "prediction_intervals", "spread", "wquantile"]

#: Stands for +inf while interpolating quantiles (``np.interp`` cannot interpolate towards inf).
_NEVER = 1e300


def wquantile(x: np.ndarray, w: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Weighted quantiles (the inverse of the weighted empirical distribution, interpolated).

    NaN values are left out; +inf values (a timing readout's "never") take part and make every
    quantile that reaches them +inf.
    """
    ok = ~np.isnan(x)
    x, w = x[ok], w[ok]
    if not x.size or w.sum() <= 0:
        return np.full(len(q), math.nan)
    order = np.argsort(x)
    x, w = x[order], w[order]
    c = (np.cumsum(w) - 0.5 * w) / w.sum()
    big = np.isposinf(x)
    out = np.interp(q, c, np.where(big, _NEVER, x))
    return np.where(out >= _NEVER * 0.5, np.inf, out) if big.any() else out


def as_days(t: Target, v: np.ndarray) -> np.ndarray:
    """A target's readout over draws, with a timing readout's "never" (NaN) as +inf.

    A day a run never reaches is later than every day. Other readouts are returned as they are
    (NaN there is a failed run).
    """
    return np.where(np.isnan(v), np.inf, v) if timing_kind(t.readout) else v


def spread(t: Target, v: np.ndarray, r: np.ndarray) -> np.ndarray:
    """What a band is taken over: the readout, or for a direction the readout minus its reference.

    For a timing readout a day a run never reaches is later than every day (:func:`as_days`), so a
    direction against a reference that never comes is -inf, and NaN only where neither comes.
    """
    v = as_days(t, v)
    if t.kind != "direction":
        return v
    with np.errstate(invalid="ignore"):
        return v - as_days(t, r)


def prediction_intervals(targets: Sequence[Target], draws: np.ndarray, level: float = 0.9) -> Any:
    """Central ``level`` band of each target's readout over parameter draws, and whether it covers.

    Args:
        targets: Outcomes and directions.
        draws: ``(n, n_params)`` parameter arrays (e.g. ``ParameterSet().sample_arrays(200)``).
        level: The band's probability (0.9: the 5th to the 95th percentile).

    Returns:
        A DataFrame indexed by target id: ``lower`` and ``upper`` of the readout (for a direction, of
        the readout minus its reference), ``fraction_met`` over the draws and ``covered``.
    """
    import pandas as pd

    if not 0.0 < level < 1.0:
        raise ValueError(f"level: {level!r} must be in (0, 1)")
    targets = list(targets)
    ev = evaluate(targets, draws, keep_results=False)
    tail = (1.0 - level) / 2.0
    rows = {}
    for j, t in enumerate(targets):
        x = spread(t, ev.values[:, j], ev.references[:, j])
        lo, hi = wquantile(x, np.ones_like(x), [tail, 1.0 - tail])
        frac = float(ev.met[:, j].mean())
        rows[t.id] = (float(lo), float(hi), frac, frac >= tail)
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=["lower", "upper", "fraction_met", "covered"]
    )
