"""Survival curves and transplant maps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .palette import CATEGORICAL, FACTOR_COLORS

__all__ = ["plot_survival", "plot_transplant", "plot_transplant_map"]

#: Colours of the host regions of a transplant (the same in every transplant panel).
REGION_COLORS: dict[str, str] = {
    "near graft": "#EE6677",
    "ipsilateral": "#EE6677",
    "ipsilateral far": "#CCBB44",
    "contralateral": "#4477AA",
    "untreated": "#000000",
}


def _axes(ax: Any, figsize=(6.0, 4.0)):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax


def plot_survival(assays: Sequence[Any], ax: Any = None, labels: Sequence[str] | None = None):
    """Fraction of MNs alive against day, one step line per assay; returns the Figure.

    Each assay's expected curve ``exp(-H(t))`` is dotted in the same colour.

    Args:
        assays: :class:`~ipscsim.survival.SurvivalAssay` results.
        ax: Axes to draw on (a new figure otherwise).
        labels: One label per assay (default: genotype, stressor and drug).
    """
    fig, ax = _axes(ax)
    first = len(ax.lines) // 2  # curves already on these axes (two lines each): keep colours apart
    for i, a in enumerate(assays):
        m = a.meta
        label = (
            labels[i]
            if labels
            else " ".join(
                str(x) for x in (m.get("genotype"), m.get("stress") or "", m.get("drug") or "") if x
            )
        )
        colour = CATEGORICAL[(first + i) % len(CATEGORICAL)]
        ax.step(a.days, a.alive, where="post", label=label, color=colour)
        ax.plot(a.days, a.expected, ls=":", color=colour, lw=1)
    ax.set_xlabel("day of assay")
    ax.set_ylabel("MNs alive (fraction)")
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, fontsize="small", title="dotted: expected", title_fontsize="x-small")
    return fig


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("-inf")


def plot_transplant_map(result: Any, ax: Any = None):
    """Host MNs alive against distance along the cord from the graft, at the last month.

    Ipsilateral (the grafted side) and contralateral horns, with the untreated host as a reference
    line and the injection sites marked (dotted).

    Args:
        result: A :class:`~ipscsim.transplant.TransplantResult`.
        ax: Axes to draw on (a new figure otherwise).

    Returns:
        The Figure.
    """
    fig, ax = _axes(ax)
    prof = result.mn_profile
    for col in prof.columns:
        ax.plot(prof.index, prof[col], label=col, color=REGION_COLORS.get(col))
    untreated = float(result.mn_survival["untreated"].iloc[-1])
    ax.axhline(untreated, color=REGION_COLORS["untreated"], ls="--", lw=1, label="untreated")
    meta = result.meta
    for z in meta.get("site_positions_mm", []):
        ax.axvline(z, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel("distance along the cord from the graft's centre (mm)")
    ax.set_ylabel("host MNs alive (fraction of pre-disease)")
    ax.set_ylim(0, 1.02)
    ax.set_title(
        f"{meta.get('graft', 'graft')} in {meta.get('host', 'host')}, month "
        f"{float(result.mn_survival.index[-1]):.3g}",
        fontsize=9,
    )
    ax.legend(frameon=False, fontsize="small")
    return fig


def plot_transplant(result: Any, axes: Any = None):
    """A transplant's outcome in four panels; returns the Figure.

    Host MN survival over months (near and far from the graft, contralateral, untreated); the
    factor profile along the cord (pM); host MNs against distance (:func:`plot_transplant_map`);
    graft cells and tumour probability over months.

    Args:
        result: A :class:`~ipscsim.transplant.TransplantResult`.
        axes: Four axes to draw on (a new figure otherwise).
    """
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 4, figsize=(17.0, 3.9), layout="constrained")
    else:
        fig = axes[0].figure
    ax0, ax1, ax2, ax3 = axes
    mn = result.mn_survival
    for col in mn.columns:
        ax0.plot(mn.index, mn[col], label=col, color=REGION_COLORS.get(col))
    ax0.set_xlabel("time after transplant (months)")
    ax0.set_ylabel("host MNs alive (fraction of pre-disease)")
    ax0.set_ylim(0, 1.02)
    ax0.legend(frameon=False, fontsize="small")
    prof = result.factor_profile
    last = max((c.partition(", month ")[2] for c in prof.columns), key=_number, default="")
    for col in prof.columns:
        name, _, when = col.partition(", month ")
        style = "-" if when == last else "--"
        ax1.plot(prof.index, prof[col], label=col, color=FACTOR_COLORS.get(name), ls=style)
    ax1.set_xlabel("distance along the cord from the graft's centre (mm)")
    ax1.set_ylabel("factor in the ventral horn (pM)")
    ax1.set_yscale("symlog", linthresh=0.01)
    if len(prof.columns):
        ax1.legend(frameon=False, fontsize="small")
    plot_transplant_map(result, ax=ax2)
    g = result.graft
    ax3.plot(g.index, g["cells"], label="graft cells", color="#228833")
    ax3.set_xlabel("time after transplant (months)")
    ax3.set_ylabel("surviving graft cells (cells)")
    ax4 = ax3.twinx()
    ax4.plot(g.index, g["tumour_probability"], color="#AA3377", label="tumour probability")
    ax4.set_ylabel("tumour probability (0 to 1)")
    ax4.set_ylim(0, 1)
    ax3.legend(
        handles=[*ax3.get_lines(), *ax4.get_lines()], frameon=False, fontsize="small", loc="best"
    )
    return fig
