"""Sweep plots: a heatmap for two inputs, a line with spread for one, parallel coordinates for more."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_sweep"]


def plot_sweep(result: Any, readout: str, ax: Any = None):
    """Plot a readout of a :class:`~ipscsim.sweep.SweepResult` against its inputs; returns the Figure.

    * one input: the readout's mean over the other runs at each value, with its min-max band;
    * two inputs: a heatmap (grid designs) or a scatter coloured by the readout;
    * more: parallel coordinates, one line per run coloured by the readout.
    """
    import matplotlib.pyplot as plt

    df = result.ok
    inputs = result.inputs
    fig, ax = plt.subplots(figsize=(6.5, 4.5)) if ax is None else (ax.figure, ax)
    if len(inputs) == 1:
        x = inputs[0]
        g = df.groupby(x)[readout]
        mean, lo, hi = g.mean(), g.min(), g.max()
        ax.plot(mean.index, mean.to_numpy(), marker="o", color="#CC6677", label=f"{readout} (mean)")
        ax.fill_between(
            mean.index, lo.to_numpy(), hi.to_numpy(), color="#CC6677", alpha=0.25, label="min-max"
        )
        ax.set_xlabel(x)
        ax.set_ylabel(readout)
        ax.legend(frameon=False)
    elif len(inputs) == 2:
        x, y = inputs
        if result.sweep.design == "grid":
            table = df.pivot_table(index=y, columns=x, values=readout, aggfunc="mean")
            xs, ys = table.columns.to_numpy(), table.index.to_numpy()
            mesh = ax.pcolormesh(
                np.arange(len(xs) + 1),
                np.arange(len(ys) + 1),
                table.to_numpy(),
                cmap="viridis",
                shading="flat",
            )
            ax.set_xticks(np.arange(len(xs)) + 0.5, [f"{v:g}" for v in xs])
            ax.set_yticks(np.arange(len(ys)) + 0.5, [f"{v:g}" for v in ys])
        else:
            mesh = ax.scatter(df[x], df[y], c=df[readout], cmap="viridis", s=18)
        fig.colorbar(mesh, ax=ax, label=readout)
        ax.set_xlabel(x)
        ax.set_ylabel(y)
    else:
        values = df[inputs].to_numpy(dtype=float)
        span = np.ptp(values, axis=0)
        scaled = (values - values.min(axis=0)) / np.where(span > 0, span, 1.0)
        colours = df[readout].to_numpy()
        cmap = plt.get_cmap("viridis")
        norm = plt.Normalize(np.nanmin(colours), np.nanmax(colours))
        for row, c in zip(scaled, colours, strict=True):
            ax.plot(range(len(inputs)), row, color=cmap(norm(c)), alpha=0.5, linewidth=0.8)
        ax.set_xticks(range(len(inputs)), inputs, rotation=20)
        ax.set_ylabel("input, scaled to its range (0-1)")
        fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=readout)
    ax.set_title(f"{result.sweep.protocol.name}: {readout} over {len(df)} runs", fontsize=9)
    return fig
