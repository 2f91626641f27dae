"""Survival curves and transplant maps."""

from __future__ import annotations

from typing import Any

__all__ = ["plot_survival", "plot_transplant"]


def _axes(ax: Any, figsize=(6.0, 4.0)):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax


def plot_survival(assays: list, ax: Any = None, labels: list[str] | None = None):
    """Fraction of MNs alive against day, one line per assay; returns the Figure."""
    fig, ax = _axes(ax)
    for i, a in enumerate(assays):
        m = a.meta
        label = (
            labels[i]
            if labels
            else " ".join(
                str(x) for x in (m.get("genotype"), m.get("stress") or "", m.get("drug") or "") if x
            )
        )
        (line,) = ax.step(a.days, a.alive, where="post", label=label)
        ax.plot(a.days, a.expected, ls=":", color=line.get_color(), lw=1)
    ax.set_xlabel("day of assay")
    ax.set_ylabel("MNs alive (fraction)")
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, fontsize="small")
    return fig


def plot_transplant(result: Any, axes: Any = None):
    """Host MN survival near and far from the graft, the factor profile and the graft; returns the Figure."""
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(13.0, 3.8), layout="constrained")
    else:
        fig = axes[0].figure
    ax0, ax1, ax2 = axes
    mn = result.mn_survival
    for col in mn.columns:
        ax0.plot(mn.index, mn[col], label=col)
    ax0.set_xlabel("months after transplant")
    ax0.set_ylabel("host MNs alive (fraction of pre-disease)")
    ax0.legend(frameon=False, fontsize="small")
    prof = result.factor_profile
    for col in prof.columns:
        ax1.plot(prof.index, prof[col], label=col)
    ax1.set_xlabel("distance along the cord from the graft's centre (mm)")
    ax1.set_ylabel("factor in the ventral horn (pM)")
    ax1.set_yscale("symlog", linthresh=0.01)
    ax1.legend(frameon=False, fontsize="small")
    g = result.graft
    ax2.plot(g.index, g["cells"], label="graft cells")
    ax2.set_xlabel("months after transplant")
    ax2.set_ylabel("surviving graft cells")
    ax3 = ax2.twinx()
    ax3.plot(g.index, g["tumour_probability"], color="C3", label="tumour probability")
    ax3.set_ylabel("tumour probability")
    ax3.set_ylim(0, 1)
    return fig
