"""Comparisons: several protocols or cell lines on one figure, with the published points overlaid.

A published outcome (``data/published_outcomes.csv``, or any validation table) is drawn at its day and
value: ``^`` for "at least", ``v`` for "at most", ``o`` for "about" (with its tolerance as an error
bar), in black, labelled with the target's id.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..errors import ParameterError, suggest
from .labels import DAY_LABEL, readout_unit
from .palette import readout_color

__all__ = ["overlay_published", "plot_comparison"]

#: Marker of each relation of a published outcome.
RELATION_MARKERS: dict[str, str] = {">=": "^", "<=": "v", "~": "o", "in": "s"}

_STYLES = ("-", "--", ":", "-.")
_POINTS = (None, "o", "s", "D", "^", "v")


def _name(result: Any) -> str:
    return str(result.meta.get("protocol", {}).get("name", "run"))


def _label(result: Any) -> str:
    line = result.meta.get("line")
    genotype = result.meta.get("genotype")
    parts = [_name(result)]
    if line is not None:
        parts.append(f"line {line}")
    if genotype not in (None, "control"):
        parts.append(str(genotype))
    return ", ".join(parts)


def _table_of(result: Any, readout: str):
    fr, mk = result.fractions, result.markers
    if readout in fr.columns:
        return fr
    if readout in mk.columns:
        return mk
    raise ParameterError(
        f"readout: {readout!r} is neither a cell type ({', '.join(fr.columns)}) nor a marker "
        f"({', '.join(mk.columns)})"
    )


def _drawable(t: Any, protocols: list[str], readouts: list[str]) -> bool:
    """Whether a target is an unperturbed outcome of these protocols and readouts that has a point.

    An onset window (``onset:<readout>`` with ``in``) is drawable on its readout's axes.
    """
    if t.kind != "outcome" or t.perturbation or t.protocol not in protocols:
        return False
    if t.readout.startswith("onset:") and t.relation == "in":
        return t.readout.split(":", 1)[1] in readouts
    return t.readout in readouts and math.isfinite(t.day) and math.isfinite(t.value)


def _draw_target(ax: Any, t: Any, labelled: set[str], annotate: bool) -> None:
    """Draw one published outcome as an errorbar point, labelling its kind once.

    An onset window (``onset:<readout>``, ``in``) is a horizontal bar at the onset level over its
    days; any other outcome a point at its day with its interval or tolerance.
    """
    from ..model.readouts import ONSET_LEVEL

    err: dict[str, Any] = {}
    if t.readout.startswith("onset:"):
        x, y, marker = t.value, ONSET_LEVEL, "|"
        label = f"published onset window (days to {ONSET_LEVEL:.0%} of cells)"
        err["xerr"] = [[t.value - t.low], [t.high - t.value]]
        text = f"{t.id} {t.protocol}: {t.readout} day {t.low:g}-{t.high:g}"
    else:
        words = {">=": "at least", "<=": "at most", "~": "about", "in": "with its interval"}
        x, y, marker = t.day, t.value, RELATION_MARKERS[t.relation]
        label = f"published ({words[t.relation]})"
        if t.relation == "in":  # the interval, which need not be centred on the value
            err["yerr"] = [[t.value - t.low], [t.high - t.value]]
        elif t.relation == "~":
            err["yerr"] = [t.tolerance]
        bound = f"{t.low:g}-{t.high:g}" if t.relation == "in" else f"{t.relation} {t.value:g}"
        text = f"{t.id} {t.protocol}: {t.readout} {bound}"
    bar = ax.errorbar(
        [x], [y], **err, marker=marker, markersize=8, color="black", linestyle="none",
        capsize=3, zorder=5, label=None if label in labelled else label,
    )  # fmt: skip
    bar.lines[0].set_gid(f"published {t.id}")
    labelled.add(label)
    if annotate:
        ax.annotate(text, (x, y), fontsize=7, xytext=(5, 4), textcoords="offset points")


def overlay_published(
    ax: Any,
    protocols: str | Sequence[str],
    readouts: str | Sequence[str],
    targets: Sequence[Any] | None = None,
    *,
    annotate: bool = True,
    known_only: bool = True,
) -> list[Any]:
    """Draw the published outcomes of protocols for readouts onto an axes.

    Only unperturbed outcomes with a day are drawn (directions compare two runs and have no point),
    and onset windows (``onset:<readout>``, relation ``in``) as a bar at the onset level (0.10)
    over the window's days.

    Args:
        ax: Axes whose x axis is the day of differentiation and y axis the readout's value.
        protocols: Protocol names (a target's ``protocol`` column).
        readouts: Readouts (cell types, markers, or summary fields) to draw.
        targets: Targets to draw from (default:
            :func:`~ipscsim.validation.outcome_targets`, ``data/published_outcomes.csv``).
        annotate: Label each point with its id, relation and value.
        known_only: Refuse a protocol name that is neither a preset nor in ``targets`` (a misspelt
            name drew nothing); ``False`` draws nothing for it (a user's own protocol).

    Returns:
        The targets drawn, in order. Each is one errorbar container on the axes whose Line2D has
        ``gid`` ``"published <id>"``; the legend has one entry per relation.
    """
    from ..protocols import names as preset_names
    from ..validation.targets import _check_readout, outcome_targets

    protocols = [protocols] if isinstance(protocols, str) else list(protocols)
    readouts = [readouts] if isinstance(readouts, str) else list(readouts)
    pool = outcome_targets() if targets is None else targets
    known = {*preset_names(), *(t.protocol for t in pool)}
    for name in protocols if known_only else ():  # a misspelt name drew nothing, silently
        if name not in known:
            raise ParameterError(f"protocols: {name!r} is unknown{suggest(str(name), known)}")
    for r in readouts:
        _check_readout(r, "readouts")
    drawn = []
    labelled = set(ax.get_legend_handles_labels()[1])
    for t in pool:
        if not _drawable(t, protocols, readouts):
            continue
        _draw_target(ax, t, labelled, annotate)
        drawn.append(t)
    return drawn


def _plot_spread(ax: Any, results: list[Any], readout: str) -> None:
    """Draw a readout of every result as a thin line, with their median in bold."""
    import numpy as np

    colour = readout_color(readout)
    tables = [_table_of(r, readout)[readout] for r in results]
    for s in tables:
        ax.plot(s.index, s.to_numpy(), color=colour, alpha=0.35, linewidth=0.7)
    days = tables[0].index.to_numpy()
    if all(len(s) == len(days) and np.allclose(s.index, days) for s in tables):
        median = np.median(np.vstack([s.to_numpy() for s in tables]), axis=0)
        ax.plot(
            days,
            median,
            color=colour,
            linewidth=2.2,
            label=f"{readout}: median of {len(results)}",
        )


def _plot_each(ax: Any, results: list[Any], labels: list[str], readout: str, prefix: bool) -> None:
    """Draw a readout of each result in its own line style and point, labelled per result."""
    colour = readout_color(readout)
    for i, (r, lab) in enumerate(zip(results, labels, strict=True)):
        s = _table_of(r, readout)[readout]
        ax.plot(
            s.index,
            s.to_numpy(),
            color=colour,
            linestyle=_STYLES[i % len(_STYLES)],
            marker=_POINTS[(i // len(_STYLES)) % len(_POINTS)],
            markevery=max(len(s) // 8, 1),
            markersize=4,
            linewidth=1.6,
            label=f"{readout}, {lab}" if prefix else lab,
        )


def _finish_comparison(ax: Any, readouts: list[str], n_results: int) -> None:
    """Label the comparison's axes, set its limits and title, and add the legend."""
    units = {readout_unit(r) for r in readouts}
    unit = units.pop() if len(units) == 1 else "fraction of live cells, of the type or positive"
    ax.set_ylabel(f"{', '.join(readouts)} ({unit})")
    ax.set_xlabel(DAY_LABEL)
    ax.set_ylim(0, 1.05)
    ax.set_title(
        f"{', '.join(readouts)} in {n_results} runs (black: published; ^ at least, v at most, "
        "o about)",
        fontsize=9,
    )
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7, frameon=False)


def plot_comparison(
    results: Sequence[Any],
    readouts: str | Sequence[str] = "MN",
    labels: Sequence[str] | None = None,
    ax: Any = None,
    *,
    published: bool | Sequence[Any] = True,
    spread_above: int = 6,
):
    """One or more readouts of several results (protocols, cell lines, genotypes) against day.

    Colour says which cell type or marker (the fixed palette); line style and point say which
    result. Above ``spread_above`` results (a panel of cell lines, say) each readout is drawn as
    thin lines with the median over results in bold, without a legend entry per result.

    Args:
        results: :class:`~ipscsim.results.Result` objects.
        readouts: Cell types and/or markers (``"MN"``, ``["pMN", "MN"]``, ``"OLIG2"``).
        labels: One label per result (default: protocol name, line and genotype).
        ax: Axes to draw on (a new figure otherwise).
        published: Overlay the published outcomes of the results' protocols (``True``: from
            ``data/published_outcomes.csv``; or a sequence of targets, e.g. ``fact_targets()``).
        spread_above: Number of results above which they are drawn as a spread.

    Returns:
        The Figure.
    """
    import matplotlib.pyplot as plt

    results = list(results)
    if not results:
        raise ParameterError("results: give at least one Result")
    readouts = [readouts] if isinstance(readouts, str) else list(readouts)
    if labels is not None and len(labels) != len(results):
        raise ParameterError(f"labels: {len(labels)} labels for {len(results)} results")
    labels = list(labels) if labels is not None else [_label(r) for r in results]
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    else:
        fig = ax.figure
    spread = len(results) > spread_above
    for readout in readouts:
        if spread:
            _plot_spread(ax, results, readout)
        else:
            _plot_each(ax, results, labels, readout, len(readouts) > 1)
    if published is not False:
        targets = None if published is True else list(published)
        overlay_published(
            ax, sorted({_name(r) for r in results}), readouts, targets, annotate=not spread,
            known_only=False,
        )  # fmt: skip
    _finish_comparison(ax, readouts, len(results))
    return fig
