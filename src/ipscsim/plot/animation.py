"""An agent-based run as an animation: one frame per snapshot day.

The animation is a :class:`matplotlib.animation.FuncAnimation`; building it needs no movie encoder.
In Jupyter, ``IPython.display.HTML(anim.to_jshtml())`` shows it with pure-Python frames; on disk,
``anim.save("cells.gif", writer="pillow")`` needs only Pillow (a matplotlib dependency), and
``anim.save("cells.mp4")`` needs ffmpeg.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError, is_real
from .palette import CELL_TYPE_COLORS
from .spatial import _categories, _draw, _is_categorical, _largest, _view, cell_color_label

__all__ = ["animate_cells"]


def _limits(snaps: list[Any], views: list[Any]):
    """Fixed axis limits ``((xmin, xmax), (ymin, ymax))`` covering every frame."""
    xs = np.concatenate([v.x for v in views])
    ys = np.concatenate([v.y for v in views])
    if "z" in snaps[0].columns:
        r = float(np.max(np.abs(np.concatenate([xs, ys])), initial=1.0)) * 1.05
        return ((-r, r), (-r, r))
    box = snaps[0].attrs.get("box_um")
    return (
        ((0.0, float(box[0])), (0.0, float(box[1])))
        if box
        else ((xs.min(), xs.max()), (ys.min(), ys.max()))
    )


def _color_scale(fig: Any, ax: Any, snaps: list[Any], views: list[Any], color: str, cmap: str):
    """Shared colouring of every frame: ``(norm, palette, legend handles)``, adding a colorbar."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    if _is_categorical(color, views[0].cells):
        seen = {str(c) for v in views for c in v.cells[color].unique()}
        full = CELL_TYPE_COLORS if color == "identity" else _categories(color, snaps[-1][color])
        palette = {k: c for k, c in full.items() if k in seen}
        handles = [
            Line2D([], [], marker="o", linestyle="none", color=c, label=k)
            for k, c in palette.items()
        ]
        return None, palette, handles
    values = np.concatenate([v.cells[color].to_numpy(dtype=float) for v in views])
    norm = plt.Normalize(np.nanmin(values), np.nanmax(values))
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=cell_color_label(color))
    return norm, None, None


def _draw_frame(
    ax: Any,
    view: Any,
    color: str,
    size: float,
    cmap: str,
    norm: Any,
    palette: dict[str, str] | None,
    limits: Any,
    handles: list[Any] | None,
):
    """Redraw the axes with one frame's cells on the fixed limits and legend; returns its artists."""
    ax.cla()
    _draw(ax, view, color, size, cmap, norm=norm, palette=palette)
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    if handles:
        ax.legend(
            handles=handles,
            fontsize=7,
            frameon=False,
            loc="center left",
            bbox_to_anchor=(1.01, 0.5),
        )
    return ax.collections


def animate_cells(
    result: Any,
    days: Sequence[float] | None = None,
    color: str = "identity",
    *,
    aggregate: int | None = None,
    section: float = 24.0,
    size: float | None = None,
    cmap: str = "viridis",
    interval: int = 700,
    figsize: tuple[float, float] = (5.5, 5.0),
):
    """Animate the cells of an agent-based run over its snapshot days; returns the animation.

    Each frame is :func:`~ipscsim.plot.spatial.plot_cells` at one day, on fixed axes: the same
    limits, the same colour scale (numeric columns, over every frame) or the same legend
    (categories seen on any day), so frames compare directly.

    Args:
        result: An agent-based :class:`~ipscsim.results.Result` with snapshots
            (``simulate(..., engine=ips.ABM(), record=ips.Record(snapshots=[...]))``).
        days: Snapshot days to show, in order (default: all of ``result.snapshot_days``).
        color: As in :func:`~ipscsim.plot.spatial.plot_cells`.
        aggregate: In aggregates, which one to section (default: the largest on the last day).
        section: Half-thickness (um) of the section through an aggregate.
        size: Marker size (default from the number of cells drawn).
        cmap: Colour map for numeric columns.
        interval: Milliseconds between frames.
        figsize: Figure size (inches).

    Returns:
        A :class:`matplotlib.animation.FuncAnimation` (showing the first day until played); its
        ``days`` attribute lists the frames' days. Keep a reference to it while it plays.
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    days = _frame_days(result, days, interval)
    snaps = [result.snapshot(d) for d in days]
    if aggregate is None and "z" in snaps[-1].columns:
        aggregate = _largest(snaps[-1])
    views = [_view(s, aggregate, section) for s in snaps]
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    limits = _limits(snaps, views)
    if size is None:  # one marker size for every frame, from the most crowded one
        size = max(1.0, min(30.0, 2.0e4 / max(max(len(v.cells) for v in views), 1)))
    norm, palette, handles = _color_scale(fig, ax, snaps, views, color, cmap)

    def draw(i: int):
        return _draw_frame(ax, views[i], color, size, cmap, norm, palette, limits, handles)

    draw(0)
    anim = FuncAnimation(fig, draw, frames=len(views), interval=interval, blit=False)
    anim.days = days
    return anim


def _frame_days(result: Any, days: Any, interval: Any) -> list[float]:
    """The days of the frames (``days`` or every snapshot day), the frame interval checked."""
    if not (is_real(interval) and 0 < float(interval) < math.inf):
        raise ParameterError(f"interval: {interval!r} must be milliseconds between frames > 0")
    if days is not None and (isinstance(days, str) or not hasattr(days, "__iter__")):
        raise ParameterError(f"days: {days!r} must be a list of snapshot days, e.g. [2, 4]")
    out = [float(d) for d in (result.snapshot_days if days is None else days)]
    if not out:
        raise ParameterError(
            "days: no days to show: an empty list, or a run that kept no snapshots "
            "(simulate(..., record=ips.Record(snapshots=[...])))"
        )
    return out
