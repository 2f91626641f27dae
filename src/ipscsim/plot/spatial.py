"""Pictures of an agent-based run: cells in space, fields, an aggregate's section."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError, is_real
from .palette import CATEGORICAL, CELL_TYPE_COLORS, KIND_COLORS

__all__ = ["cell_color_label", "plot_cells", "plot_field"]

#: Units of the numeric snapshot columns that are not gene levels.
_COLUMN_UNITS: dict[str, str] = {
    "born": "day",
    "sensitivity": "multiplier; 1 = the typical cell",
    "tempo": "multiplier; 1 = the typical cell",
    "notch_input": "Delta from neighbours, a.u.",
    "aggregate": "index",
}

#: Units of an adherent patch's fields.
_FIELD_UNITS: dict[str, str] = {
    "nodal": "EC50 units",
    "bmp_share": "share of cells",
    "density": "cells per cm²",
}


def cell_color_label(column: str) -> str:
    """The colour-bar label (with unit) of a numeric snapshot column: a gene level or a cell property."""
    if column in _COLUMN_UNITS:
        return f"{column} ({_COLUMN_UNITS[column]})"
    return f"{column} level (normalised; 1 = on)"


def _snapshot(result_or_frame: Any, day: float | None):
    if hasattr(result_or_frame, "snapshot"):
        return result_or_frame.snapshot(day)
    return result_or_frame


@dataclass
class _View:
    """The cells one picture draws, their plane coordinates and axis labels."""

    cells: Any
    x: np.ndarray
    y: np.ndarray
    xlabel: str
    ylabel: str
    title: str


def _largest(snap: Any) -> int:
    return int(snap["aggregate"].value_counts().idxmax())


def _view(snap: Any, aggregate: int | None, section: float) -> _View:
    """The cells of a patch, or the section through an aggregate's centre (``|z - z_c| <= section``)."""
    title = f"day {snap.attrs.get('day', float('nan')):g}"
    if "z" not in snap.columns:
        return _View(snap, snap["x"].to_numpy(), snap["y"].to_numpy(), "x (um)", "y (um)", title)
    g = _largest(snap) if aggregate is None else int(aggregate)
    cells = snap[snap["aggregate"] == g]
    if cells.empty:
        raise ParameterError(f"aggregate: {aggregate!r} has no cells on this day")
    centre = cells[["x", "y", "z"]].mean()
    cells = cells[np.abs(cells["z"] - centre["z"]) <= section]
    return _View(
        cells,
        (cells["x"] - centre["x"]).to_numpy(),
        (cells["y"] - centre["y"]).to_numpy(),
        "x from the aggregate's centre (um)",
        "y from the aggregate's centre (um)",
        f"{title}, aggregate {g} (section |z| <= {section:g} um)",
    )


def _categories(column: str, values: Any) -> dict[str, str]:
    """Category -> colour: the cell-type palette for identities, a fixed cycle otherwise."""
    if column == "identity":
        return CELL_TYPE_COLORS
    if column == "kind":
        return KIND_COLORS
    cats = list(values.cat.categories) if hasattr(values, "cat") else sorted(values.unique())
    return {str(c): CATEGORICAL[i % len(CATEGORICAL)] for i, c in enumerate(cats)}


def _is_categorical(column: str, cells: Any) -> bool:
    if column not in cells.columns:
        raise ParameterError(
            f"color: {column!r} is not a column of the snapshot (try 'identity', 'kind' or a gene: "
            f"{', '.join(c for c in cells.columns if c[0].isupper())})"
        )
    from pandas.api.types import is_numeric_dtype

    return column == "identity" or not is_numeric_dtype(cells[column].dtype)


def _draw(
    ax: Any,
    view: _View,
    color: str,
    size: float | None,
    cmap: str,
    norm: Any = None,
    palette: dict[str, str] | None = None,
):
    """Scatter the cells of a view; returns the mappable of a numeric colouring (else ``None``)."""
    cells = view.cells
    s = size if size is not None else max(1.0, min(30.0, 2.0e4 / max(len(cells), 1)))
    mappable = None
    if _is_categorical(color, cells):
        values = cells[color].astype(str).to_numpy()
        for name, c in (palette or _categories(color, cells[color])).items():
            sel = values == name
            if sel.any():
                ax.scatter(view.x[sel], view.y[sel], s=s, color=c, label=name, linewidths=0)
    else:
        mappable = ax.scatter(
            view.x, view.y, s=s, c=cells[color].to_numpy(), cmap=cmap, norm=norm, linewidths=0
        )
    ax.set_aspect("equal")
    ax.set_xlabel(view.xlabel)
    ax.set_ylabel(view.ylabel)
    ax.set_title(view.title, fontsize=9)
    return mappable


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
    """Cells at a snapshot day, coloured by identity, by a gene level or another column.

    On an adherent patch every cell is drawn at its position; in aggregates one aggregate is cut
    through its centre and the cells within ``section`` um of the cutting plane are drawn.

    Args:
        result: An agent-based :class:`~ipscsim.results.Result` (or a snapshot DataFrame).
        day: Snapshot day (default the last).
        color: ``"identity"`` (the cell-type palette, the same as every other plot's), ``"kind"``
            (progenitor or neuron class), or a numeric column: a gene (``"OLIG2"``, ``"NGN2"``,
            ``"HES"``, ...), ``"born"``, ``"sensitivity"``, ``"tempo"``, ``"notch_input"``, drawn
            with ``cmap`` and a colour bar.
        ax: Axes to draw on (a new figure otherwise).
        aggregate: Which aggregate to section (default the largest).
        section: Half-thickness (um) of the section through an aggregate.
        size: Marker size (default from the number of cells drawn).
        cmap: Colour map for numeric columns.

    Returns:
        The Figure.
    """
    import matplotlib.pyplot as plt

    snap = _snapshot(result, day)
    if not (is_real(section) and 0 < float(section) < math.inf):  # 0 or less drew no cell
        raise ParameterError(f"section: {section!r} must be a half-thickness in um > 0, e.g. 24")
    if size is not None and not (is_real(size) and 0 < float(size) < math.inf):
        raise ParameterError(f"size: {size!r} must be a marker size > 0, or None (automatic)")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
    else:
        fig = ax.figure
    view = _view(snap, aggregate, section)
    mappable = _draw(ax, view, color, size, cmap)
    if mappable is None:
        ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
    else:
        fig.colorbar(mappable, ax=ax, label=cell_color_label(color))
    return fig


def plot_field(
    result: Any, name: str, day: float | None = None, ax: Any = None, aggregate: int | None = None
):
    """A field at a snapshot day; returns the Figure.

    An adherent patch's field (``"nodal"``, ``"bmp_share"``, ``"density"``) is a heatmap; a compound
    inside aggregates is its share of the bulk concentration against the distance from the centre,
    one line per aggregate (or the one asked for).

    Args:
        result: An agent-based :class:`~ipscsim.results.Result`.
        name: The field (see :meth:`~ipscsim.results.Result.field`).
        day: Snapshot day (default the last).
        ax: Axes to draw on (a new figure otherwise).
        aggregate: One aggregate's profile (default all).
    """
    import matplotlib.pyplot as plt

    df = result.field(name, day, aggregate)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 4.5), layout="constrained")
    else:
        fig = ax.figure
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
        dx = x[1] - x[0] if len(x) > 1 else 1.0
        dy = y[1] - y[0] if len(y) > 1 else 1.0
        im = ax.imshow(
            df.to_numpy(),
            origin="lower",
            extent=(x[0] - dx / 2, x[-1] + dx / 2, y[0] - dy / 2, y[-1] + dy / 2),
            cmap="magma",
            aspect="equal",
        )
        unit = _FIELD_UNITS.get(name, "a.u.")
        fig.colorbar(im, ax=ax, label=f"{name} ({unit})")
        ax.set_xlabel("x (um)")
        ax.set_ylabel("y (um)")
    ax.set_title(f"{name}, day {df.attrs.get('day', day):g}", fontsize=9)
    return fig
