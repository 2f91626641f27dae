"""Pictures of an agent-based run: cells in space, fields, an aggregate's section."""

from __future__ import annotations

from typing import Any

import numpy as np

from .palette import CELL_TYPE_COLORS

__all__ = ["plot_cells", "plot_field"]


def _snapshot(result_or_frame: Any, day: float | None):
    if hasattr(result_or_frame, "snapshot"):
        return result_or_frame.snapshot(day)
    return result_or_frame


def plot_cells(
    result: Any,
    day: float | None = None,
    color: str = "identity",
    ax: Any = None,
    aggregate: int | None = None,
    section: float = 24.0,
    size: float | None = None,
    cmap: str = "viridis",
):
    """Cells at a snapshot day, coloured by identity or by a gene level; returns the Figure.

    On an adherent patch every cell is drawn at its position; in aggregates one aggregate is cut
    through its centre and the cells within ``section`` um of the cutting plane are drawn.

    Args:
        result: An agent-based :class:`~ipscsim.results.Result` (or a snapshot DataFrame).
        day: Snapshot day (default the last).
        color: ``"identity"`` (the palette of cell types) or a gene column (``"OLIG2"``, ``"NGN2"``,
            ``"HES"``, ...), drawn with ``cmap``.
        ax: Axes to draw on (a new figure otherwise).
        aggregate: Which aggregate to section (default the largest).
        section: Half-thickness (um) of the section through an aggregate.
        size: Marker size (default from the number of cells drawn).
        cmap: Colour map for gene levels.
    """
    import matplotlib.pyplot as plt

    snap = _snapshot(result, day)
    fig, ax = plt.subplots(figsize=(5.5, 5)) if ax is None else (ax.figure, ax)
    title = f"day {snap.attrs.get('day', day):g}"
    if "z" in snap.columns:
        g = int(snap["aggregate"].value_counts().idxmax()) if aggregate is None else int(aggregate)
        cells = snap[snap["aggregate"] == g]
        if cells.empty:
            raise ValueError(f"aggregate: {aggregate!r} has no cells on this day")
        centre = cells[["x", "y", "z"]].mean()
        cells = cells[np.abs(cells["z"] - centre["z"]) <= section]
        x = cells["x"] - centre["x"]
        y = cells["y"] - centre["y"]
        title += f", aggregate {g} (section |z| <= {section:g} um)"
        xlabel, ylabel = "x from the aggregate's centre (um)", "y from the aggregate's centre (um)"
    else:
        cells = snap
        x, y = cells["x"], cells["y"]
        xlabel, ylabel = "x (um)", "y (um)"
    s = size if size is not None else max(1.0, min(30.0, 2.0e4 / max(len(cells), 1)))
    if color == "identity":
        for name, c in CELL_TYPE_COLORS.items():
            sel = (cells["identity"] == name).to_numpy()
            if sel.any():
                ax.scatter(x[sel], y[sel], s=s, color=c, label=name, linewidths=0)
        ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
    else:
        if color not in cells.columns:
            raise ValueError(
                f"color: {color!r} is not a column of the snapshot (try 'identity' or a gene)"
            )
        sc = ax.scatter(x, y, s=s, c=cells[color], cmap=cmap, linewidths=0)
        fig.colorbar(sc, ax=ax, label=f"{color} level (on-level 1)")
    ax.set_aspect("equal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    return fig


def plot_field(
    result: Any, name: str, day: float | None = None, ax: Any = None, aggregate: int | None = None
):
    """A field at a snapshot day; returns the Figure.

    An adherent patch's field (``"nodal"``, ``"bmp_share"``, ``"density"``) is a heatmap; a compound
    inside aggregates is its share of the bulk concentration against the distance from the centre,
    one line per aggregate (or the one asked for).
    """
    import matplotlib.pyplot as plt

    df = result.field(name, day, aggregate)
    fig, ax = plt.subplots(figsize=(5.5, 4.5)) if ax is None else (ax.figure, ax)
    if df.index.name == "radius_um":
        for g in df.columns:
            ax.plot(df.index, df[g], label=f"aggregate {g}", linewidth=1.2)
        ax.set_xlabel("distance from the aggregate's centre (um)")
        ax.set_ylabel(f"{name}, share of the bulk concentration")
        ax.set_ylim(0, 1.05)
        if len(df.columns) <= 8:
            ax.legend(fontsize=7, frameon=False)
    else:
        x = df.columns.to_numpy(dtype=float)
        y = df.index.to_numpy(dtype=float)
        units = {"nodal": "EC50 units", "bmp_share": "share of cells", "density": "cells per cm²"}
        im = ax.imshow(
            df.to_numpy(),
            origin="lower",
            extent=(
                x[0] - (x[1] - x[0]) / 2,
                x[-1] + (x[1] - x[0]) / 2,
                y[0] - (y[1] - y[0]) / 2,
                y[-1] + (y[1] - y[0]) / 2,
            ),
            cmap="magma",
            aspect="equal",
        )
        fig.colorbar(im, ax=ax, label=f"{name} ({units.get(name, '')})")
        ax.set_xlabel("x (um)")
        ax.set_ylabel("y (um)")
    ax.set_title(f"{name}, day {df.attrs.get('day', day):g}", fontsize=9)
    return fig
