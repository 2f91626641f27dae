"""Time courses of a :class:`~ipscsim.results.Result`: cell types (stacked) and markers."""

from __future__ import annotations

from typing import Any

from .palette import CELL_TYPE_COLORS, MARKER_COLORS

__all__ = ["plot_fractions", "plot_markers", "plot_result"]


def plot_fractions(result: Any, ax: Any = None):
    """Stacked areas of the cell-type fractions over days; returns the Figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5)) if ax is None else (ax.figure, ax)
    fr = result.fractions
    ax.stackplot(
        fr.index.to_numpy(),
        fr.to_numpy().T,
        labels=list(fr.columns),
        colors=[CELL_TYPE_COLORS[c] for c in fr.columns],
    )
    ax.set_xlim(fr.index[0], fr.index[-1])
    ax.set_ylim(0, 1)
    ax.set_xlabel("day of differentiation (day)")
    ax.set_ylabel("fraction of live cells")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7, frameon=False)
    return fig


def plot_markers(result: Any, markers: list[str] | None = None, ax: Any = None):
    """Marker-positive fractions over days (one line per marker); returns the Figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5)) if ax is None else (ax.figure, ax)
    mk = result.markers
    for name in markers or list(mk.columns):
        ax.plot(mk.index, mk[name], label=name, color=MARKER_COLORS.get(name), linewidth=1.5)
    ax.set_xlim(mk.index[0], mk.index[-1])
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("day of differentiation (day)")
    ax.set_ylabel("fraction of live cells positive")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7, frameon=False)
    return fig


def plot_result(result: Any, *, markers: list[str] | None = None):
    """Protocol timeline, stacked cell types and markers of one result, sharing the day axis."""
    import matplotlib.pyplot as plt

    from ..protocols import Protocol
    from .timeline import plot_protocol

    protocol = Protocol.from_dict(result.meta["protocol"])
    n_comp = max(len(protocol.compounds), 2)
    fig, axes = plt.subplots(
        3,
        1,
        figsize=(9, 3 + 0.3 * n_comp + 6),
        sharex=True,
        gridspec_kw={"height_ratios": [0.3 * n_comp + 0.6, 3, 3]},
        layout="constrained",
    )
    plot_protocol(protocol, ax=axes[0], days=float(result.days[-1]))
    axes[0].set_xlabel("")
    plot_fractions(result, ax=axes[1])
    axes[1].set_xlabel("")
    plot_markers(result, markers=markers, ax=axes[2])
    axes[1].set_title(
        f"{protocol.name}: cell types ({result.meta.get('engine')} engine)", fontsize=9
    )
    return fig
