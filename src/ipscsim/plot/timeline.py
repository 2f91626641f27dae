"""The protocol timeline: compounds as bars over days, media changes and operations marked.

Also :func:`shade_windows`, the same schedule drawn faintly beneath a time course.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..errors import ParameterError, check_names, is_real
from .labels import DAY_LABEL
from .palette import PATHWAY_COLORS, compound_color

__all__ = ["plot_protocol", "shade_windows"]


def _pathway(name: str) -> str:
    from ..protocols.compounds import registry

    return registry().get(name).pathway


def _draw_steps(ax: Any, protocol: Any, compounds: list[str], end: float) -> None:
    """Draw each compound's steps as bars on its row, labelled with the concentration."""
    for row, name in enumerate(compounds):
        for s in protocol.steps_of(name):
            ax.barh(
                row,
                s.end - s.start,
                left=s.start,
                height=0.6,
                color=compound_color(name),
                edgecolor="black",
                linewidth=0.5,
            )
            shown = (max(s.start, 0.0), min(s.end, end))  # the part inside the day axis
            if shown[1] > shown[0]:
                ax.text(
                    sum(shown) / 2,
                    row,
                    f"{s.concentration:g} {s.unit}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    clip_on=True,
                )


def _draw_events(ax: Any, protocol: Any, n_rows: int) -> None:
    """Mark media changes as ticks below the rows and operations as labelled dashed lines."""
    for d in protocol.media_change_days():
        ax.plot([d, d], [-0.9, -0.6], color="0.4", linewidth=1)
    for op in protocol.operations:
        ax.axvline(op.day, color="black", linestyle="--", linewidth=1)
        ax.text(op.day, n_rows - 0.4, f" {op.kind}", fontsize=7, va="bottom")


def _protocol_legend(ax: Any, protocol: Any, compounds: list[str]) -> None:
    """Add the legend of the pathways, the media-change tick and (if any) the operation line."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    # one entry per colour: SHH protein and the Smoothened agonists share one ("SHH / SMO")
    by_colour: dict[str, list[str]] = {}
    for p in dict.fromkeys(_pathway(c) for c in compounds):
        by_colour.setdefault(PATHWAY_COLORS.get(p, "#BBBBBB"), []).append(p)
    handles = [
        Patch(facecolor=colour, edgecolor="black", label=" / ".join(names))
        for colour, names in by_colour.items()
    ]
    handles.append(Line2D([], [], color="0.4", marker="|", linestyle="none", label="media change"))
    if protocol.operations:
        handles.append(Line2D([], [], color="black", linestyle="--", label="operation"))
    ax.legend(
        handles=handles,
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        fontsize=7,
        frameon=False,
        title="pathway",
        title_fontsize=7,
    )


def plot_protocol(protocol: Any, ax: Any = None, *, days: float | None = None, legend: bool = True):
    """Draw a protocol's schedule.

    Each compound is a row; each step a bar over ``[start, end)``, coloured by the pathway the
    compound acts on (:data:`~ipscsim.plot.palette.PATHWAY_COLORS`) and labelled with its
    concentration. Media changes are ticks below the rows; operations (replate, aggregate, plate)
    dashed vertical lines labelled with their kind.

    Args:
        protocol: A :class:`~ipscsim.protocols.Protocol`, or a preset name or file.
        ax: Axes to draw into (a new figure when ``None``).
        days: Extent of the day axis (default: the protocol's duration).
        legend: Whether to add the legend (pathways, media change, operation).

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    from ..protocols.presets import as_protocol

    protocol = as_protocol(protocol)  # a preset name or a file, as simulate takes
    if days is not None and not (is_real(days) and 0 < float(days) < math.inf):
        raise ParameterError(f"days: {days!r} must be a number of days > 0, e.g. 14")
    compounds = list(protocol.compounds)
    if ax is None:
        fig, ax = plt.subplots(
            figsize=(8, 0.45 * max(len(compounds), 2) + 1.2), layout="constrained"
        )
    else:
        fig = ax.figure
    end = float(days if days is not None else protocol.days)
    _draw_steps(ax, protocol, compounds, end)
    _draw_events(ax, protocol, len(compounds))
    ax.set_yticks(range(len(compounds)), compounds)
    ax.set_ylim(-1.0, max(len(compounds), 1) - 0.2)
    ax.invert_yaxis()
    ax.set_xlim(0, end)
    ax.set_xlabel(DAY_LABEL)
    ax.set_title(f"{protocol.name}: compounds (concentration on each bar)", fontsize=9)
    if legend:
        _protocol_legend(ax, protocol, compounds)
    return fig


def shade_windows(
    ax: Any,
    protocol: Any,
    compounds: Sequence[str] | None = None,
    *,
    alpha: float = 0.18,
    label: bool = True,
):
    """Shade a protocol's compound windows beneath what an axes shows; returns the Figure.

    Each compound gets a horizontal lane (the first compound at the top, as in
    :func:`plot_protocol`); its steps are bands over ``[start, end)`` in the compound's pathway colour,
    drawn below the data (``zorder`` 0).

    Args:
        ax: The axes of a time course (day on the x axis).
        protocol: A :class:`~ipscsim.protocols.Protocol`.
        compounds: Compounds to shade (default: all of the protocol's).
        alpha: Opacity of the bands.
        label: Write each compound's name at the start of its first window.
    """
    import matplotlib.transforms as mtransforms

    names = list(
        protocol.compounds
        if compounds is None
        else check_names("compounds", compounds, "compounds")
    )
    n = max(len(names), 1)
    blend = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    for k, name in enumerate(names):
        top, bottom = 1.0 - k / n, 1.0 - (k + 1) / n
        steps = protocol.steps_of(name)
        for s in steps:
            ax.axvspan(
                s.start,
                s.end,
                ymin=bottom,
                ymax=top,
                facecolor=compound_color(name),
                alpha=alpha,
                linewidth=0,
                zorder=0,
                label=f"_window {name}",
            )
        if label and steps:
            first = min(steps, key=lambda s: s.start)
            ax.text(
                first.start,
                (top + bottom) / 2,
                f" {name}",
                transform=blend,
                fontsize=6,
                color="0.35",
                va="center",
                zorder=0.5,
                clip_on=True,
            )
    return ax.figure
