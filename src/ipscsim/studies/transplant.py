r"""A graft of cells in an ALS spinal cord: the factor it secretes, the host MNs it protects, its risks.

>>> import ipscsim as ips
>>> t = ips.transplant.simulate("suzuki2007_rat", host="rat_SOD1_G93A", months=2)  # doctest: +SKIP
>>> t.summary()  # doctest: +SKIP

The model (every number in ``model/data/hosts.csv``, ``products.csv``, ``secretion.csv``,
``factors.csv`` and ``tumour.csv``, with its source or the reason for its assumption):

* **Cord**: a box of the host's lumbar cord (width, depth) as long as the injection sites need plus
  four decay lengths at each end, on a grid of ~0.1-0.4 mm; the faces clear the factor (into
  cerebrospinal fluid). MNs sit in the two ventral horns.
* **Graft**: ``dose`` cells at each of ``sites`` injection points spaced one segment apart in one
  ventral horn (unilateral, as in the trials). Of the injected cells a share survives the injection,
  then the graft is lost at a rejection rate that depends on immunosuppression and on autologous
  versus allogeneic cells.
* **Factor**: each surviving cell secretes at its product's rates (a differentiation Result secretes at
  its cell types' rates); the factor diffuses with its tissue diffusion coefficient and is cleared
  (:mod:`ipscsim.engines.tissue`). The field relaxes in hours while the graft changes over weeks, so it
  is at its steady state, proportional to the surviving graft. Concentrations are in the extracellular
  space (volume fraction 0.2, Sykova & Nicholson 2008 Physiol Rev 88:1277).
* **Host MNs**: without a graft they are lost on the host's course (a Weibull curve from the start of
  MN loss to the share left at end stage); trophic support :math:`T` at an MN's position (GDNF, BDNF,
  CNTF, IGF1, each through its receptor) scales its hazard by :math:`1 - e_v T` with
  :math:`e_v` the host's ``max_protection``.
* **Tumour**: each residual pluripotent cell that engrafts starts a teratoma with probability
  ``1/cells_per_tumour``; a tumour is detected when one cell has grown to ``detectable_cells``.

What it leaves out: the connection of protected MNs to muscle (Suzuki et al. 2007: cell bodies
protected, not their projection to muscle, so survival here is not function); graft migration and
differentiation after engraftment; immune effects beyond graft loss; intrathecal delivery (MSC-NTF is
given intrathecally and appears here as an intraspinal depot); upper MNs and respiratory decline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import check_finite_result
from .graft_model import (
    DAYS_PER_MONTH,
    _age,
    _cord,
    _host_survival,
    _Plan,
    _resolve,
    _tumour,
    _unit_fields,
    hosts,
    products,
)
from .transplant_outcomes import outcome, targets, validate

__all__ = ["TransplantResult", "hosts", "outcome", "products", "simulate", "targets", "validate"]


LIMITATIONS = (
    "Survival of MN cell bodies is not function: the model has no connection of MNs to muscle "
    "(Suzuki et al. 2007 found cell bodies protected near GDNF grafts but not their projection to "
    "muscle). Not modelled: graft migration and maturation, immune effects beyond graft loss, "
    "intrathecal delivery (MSC-NTF appears as an intraspinal depot), upper MNs, breathing. Most "
    "secretion rates, the host MN counts and the size of protection are assumptions (see the tables)."
)


@dataclass(frozen=True)
class TransplantResult:
    """A transplant's outcome.

    Attributes:
        mn_survival: Host MNs alive (fraction of the pre-disease pool) by month: near the graft
            (ipsilateral, within 1 mm of a site), ipsilateral far (over 4 decay lengths from every
            site), contralateral, the lumbar enlargement (both horns; see
            :mod:`ipscsim.studies.transplant_outcomes`), and untreated.
        mn_profile: At the last month, MNs alive against distance along the cord from the graft's
            centre (mm), ipsilateral and contralateral.
        factor_profile: Factor concentrations (pM) in the ipsilateral ventral horn against distance
            along the cord, at month 1 (or the end) and at the end.
        graft: By month: surviving graft cells, tumour probability.
        meta: Inputs and derived numbers (grid, decay length, tumour probability at the end), and
            ``secretion``: the product's rates with their range, status and source.
        limitations: What the model does not capture.
    """

    mn_survival: Any
    mn_profile: Any
    factor_profile: Any
    graft: Any
    meta: dict[str, Any] = field(default_factory=dict)
    limitations: str = LIMITATIONS

    def summary(self):
        """Series of the outcome: MNs alive, factors near the graft, graft cells, tumour risk.

        MNs alive near, far, contralateral and untreated at the end; each secreted factor 1 mm from
        the central site at the start (pM); graft cells and tumour probability at the end.
        """
        import pandas as pd

        end = self.mn_survival.iloc[-1]
        return pd.Series(
            {
                "months": float(self.mn_survival.index[-1]),
                "mn_alive_near": float(end["near graft"]),
                "mn_alive_far": float(end["ipsilateral far"]),
                "mn_alive_contralateral": float(end["contralateral"]),
                "mn_alive_untreated": float(end["untreated"]),
                **{f"{f}_at_1mm_pM": v for f, v in self.meta["factor_at_1mm_pM"].items()},
                "graft_cells": float(self.graft["cells"].iloc[-1]),
                "tumour_probability": float(self.graft["tumour_probability"].iloc[-1]),
            },
            name=self.meta.get("graft", "transplant"),
        )

    def plot(self, **kwargs: Any):
        """Host MN survival, factor profile, MNs against distance, graft; returns the Figure.

        See :func:`ipscsim.plot.survival.plot_transplant` (``axes=``: four axes to draw on).
        """
        from ..plot.survival import plot_transplant

        return plot_transplant(self, **kwargs)

    def plot_map(self, ax: Any = None):
        """Host MNs alive against distance from the graft at the last month; returns the Figure."""
        from ..plot.survival import plot_transplant_map

        return plot_transplant_map(self, ax=ax)


def _tumour_risk(plan: _Plan, t_m: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """Tumour probability by month, its final value, the residual cells and the median detection day."""
    from scipy.stats import norm

    tum, g = _tumour(), plan.graft
    n_p = plan.dose * plan.sites * g.acute * g.residual_pluripotent
    p_final = 1.0 - math.exp(-n_p / tum["cells_per_tumour"])
    t_det = tum["doubling_time"] * math.log2(tum["detectable_cells"])
    days_after = np.maximum(t_m * DAYS_PER_MONTH, 1e-9)
    p_t = p_final * norm.cdf((np.log(days_after) - math.log(t_det)) / tum["detection_spread"])
    return p_t, p_final, n_p, t_det


def _factor_profile(cord, unit, t_m, cells_site, g):
    import pandas as pd

    k1 = int(np.argmin(np.abs(t_m - min(1.0, t_m[-1]))))
    prof = {}
    for f in cord.secreted:
        for k, label in ((k1, f"month {t_m[k1]:.2g}"), (len(t_m) - 1, f"month {t_m[-1]:.3g}")):
            prof[f"{f}, {label}"] = (
                unit[f][cord.ix_ipsi, cord.iy, :] * cells_site[k] * g.secretion[f]
            )
    return pd.DataFrame(prof, index=pd.Index(cord.zc, name="distance_mm"))


def simulate(
    graft: Any,
    host: str | None = None,
    months: float = 2.0,
    dose: float | None = None,
    sites: int | None = None,
    immunosuppression: bool | None = None,
    origin: str | None = None,
    age_at_transplant: float | None = None,
    grid_mm: float | None = None,
    secretion_scale: float = 1.0,
    residual_pluripotent: float | None = None,
    record_every: float = 0.25,
    progress: bool = True,
) -> TransplantResult:
    """Simulate a graft in an ALS spinal cord.

    Args:
        graft: A product preset (``CNS10-NPC-GDNF``, ``NSI-566``, ``MSC-NTF``, ``suzuki2007_rat``) or a
            differentiation :class:`~ipscsim.results.Result` (its last day's cells are grafted).
        host: ``rat_SOD1_G93A``, ``mouse_SOD1_G93A`` or ``human_ALS`` (default: the product's host;
            ``rat_SOD1_G93A`` for a Result).
        months: Months after the transplant (stops at the host's end stage).
        dose: Cells per injection site (default: the product's).
        sites: Injection sites, one segment apart, unilateral (default: the product's).
        immunosuppression: Whether the host is immunosuppressed (default: the product's setting).
        origin: ``"allogeneic"`` or ``"autologous"`` (default: the product's).
        age_at_transplant: Host age (rodents) or days from onset (human) at transplant (default: the
            host's).
        grid_mm: Grid spacing (default: the cord's smaller side / 24).
        secretion_scale: Multiplies every secretion rate of the graft (0: a graft that secretes
            nothing).
        residual_pluripotent: Share of the grafted cells still pluripotent (default: the product's, or
            a Result's ``residual_pluripotent``).
        record_every: Months between records.
        progress: Show a progress bar over the factor fields (the long part).

    Raises:
        ParameterError: naming the field, the value and the fix.
    """
    plan = _resolve(
        graft, host, months, dose, sites, immunosuppression, origin, grid_mm, secretion_scale,
        residual_pluripotent, record_every,
    )  # fmt: skip
    age0 = _age(plan, age_at_transplant)
    cord = _cord(plan)
    unit = _unit_fields(cord, plan.grid_mm, bool(progress))
    end_stage = float(plan.host_row["end_stage_day"])
    months_run = min(plan.months, max((end_stage - age0) / DAYS_PER_MONTH, 0.0))
    t_m = np.linspace(0.0, months_run, max(1, round(plan.months / plan.record_every)) + 1)
    cells_site = plan.dose * plan.graft.acute * np.exp(-plan.rejection * t_m)
    mn, mn_profile = _host_survival(plan, cord, unit, t_m, cells_site, age0)
    p_t, p_final, n_p, t_det = _tumour_risk(plan, t_m)
    graft_df = mn[[]].assign(cells=cells_site * plan.sites, tumour_probability=p_t)
    factors = _factor_profile(cord, unit, t_m, cells_site, plan.graft)
    check_finite_result("transplant", mn=mn, profile=mn_profile, factors=factors, graft=graft_df)
    return TransplantResult(
        mn, mn_profile, factors, graft_df,
        _meta(plan, cord, unit, cells_site, age0, months_run, p_final, n_p, t_det),
    )  # fmt: skip


def _meta(plan, cord, unit, cells_site, age0, months_run, p_final, n_p, t_det) -> dict[str, Any]:
    from ..model.secretion import secretion_provenance

    g = plan.graft
    # the factor at the ipsilateral horn 1 mm from the central site, right after the transplant
    z1 = int(np.argmin(np.abs(cord.zc - (cord.site_z[len(cord.site_z) // 2] + 1.0))))
    at_1mm = {
        f: float(unit[f][cord.ix_ipsi, cord.iy, z1] * cells_site[0] * g.secretion[f])
        for f in cord.secreted
    }
    return {
        "graft": g.name,
        "host": plan.host,
        "months_requested": plan.months,
        "months": float(months_run),
        "stopped_at_end_stage": months_run < plan.months,
        "dose_per_site": plan.dose,
        "sites": plan.sites,
        "site_positions_mm": [float(z) for z in cord.site_z],
        "immunosuppression": plan.immunosuppression,
        "origin": plan.origin,
        "rejection_per_month": plan.rejection,
        "age_at_transplant_day": age0,
        "grid_mm": plan.grid_mm,
        "grid_shape": cord.shape,
        "factors": cord.secreted,
        "factor": "+".join(cord.secreted) if cord.secreted else "none",
        "decay_length_mm": cord.decay_length,
        "factor_at_1mm_pM": at_1mm,
        "secretion_scale": plan.secretion_scale,
        "residual_pluripotent_cells": n_p,
        "tumour_probability_final": p_final,
        "tumour_detection_day_median": t_det,
        "calibrated_to": plan.row["calibrated_to"] if plan.row else "a differentiation Result",
        "secretion": secretion_provenance(plan.row["secretes_as"]) if plan.row else "cell types'",
    }
