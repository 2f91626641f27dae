"""Time courses of a :class:`~ipscsim.results.Result`: cell types (stacked), markers, counts, factors.

The line panels shade the protocol's compound windows beneath the curves
(:func:`~ipscsim.plot.timeline.shade_windows`); the stacked cell types fill their panel, so
:func:`plot_result` draws the protocol's timeline above them instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import ParameterError
from .labels import DAY_LABEL
from .palette import CELL_TYPE_COLORS, FACTOR_COLORS, MARKER_COLORS
from .timeline import plot_protocol, shade_windows

__all__ = [
    "DEFAULT_MARKERS",
    "PANELS",
    "plot_composition",
    "plot_counts",
    "plot_factors",
    "plot_fractions",
    "plot_markers",
    "plot_result",
]

#: Panels :func:`plot_result` can draw, top to bottom in this order.
PANELS: tuple[str, ...] = ("timeline", "fractions", "markers", "counts", "factors")
#: The markers a results figure draws unless told: the route to motor neurons (pluripotency, neural
#: induction, caudal identity, ventral progenitors, motor neurons), in colours at least 30 CIELAB
#: units apart. ``markers=`` draws others (all of them: ``list(result.markers.columns)``).
DEFAULT_MARKERS: tuple[str, ...] = ("OCT4", "PAX6", "SOX1", "HOX", "OLIG2", "NKX2.2", "ISL1",
                                    "MNX1", "CHAT")  # fmt: skip
#: The note over each shaded panel of a results figure: what its shaded boxes are.
SHADING_NOTE = (
    "shaded boxes: the protocol's compound windows, one lane per compound in the timeline's order, "
    "coloured by pathway"
)
#: Cell types below this share of the last day are pooled in the composition bar.
COMPOSITION_FLOOR = 0.005


def _axes(ax: Any, figsize: tuple[float, float] = (8, 3.5)):
    import matplotlib.pyplot as plt

    if ax is None:
        return plt.subplots(figsize=figsize, layout="constrained")
    return ax.figure, ax


def _protocol_of(result: Any):
    """The protocol a result was simulated with (``None`` when its metadata lacks it)."""
    from ..protocols import Protocol

    data = getattr(result, "meta", {}).get("protocol")
    return Protocol.from_dict(data) if data else None


def _shade(ax: Any, result: Any, shade: bool, label: bool = True) -> None:
    protocol = _protocol_of(result) if shade else None
    if protocol is not None and protocol.steps:
        shade_windows(ax, protocol, label=label)


def _legend(ax: Any) -> None:
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7, frameon=False)


#: The central interval drawn as a band around a line when a result carries an ensemble.
BAND_LEVEL = 0.9


def _bands(result: Any, kind: str) -> Any:
    """The ensemble's central :data:`BAND_LEVEL` interval of ``kind`` (``None`` without an ensemble)."""
    ens = getattr(result, "uncertainty", None)
    return None if ens is None else ens.interval(kind, BAND_LEVEL)


def _band(ax: Any, bands: Any, name: str, color: Any) -> None:
    if bands is not None:
        lo, hi = bands
        ax.fill_between(lo.index, lo[name], hi[name], color=color, alpha=0.2, linewidth=0)


def plot_fractions(result: Any, ax: Any = None):
    """Stacked areas of the cell-type fractions over days; returns the Figure.

    The areas stack in the order of :data:`~ipscsim.model.readouts.CELL_TYPES`, each in its fixed
    colour (:data:`~ipscsim.plot.palette.CELL_TYPE_COLORS`); their top edge is 1 on every day.

    Args:
        result: A :class:`~ipscsim.results.Result`.
        ax: Axes to draw on (a new figure otherwise).
    """
    fig, ax = _axes(ax)
    fr = result.fractions
    ax.stackplot(
        fr.index.to_numpy(),
        fr.to_numpy().T,
        labels=list(fr.columns),
        colors=[CELL_TYPE_COLORS[c] for c in fr.columns],
    )
    ax.set_xlim(fr.index[0], fr.index[-1])
    ax.set_ylim(0, 1)
    ax.set_xlabel(DAY_LABEL)
    ax.set_ylabel("fraction of live cells")
    _legend(ax)
    return fig


def _known(field: str, names: Any, known: Sequence[str]) -> list[str]:
    """``names`` (a list, or one name, not its letters) checked against ``known``.

    Raises:
        ParameterError: naming the first unknown name with the nearest known ones.
    """
    from ..errors import ParameterError, check_names, suggest

    chosen = check_names(field, names, "names")
    bad = [n for n in chosen if n not in known]
    if not chosen:
        raise ParameterError(f"{field}: an empty list; give at least one of {', '.join(known)}")
    if bad:
        raise ParameterError(
            f"{field}: {bad[0]!r} is unknown{suggest(bad[0], known)}; choose from {', '.join(known)}"
        )
    return chosen


def plot_markers(
    result: Any, markers: Sequence[str] | None = None, ax: Any = None, *, shade: bool = True
):
    """Marker-positive fractions over days (one line per marker); returns the Figure.

    Args:
        result: A :class:`~ipscsim.results.Result`.
        markers: Markers to draw (default: :data:`DEFAULT_MARKERS`).
        ax: Axes to draw on (a new figure otherwise).
        shade: Shade the protocol's compound windows beneath the lines.

    A result with an ensemble (``simulate(..., uncertainty=n)``) gets a band per marker: the central
    90% of the draws (:data:`BAND_LEVEL`).
    """
    fig, ax = _axes(ax)
    mk = result.markers
    bands = _bands(result, "markers")
    for name in _known("markers", markers, mk.columns) if markers is not None else DEFAULT_MARKERS:
        ax.plot(mk.index, mk[name], label=name, color=MARKER_COLORS.get(name), linewidth=1.5)
        _band(ax, bands, name, MARKER_COLORS.get(name))
    _shade(ax, result, shade)
    ax.set_xlim(mk.index[0], mk.index[-1])
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(DAY_LABEL)
    ax.set_ylabel("fraction of live cells positive")
    _legend(ax)
    return fig


def plot_counts(
    result: Any,
    cell_types: Sequence[str] | None = None,
    ax: Any = None,
    *,
    total: bool = True,
    shade: bool = True,
):
    """Cells per well of each type over days (log scale), with the total; returns the Figure.

    Cell types never reaching one cell per well are left out; the axis starts at one cell.

    Args:
        result: A :class:`~ipscsim.results.Result`.
        cell_types: Cell types to draw (default: every type that reaches one cell per well).
        ax: Axes to draw on (a new figure otherwise).
        total: Also draw the total (black, dashed).
        shade: Shade the protocol's compound windows beneath the lines.

    With an ensemble, each line gets a band: the central 90% of the draws (:data:`BAND_LEVEL`).
    """
    fig, ax = _axes(ax)
    counts = result.counts
    bands = _bands(result, "counts")
    names = (
        _known("cell_types", cell_types, [c for c in counts.columns if c != "total"])
        if cell_types is not None
        else [c for c in counts.columns if c != "total" and counts[c].max() >= 1.0]
    )
    for name in names:
        ax.plot(counts.index, counts[name], label=name, color=CELL_TYPE_COLORS[name], linewidth=1.5)
        _band(ax, bands, name, CELL_TYPE_COLORS[name])
    if total:
        ax.plot(
            counts.index, counts["total"], label="total", color="black", linestyle="--", linewidth=1
        )
        _band(ax, bands, "total", "black")
    _shade(ax, result, shade)
    ax.set_yscale("log")
    top = (
        float(counts[[*names, *(["total"] if total else [])]].max().max()) if names or total else 1
    )
    ax.set_ylim(1.0, max(top, 1.0) * 3.0)
    ax.set_xlim(counts.index[0], counts.index[-1])
    ax.set_xlabel(DAY_LABEL)
    ax.set_ylabel("cells per well")
    _legend(ax)
    return fig


def plot_factors(
    result: Any,
    factors: Sequence[str] | None = None,
    unit: str = "pM",
    ax: Any = None,
    *,
    shade: bool = True,
):
    """Secreted and added factors in the well's medium over days (:attr:`Result.factors`).

    Args:
        result: A :class:`~ipscsim.results.Result`.
        factors: Factors to draw (default: every factor present at some day).
        unit: ``"pM"`` or ``"ng/ml"``.
        ax: Axes to draw on (a new figure otherwise).
        shade: Shade the protocol's compound windows beneath the lines (media changes show as
            the saw-tooth of the curves).

    Returns:
        The Figure.
    """
    if unit not in ("pM", "ng/ml"):
        raise ParameterError(f"unit: {unit!r} must be 'pM' or 'ng/ml'")
    fig, ax = _axes(ax)
    table = result.factors.xs(unit, axis=1, level="unit")
    names = (
        _known("factors", factors, list(table.columns))
        if factors is not None
        else [f for f in table.columns if table[f].max() > 0]
    )
    for name in names:
        ax.plot(table.index, table[name], label=name, color=FACTOR_COLORS.get(name), linewidth=1.5)
    _shade(ax, result, shade)
    ax.set_xlim(table.index[0], table.index[-1])
    ax.set_ylim(bottom=0)
    ax.set_xlabel(DAY_LABEL)
    ax.set_ylabel(f"concentration in the medium ({unit})")
    if names:
        _legend(ax)
    return fig


def _panel_axes(chosen: list[str], protocol: Any):
    """A figure with one row per chosen panel sharing the day axis, and the composition bar.

    Returns the figure, the panels' axes and the axes of the last day's composition (beside the
    fractions panel; ``None`` without it).
    """
    import matplotlib.pyplot as plt

    n_comp = max(len(protocol.compounds), 2) if protocol is not None else 2
    heights = [0.3 * n_comp + 0.6 if p == "timeline" else 3.0 for p in chosen]
    fig = plt.figure(figsize=(11, sum(heights) + 0.6 * len(chosen)), layout="constrained")
    grid = fig.add_gridspec(len(chosen), 2, height_ratios=heights, width_ratios=[4.0, 1.3])
    axes: list[Any] = []
    for i in range(len(chosen)):
        axes.append(fig.add_subplot(grid[i, 0], sharex=axes[0] if axes else None))
    bar = fig.add_subplot(grid[chosen.index("fractions"), 1]) if "fractions" in chosen else None
    return fig, axes, bar


#: A cell type is named on the stacked areas where its band is at least this thick.
LABEL_THICKNESS = 0.08


def _label_areas(ax: Any, fr: Any) -> None:
    """Name each cell type on its stacked band, where the band is thickest (if thick enough)."""
    import numpy as np
    from matplotlib.colors import to_rgb

    values = fr.to_numpy()
    tops = np.cumsum(values, axis=1)
    days = fr.index.to_numpy(dtype=float)
    margin = 0.07 * (days[-1] - days[0])  # keep names off the panel's edges
    inner = (days >= days[0] + margin) & (days <= days[-1] - margin)
    for j, name in enumerate(fr.columns):
        i = int(np.argmax(np.where(inner, values[:, j], -1.0)))
        if values[i, j] < LABEL_THICKNESS:
            continue
        r, g, b = to_rgb(CELL_TYPE_COLORS[name])
        dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
        ax.text(fr.index[i], tops[i, j] - values[i, j] / 2, name, ha="center", va="center",
                fontsize=7, color="white" if dark else "black", clip_on=True)  # fmt: skip


def plot_composition(result: Any, ax: Any = None, *, published: bool = True):
    """The last day's composition as horizontal bars, largest first, with published intervals.

    Cell types under :data:`COMPOSITION_FLOOR` are pooled into one bar. For a preset, a published
    cell-type outcome on (or within a day of) the last day is drawn over its bar: the reported
    interval as a black line, the value as a dot.

    Args:
        result: A :class:`~ipscsim.results.Result`.
        ax: Axes to draw on (a new figure otherwise).
        published: Overlay the protocol's published cell-type outcomes.
    """
    fig, ax = _axes(ax, (3.5, 3.5))
    last = result.fractions.iloc[-1].sort_values()
    small = last[last < COMPOSITION_FLOOR]
    shown = last[last >= COMPOSITION_FLOOR]
    names, values = list(shown.index), list(shown.to_numpy())
    colors = [CELL_TYPE_COLORS[n] for n in names]
    if len(small):
        names, values = [f"{len(small)} others", *names], [float(small.sum()), *values]
        colors = ["#FFFFFF", *colors]
    ax.barh(range(len(names)), values, color=colors, edgecolor="#555555", linewidth=0.5)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    for i, v in enumerate(values):
        inside = v > 0.7
        ax.text(0.03 if inside else v + 0.02, i, f"{100 * v:.1f}%", va="center", fontsize=7,
                color="white" if inside else "black")  # fmt: skip
    ax.set_xlim(0, 1.05)
    ax.set_xlabel(f"fraction of live cells (day {float(result.days[-1]):g})", fontsize=8)
    protocol = _protocol_of(result)
    if published and protocol is not None:
        _published_composition(ax, protocol.name, names, float(result.days[-1]))
    return fig


def _published_composition(ax: Any, protocol: str, names: list[str], day: float) -> None:
    """Draw published last-day cell-type outcomes of ``protocol`` over their bars."""
    from ..validation.targets import outcome_targets

    for t in outcome_targets():
        if t.protocol != protocol or t.readout not in names or abs(t.day - day) > 1.0:
            continue
        i = names.index(t.readout)
        if t.relation == "in":
            ax.plot([t.low, t.high], [i, i], color="black", linewidth=2.5, solid_capstyle="butt")
        ax.plot([t.value], [i], "o", color="black", markersize=4)
        ax.annotate("published", (t.value, i), xytext=(0, 6), textcoords="offset points",
                    fontsize=6, ha="center")  # fmt: skip


def _draw_panel(
    ax: Any,
    panel: str,
    result: Any,
    protocol: Any,
    markers: Sequence[str] | None,
    published: bool,
) -> None:
    """Draw one of :data:`PANELS` of :func:`plot_result` onto its axes (without shading)."""
    if panel == "timeline":
        plot_protocol(protocol, ax=ax, days=float(result.days[-1]))
        ax.set_title(f"{protocol.name} ({result.meta.get('engine')} engine): compounds", fontsize=9)
    elif panel == "fractions":
        plot_fractions(result, ax=ax)
        ax.get_legend().remove()  # named on the areas, and in the composition bar beside them
        _label_areas(ax, result.fractions)
    elif panel == "markers":
        plot_markers(result, markers=markers, ax=ax, shade=False)
        if published and protocol is not None:
            from .compare import overlay_published

            if overlay_published(
                ax, protocol.name, list(markers or DEFAULT_MARKERS), known_only=False
            ):
                _legend(ax)
    elif panel == "counts":
        plot_counts(result, ax=ax, shade=False)
    else:
        plot_factors(result, ax=ax, shade=False)


def plot_result(
    result: Any,
    *,
    markers: Sequence[str] | None = None,
    panels: Sequence[str] = ("timeline", "fractions", "markers"),
    published: bool = True,
):
    """Time courses of one result over its protocol's timeline, sharing the day axis.

    Args:
        result: A :class:`~ipscsim.results.Result`.
        markers: Markers of the markers panel (default: all).
        panels: Which of :data:`PANELS` to draw, top to bottom in that order (``"counts"`` and
            ``"factors"`` add cells per well and the medium's factors).
        published: Overlay the protocol's published marker outcomes on the markers panel
            (``data/published_outcomes.csv``; see :func:`~ipscsim.plot.compare.overlay_published`).
            Cell-type outcomes are not drawn on the stacked panel, where a height is not a
            fraction; :func:`~ipscsim.plot.compare.plot_comparison` shows them.

    Returns:
        The Figure; its axes are the panels in :data:`PANELS` order.
    """
    panels = _known("panels", panels, PANELS)
    chosen = [p for p in PANELS if p in panels]
    protocol = _protocol_of(result)
    if protocol is None:
        chosen = [p for p in chosen if p != "timeline"]
    fig, axes, bar = _panel_axes(chosen, protocol)
    for ax, panel in zip(axes, chosen, strict=True):
        _draw_panel(ax, panel, result, protocol, markers, published)
        if panel != "timeline" and protocol is not None and panel != "fractions":
            shade_windows(ax, protocol, label="timeline" not in chosen)
            ax.set_title(SHADING_NOTE, fontsize=7, loc="left")
    if bar is not None:
        plot_composition(result, ax=bar, published=published)
    for ax in axes[:-1]:
        ax.set_xlabel("")
    axes[-1].set_xlim(float(result.days[0]), float(result.days[-1]))
    return fig
