"""Sensitivity plots: index bars with confidence intervals, and indices over days."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_sensitivity"]


def plot_sensitivity(result: Any, readout: str | None = None, ax: Any = None):
    """Plot a :class:`~ipscsim.sweep.sensitivity.SensitivityResult`; returns the Figure.

    Sobol: first-order (S1) and total (ST) indices per parameter with 95% intervals; Morris: mu* with
    its interval against sigma. With several days, the indices are drawn against day, one line per
    parameter (ST solid, S1 dashed; mu* for Morris).
    """
    import matplotlib.pyplot as plt

    df = result.indices
    readout = readout or df["readout"].iloc[0]
    df = df[df["readout"] == readout]
    fig, ax = plt.subplots(figsize=(6.5, 4)) if ax is None else (ax.figure, ax)
    days = df["day"].dropna().unique()
    if len(days) > 1:
        for j, (name, g) in enumerate(df.groupby("parameter", sort=False)):
            colour = plt.get_cmap("tab10")(j % 10)
            if result.method == "sobol":
                ax.plot(g["day"], g["ST"], color=colour, label=f"{name} ST")
                ax.plot(g["day"], g["S1"], color=colour, linestyle="--", label=f"{name} S1")
            else:
                ax.plot(g["day"], g["mu_star"], color=colour, label=f"{name} mu*")
        ax.set_xlabel("day of differentiation (day)")
        ax.set_ylabel("Sobol index" if result.method == "sobol" else "mu* (readout units)")
        ax.legend(fontsize=7, frameon=False, ncol=2)
    elif result.method == "sobol":
        x = np.arange(len(df))
        ax.bar(
            x - 0.2,
            df["S1"],
            0.4,
            yerr=df["S1_conf"],
            capsize=3,
            label="S1 (first order)",
            color="#88CCEE",
        )
        ax.bar(
            x + 0.2,
            df["ST"],
            0.4,
            yerr=df["ST_conf"],
            capsize=3,
            label="ST (total)",
            color="#CC6677",
        )
        ax.set_xticks(x, df["parameter"], rotation=20)
        ax.set_ylabel("Sobol index (share of variance)")
        ax.legend(frameon=False)
    else:
        ax.errorbar(df["mu_star"], df["sigma"], xerr=df["mu_star_conf"], fmt="o", color="#117733")
        for _, row in df.iterrows():
            ax.annotate(row["parameter"], (row["mu_star"], row["sigma"]), fontsize=8)
        ax.set_xlabel("mu* (mean |elementary effect|, readout units)")
        ax.set_ylabel("sigma (spread of elementary effects)")
    ax.set_title(f"{result.method} sensitivity of {readout}", fontsize=9)
    return fig
