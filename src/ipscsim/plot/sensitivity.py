"""Sensitivity plots: index bars with confidence intervals, and indices over days."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError
from .labels import DAY_LABEL, readout_unit
from .palette import CATEGORICAL

__all__ = ["plot_sensitivity"]

#: Colours of the two Sobol indices and of Morris' mu* and sigma.
_INDEX_COLORS = {"S1": "#4477AA", "ST": "#EE6677", "mu_star": "#228833", "sigma": "#CCBB44"}


def _floats(df: Any, cols: tuple[str, ...]) -> Any:
    """The index columns as floats (SALib may hand back masked arrays, stored as objects)."""
    df = df.copy()
    for c in cols:
        if c in df.columns:
            df[c] = df[c].to_numpy(dtype=float)
    return df


_INDEX_COLUMNS = ("S1", "S1_conf", "ST", "ST_conf", "mu", "mu_star", "mu_star_conf", "sigma")


def _bars(ax: Any, df: Any, method: str, unit: str) -> None:
    x = np.arange(len(df))
    if method == "sobol":
        pairs = (("S1", "S1 (first order)"), ("ST", "ST (total)"))
        ylabel = "Sobol index (share of the readout's variance)"
    else:
        pairs = (("mu_star", "mu* (mean |elementary effect|)"), ("sigma", "sigma (their spread)"))
        ylabel = f"elementary effect\n({unit or 'readout units'} per input range)"
    for k, (col, label) in enumerate(pairs):
        conf = df.get(f"{col}_conf")
        ax.bar(
            x + (k - 0.5) * 0.4,
            df[col],
            0.4,
            yerr=None if conf is None else conf.to_numpy(),
            capsize=3,
            label=label,
            color=_INDEX_COLORS[col],
        )
    ax.set_xticks(x, df["parameter"], rotation=20)
    ax.set_xlabel("input")
    ax.set_ylabel(ylabel)
    ax.axhline(0, color="0.3", linewidth=0.6)
    ax.legend(frameon=False, fontsize=8, title="bars: 95% confidence intervals", title_fontsize=7)


def _scatter(ax: Any, df: Any, unit: str) -> None:
    ax.errorbar(
        df["mu_star"].to_numpy(),
        df["sigma"].to_numpy(),
        xerr=df["mu_star_conf"].to_numpy(),
        fmt="o",
        color=_INDEX_COLORS["mu_star"],
    )
    for _, row in df.iterrows():
        ax.annotate(row["parameter"], (row["mu_star"], row["sigma"]), fontsize=8)
    u = unit or "readout units"
    ax.set_xlabel(f"mu*, mean |elementary effect| ({u} per input range)")
    ax.set_ylabel(f"sigma, spread of elementary effects ({u} per input range)")


def _over_days(ax: Any, df: Any, method: str, unit: str) -> None:
    cols = ("ST", "S1") if method == "sobol" else ("mu_star",)
    for j, (name, g) in enumerate(df.groupby("parameter", sort=False)):
        colour = CATEGORICAL[j % len(CATEGORICAL)]
        g = g.sort_values("day")
        for col, style in zip(cols, ("-", "--"), strict=False):
            ax.plot(
                g["day"], g[col], color=colour, linestyle=style, marker="o", label=f"{name} {col}"
            )
            conf = g.get(f"{col}_conf")
            if conf is not None:
                ax.fill_between(
                    g["day"], g[col] - conf, g[col] + conf, color=colour, alpha=0.12, linewidth=0
                )
    ax.set_xlabel(DAY_LABEL)
    ax.set_ylabel(
        "Sobol index (share of the readout's variance)"
        if method == "sobol"
        else f"mu*\n({unit or 'readout units'} per input range)"
    )
    ax.legend(fontsize=7, frameon=False, ncol=2, title="bands: 95% confidence", title_fontsize=7)


def plot_sensitivity(result: Any, readout: str | None = None, ax: Any = None, kind: str = "auto"):
    """Plot a :class:`~ipscsim.sweep.sensitivity.SensitivityResult`; returns the Figure.

    Args:
        result: The sensitivity result.
        readout: Which readout (default the first analysed).
        ax: Axes to draw on (a new figure otherwise).
        kind: ``"bars"``: per parameter, Sobol first-order (S1) and total (ST) indices, or Morris
            mu* and sigma, with 95% confidence intervals (at one day: the first if several);
            ``"days"``: the indices against day, one colour per parameter (ST solid, S1 dashed;
            Morris mu*), with 95% bands; ``"scatter"`` (Morris): mu* against sigma;
            ``"auto"``: ``"days"`` when the readout was analysed at several days, else ``"bars"``.
    """
    import matplotlib.pyplot as plt

    df = result.indices
    readout = readout or df["readout"].iloc[0]
    if readout not in set(df["readout"]):
        raise ParameterError(
            f"readout: {readout!r} was not analysed (analysed: {', '.join(df['readout'].unique())})"
        )
    df = _floats(df[df["readout"] == readout], _INDEX_COLUMNS)
    days = df["day"].dropna().unique()
    if kind == "auto":
        kind = "days" if len(days) > 1 else "bars"
    if kind not in ("bars", "days", "scatter"):
        raise ParameterError(f"kind: {kind!r} must be 'auto', 'bars', 'days' or 'scatter'")
    if kind == "scatter" and result.method != "morris":
        raise ParameterError("kind: 'scatter' (mu* against sigma) is for Morris results")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
    else:
        fig = ax.figure
    unit = readout_unit(readout)
    title = f"{result.method} sensitivity of {readout}"
    if kind == "days":
        _over_days(ax, df, result.method, unit)
    else:
        if len(days) > 1:
            df = df[df["day"] == days[0]]
        if len(days):
            title += f" at day {days[0]:g}"
        if kind == "bars":
            _bars(ax, df, result.method, unit)
        else:
            _scatter(ax, df, unit)
    ax.set_title(title, fontsize=9)
    return fig
