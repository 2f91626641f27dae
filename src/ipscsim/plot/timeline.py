"""The protocol timeline: compounds as bars over days, media changes and operations marked."""

from __future__ import annotations

from typing import Any

__all__ = ["plot_protocol"]


def plot_protocol(protocol: Any, ax: Any = None, *, days: float | None = None):
    """Draw a protocol's schedule.

    Each compound is a row; each step a bar over ``[start, end)`` labelled with its concentration.
    Media changes are ticks on the day axis; operations (replate, aggregate, plate) dashed lines.

    Args:
        protocol: A :class:`~ipscsim.protocols.Protocol`.
        ax: Axes to draw into (a new figure when ``None``).
        days: Extent of the day axis (default: the protocol's duration).

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    compounds = list(protocol.compounds)
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 0.45 * max(len(compounds), 2) + 1.2))
    else:
        fig = ax.figure
    end = float(days if days is not None else protocol.days)
    cmap = plt.get_cmap("tab20")
    for row, name in enumerate(compounds):
        for s in protocol.steps_of(name):
            ax.barh(
                row,
                s.end - s.start,
                left=s.start,
                height=0.6,
                color=cmap(row % 20),
                edgecolor="black",
                linewidth=0.5,
                label=None,
            )
            ax.text(
                (s.start + s.end) / 2,
                row,
                f"{s.concentration:g} {s.unit}",
                ha="center",
                va="center",
                fontsize=7,
            )
    for d in protocol.media_change_days():
        ax.plot([d, d], [-0.9, -0.6], color="0.4", linewidth=1)
    for op in protocol.operations:
        ax.axvline(op.day, color="black", linestyle="--", linewidth=1)
        ax.text(op.day, len(compounds) - 0.4, f" {op.kind}", fontsize=7, va="bottom")
    ax.set_yticks(range(len(compounds)), compounds)
    ax.set_ylim(-1.0, max(len(compounds), 1) - 0.2)
    ax.invert_yaxis()
    ax.set_xlim(0, end)
    ax.set_xlabel("day of differentiation (day)")
    ax.set_title(
        f"{protocol.name}: compounds (ticks: media changes; dashed: operations)", fontsize=9
    )
    return fig
