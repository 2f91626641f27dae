"""The record grid of the studies' curves (survival assays, transplants)."""

from __future__ import annotations

from ..errors import warn


def even_spacing(span: float, every: float, unit: str) -> float:
    """The spacing of ``round(span / every)`` equal steps over ``span``.

    A warning says when it is not ``every`` (3 days over a 7-day assay gives points 3.5 days apart).

    Args:
        span: The curve's length.
        every: The spacing asked for.
        unit: ``"days"`` or ``"months"``, for the message.
    """
    steps = max(1, round(span / every))
    spacing = span / steps
    if abs(spacing - every) > 1e-9 * max(span, 1.0):
        warn(
            f"record_every: {every:g} {unit} does not divide the {span:g} {unit}; the points are "
            f"{spacing:.4g} {unit} apart ({steps} equal steps). Give a spacing that divides it"
        )
    return spacing
