"""Sweep plots: a heatmap for two inputs, a line with spread for one, parallel coordinates for more."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError
from .labels import input_label, readout_label
from .palette import readout_color

__all__ = ["plot_sweep", "sweep_grid"]

#: Largest heatmap (cells) whose values are written in the cells.
_ANNOTATE_MAX = 64


def sweep_grid(result: Any, readout: str):
    """The readout on a two-input grid: rows the second input, columns the first (mean over repeats).

    This is the array :func:`plot_sweep` draws as a heatmap.

    Args:
        result: A :class:`~ipscsim.sweep.SweepResult` with two inputs.
        readout: A recorded readout.

    Returns:
        A DataFrame (``pivot_table`` of the successful runs).
    """
    result._check_readout(readout)
    if len(result.inputs) != 2:
        raise ParameterError(
            f"sweep_grid: the sweep has {len(result.inputs)} inputs ({', '.join(result.inputs)}); "
            "a grid needs two (plot_sweep draws any number)"
        )
    x, y = result.inputs
    return result.ok.pivot_table(index=y, columns=x, values=readout, aggfunc="mean")


def _one(ax: Any, df: Any, x: str, readout: str) -> None:
    g = df.groupby(x)[readout]
    mean, lo, hi = g.mean(), g.min(), g.max()
    colour = readout_color(readout)
    ax.plot(mean.index, mean.to_numpy(), marker="o", color=colour, label=f"{readout} (mean)")
    ax.fill_between(
        mean.index, lo.to_numpy(), hi.to_numpy(), color=colour, alpha=0.25, label="min-max"
    )
    if (g.size() > 1).any():
        ax.scatter(df[x], df[readout], s=8, color=colour, alpha=0.5, label="runs")
    ax.set_xlabel(input_label(x))
    ax.set_ylabel(readout_label(readout))
    ax.legend(frameon=False, fontsize=8)


def _two(ax: Any, fig: Any, result: Any, df: Any, readout: str) -> None:
    x, y = result.inputs
    if result.sweep.design == "grid":
        table = sweep_grid(result, readout)
        xs, ys = table.columns.to_numpy(), table.index.to_numpy()
        values = table.to_numpy()
        mesh = ax.pcolormesh(
            np.arange(len(xs) + 1),
            np.arange(len(ys) + 1),
            values,
            cmap="viridis",
            shading="flat",
        )
        ax.set_xticks(np.arange(len(xs)) + 0.5, [f"{v:g}" for v in xs])
        ax.set_yticks(np.arange(len(ys)) + 0.5, [f"{v:g}" for v in ys])
        if values.size <= _ANNOTATE_MAX and np.isfinite(values).any():
            mid = np.nanmean([np.nanmin(values), np.nanmax(values)])
            for (i, j), v in np.ndenumerate(values):
                if np.isfinite(v):
                    ax.text(
                        j + 0.5,
                        i + 0.5,
                        f"{v:.3g}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="black" if v > mid else "white",
                    )
    else:
        mesh = ax.scatter(df[x], df[y], c=df[readout], cmap="viridis", s=18)
    fig.colorbar(mesh, ax=ax, label=readout_label(readout))
    ax.set_xlabel(input_label(x))
    ax.set_ylabel(input_label(y))


def _many(ax: Any, fig: Any, result: Any, df: Any, readout: str) -> None:
    import matplotlib.pyplot as plt

    axes = [*result.inputs, readout]
    values = df[axes].to_numpy(dtype=float)
    lo, hi = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    span = hi - lo
    scaled = (values - lo) / np.where(span > 0, span, 1.0)
    colours = df[readout].to_numpy(dtype=float)
    cmap = plt.get_cmap("viridis")
    norm = plt.Normalize(np.nanmin(colours), np.nanmax(colours))
    for row, c in zip(scaled, colours, strict=True):
        ax.plot(range(len(axes)), row, color=cmap(norm(c)), alpha=0.6, linewidth=0.8)
    ax.vlines(range(len(axes)), 0, 1, color="0.3", linewidth=0.8)
    for k in range(len(axes)):
        ax.text(k, -0.04, f"{lo[k]:.3g}", ha="center", va="top", fontsize=7)
        ax.text(k, 1.04, f"{hi[k]:.3g}", ha="center", va="bottom", fontsize=7)
    names = [input_label(n) for n in result.inputs] + [readout_label(readout)]
    ax.set_xticks(range(len(axes)), [n.replace(" (", "\n(") for n in names], fontsize=7)
    ax.set_ylim(-0.15, 1.15)
    ax.set_yticks([])
    ax.set_ylabel("each axis from its min (bottom) to its max (top)")
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=readout_label(readout))


def plot_sweep(result: Any, readout: str, ax: Any = None):
    """Plot a readout of a :class:`~ipscsim.sweep.SweepResult` against its inputs; returns the Figure.

    * one input: the readout's mean over the runs at each value, with its min-max band (and the
      runs as points when a value was run more than once);
    * two inputs: a heatmap of :func:`sweep_grid` with the values written in (grid designs), or a
      scatter coloured by the readout;
    * more: parallel coordinates, one line per run through every input and the readout, coloured
      by the readout; each axis is labelled with its minimum and maximum.

    Args:
        result: A :class:`~ipscsim.sweep.SweepResult`.
        readout: A recorded readout.
        ax: Axes to draw on (a new figure otherwise).
    """
    import matplotlib.pyplot as plt

    result._check_readout(readout)
    df = result.ok
    inputs = result.inputs
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
    else:
        fig = ax.figure
    if len(inputs) == 1:
        _one(ax, df, inputs[0], readout)
    elif len(inputs) == 2:
        _two(ax, fig, result, df, readout)
    else:
        _many(ax, fig, result, df, readout)
    title = f"{result.sweep.protocol.name}: {readout} over {len(df)} runs"
    if own:
        fig.suptitle(title, fontsize=9)
    else:  # a panel of someone else's figure: title the panel, not the figure
        ax.set_title(title, fontsize=9)
    return fig
