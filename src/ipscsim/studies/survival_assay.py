"""Longitudinal motor-neuron survival assays, as in the ALS iPSC papers.

>>> import ipscsim as ips
>>> a = ips.survival.assay("SOD1_A4V", factors={"GDNF": (10, "pg/ml")}, days=28, seed=1)
>>> a.summary()["median_survival_days"]  # doctest: +SKIP

Each of ``n_cells`` purified MNs dies at the hazard of :mod:`ipscsim.model.survival` (the same hazard
that kills MNs in a differentiation run with ``genotype=``), with the factors held at their dose (fed
often enough that they do not run down). A cell dies when its cumulative hazard passes an exponential
draw from the run's generator, so the same seed gives the same curve; ``n_cells=None`` gives the
expected curve ``exp(-H(t))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError, check_finite_result, check_int, warn
from ._records import even_spacing

__all__ = ["SurvivalAssay", "assay", "dose_response"]


def _doses(factors: Any) -> tuple[dict[str, float], dict[str, float]]:
    """``{name: (value, unit)}`` to registry doses (nM) and the reported doses (pM)."""
    from ..model.secretion import factor, to_picomolar
    from ..protocols.compounds import registry

    if factors is None:
        return {}, {}
    if not isinstance(factors, dict):
        raise ParameterError(
            f"factors: {factors!r} must be a dict of name: (value, unit), e.g. "
            "{'GDNF': (10, 'pg/ml')}"
        )
    reg = registry()
    nm, pm = {}, {}
    for name, dose in factors.items():
        if not (isinstance(dose, (tuple, list)) and len(dose) == 2):
            raise ParameterError(
                f"factors: {name}: {dose!r} must be (value, unit), e.g. ({name!r}: (10, 'pg/ml'))"
            )
        f = factor(name, "factors")
        value = to_picomolar(dose[0], dose[1], f.name)
        pm[f.name] = pm.get(f.name, 0.0) + value
        if f.compound is not None:
            comp = reg.get(f.compound).name
            nm[comp] = nm.get(comp, 0.0) + value * 1e-3
    return nm, pm


#: The basal medium of a survival assay unless told otherwise: Neurobasal with B27, whose insulin
#: supports MNs through IGF1R (the medium of the ALS iPSC MN survival assays).
DEFAULT_MEDIUM = "Neurobasal_B27"


def _medium_doses(medium: Any) -> dict[str, float]:
    """The basal medium's components as registry doses (nM); ``None``: none."""
    from ..errors import ProtocolError
    from ..protocols.compounds import registry
    from ..protocols.media import lookup_medium
    from ..units import to_nanomolar

    if medium is None:
        return {}
    try:
        m = lookup_medium(medium, "medium")
    except ProtocolError as exc:
        raise ParameterError(str(exc)) from None
    reg = registry()
    return {
        reg.get(c).name: to_nanomolar(v, unit, reg.get(c).molar_mass) for c, v, unit in m.components
    }


def _generator(seed: Any) -> tuple[np.random.Generator, Any]:
    if isinstance(seed, np.random.Generator):
        return seed, "generator"
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed: {seed!r} must be None, an integer >= 0 or a numpy Generator")
    return np.random.default_rng(int(seed)), int(seed)


@dataclass(frozen=True)
class SurvivalAssay:
    """A survival assay's result.

    Attributes:
        days: Record days.
        alive: Fraction of MNs alive at each day (simulated cells, or expected when ``n_cells`` is None).
        expected: The expected fraction ``exp(-H(t))``.
        meta: Inputs: genotype, factors (pM), stress, drug, n_cells, seed, hazards.
    """

    days: np.ndarray
    alive: np.ndarray
    expected: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def curve(self):
        """DataFrame with columns ``day``, ``fraction_alive`` and ``expected``."""
        import pandas as pd

        return pd.DataFrame(
            {"day": self.days, "fraction_alive": self.alive, "expected": self.expected}
        )

    def median_survival_days(self) -> float:
        """First day the fraction alive reaches 0.5 (linear between records); ``inf`` if never."""
        below = np.nonzero(self.alive <= 0.5)[0]
        if below.size == 0:
            return math.inf
        i = int(below[0])
        if i == 0:
            return float(self.days[0])
        d0, d1, a0, a1 = self.days[i - 1], self.days[i], self.alive[i - 1], self.alive[i]
        return float(d0 + (a0 - 0.5) / (a0 - a1) * (d1 - d0)) if a0 != a1 else float(d1)

    def summary(self):
        """Series: ``median_survival_days`` (``inf`` when not reached) and ``fraction_alive`` at the end."""
        import pandas as pd

        return pd.Series(
            {
                "median_survival_days": self.median_survival_days(),
                "fraction_alive": float(self.alive[-1]),
                "expected_fraction_alive": float(self.expected[-1]),
                "days": float(self.days[-1]),
            },
            name=self.meta.get("genotype", "assay"),
        )

    def plot(self, ax: Any = None, **kwargs: Any):
        """The survival curve (fraction alive against day); returns the Figure."""
        from ..plot.survival import plot_survival

        return plot_survival([self], ax=ax, **kwargs)

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"SurvivalAssay({self.meta.get('genotype')}, factors={self.meta.get('factors_pM')}, "
            f"stress={self.meta.get('stress')}, drug={self.meta.get('drug')}: "
            f"{s['fraction_alive']:.2f} alive at day {s['days']:g}, median "
            f"{s['median_survival_days']:.1f} d)"
        )


def assay(
    genotype: str = "control",
    factors: dict[str, tuple[float, str]] | None = None,
    stress: str | None = None,
    drug: str | None = None,
    days: float = 28,
    n_cells: int | None = 1000,
    seed: Any = None,
    params: Any = None,
    record_every: float = 0.25,
    medium: str | None = DEFAULT_MEDIUM,
    cell: str = "MN",
) -> SurvivalAssay:
    """A longitudinal survival assay of purified MNs.

    Args:
        genotype: ``control``, ``SOD1_A4V``, ``C9orf72``, ``TARDBP_M337V`` or ``FUS``.
        factors: Doses held constant, ``{"GDNF": (10, "pg/ml"), "BDNF": (1, "pM")}``; GDNF (RET),
            BDNF (TrkB), CNTF (gp130) and IGF1 (IGF1R) support survival each through its receptor;
            VEGF and HGF are accepted and have no survival effect in the model (not quantified in
            the cited data).
        stress: ``None``, ``"glutamate"`` (a 12 h 10 uM pulse at day 0), ``"als_astrocytes"``
            (co-culture with ALS astrocytes throughout), ``"pi3k_inhibition"`` (LY294002
            throughout: blocks the receptors' survival signalling) or ``"er_stress"`` (a day of
            thapsigargin or tunicamycin at day 0).
        drug: ``None``, ``"retigabine"``, ``"bosutinib"``, ``"ropinirole"`` or
            ``"map4k4_inhibitor"``.
        days: Length of the assay.
        n_cells: MNs tracked (``None``: the expected curve, no sampling).
        seed: ``None`` (fresh, recorded in ``meta``), an int, or a numpy Generator.
        params: Model parameters (as :func:`ipscsim.simulate` takes them).
        record_every: Days between points of the curve.
        medium: The basal medium (a name of :func:`ipscsim.protocols.media`; its insulin supports
            MNs through IGF1R), or ``None`` for none: a trophic-withdrawal assay keeps the medium and
            drops ``factors``.
        cell: ``"MN"`` or ``"interneuron"`` (no MN genotype effect; spared by ALS astrocytes).

    Raises:
        ParameterError: naming the field, the bad value and the choices.
    """
    from ..model import resolve_params
    from ..model.parameters import genotype_hazard
    from ..model.survival import canonical_genotype, hazard

    genotype_hazard(genotype)  # validates
    genotype = canonical_genotype(genotype)
    n_cells = _check_assay(days, record_every, n_cells)
    _warn_untested(drug, genotype)
    nm, pm = _doses(factors)
    for name, v in _medium_doses(medium).items():
        nm[name] = nm.get(name, 0.0) + v
    h = hazard(resolve_params(params), genotype, nm, stress, drug, cell)
    grid, alive, expected, seed_used = _curve(h, days, record_every, n_cells, seed)
    check_finite_result("survival assay", alive=alive, expected=expected)
    meta = dict(genotype=genotype, factors_pM=pm, medium=medium, stress=stress, drug=drug)
    meta.update(cell=cell, n_cells=n_cells, seed=seed_used, hazard_starts=h.starts.tolist())
    meta["hazard_per_day"] = h.rates.tolist()
    return SurvivalAssay(days=grid, alive=alive, expected=expected, meta=meta)


def _warn_untested(drug: Any, genotype: str) -> None:
    """Warn when a drug's rescue is applied to an ALS genotype it was not reported to rescue."""
    from ..model.survival import drug_reported_in

    if drug is None or genotype == "control":
        return
    reported = drug_reported_in(drug)
    if genotype not in reported:
        where = (
            ", ".join(reported) or "ALS patient MNs of genotypes the sources retrieved do not name"
        )
        warn(
            f"drug: {drug}'s rescue of ALS MNs was reported in {where}, not in "
            f"{genotype}; the model removes the same share of {genotype}'s disease hazard, an "
            "extrapolation (survival.csv)",
            UserWarning,
        )


def _curve(h: Any, days: float, record_every: float, n_cells: int | None, seed: Any):
    """Days, MNs alive (sampled, or expected when ``n_cells`` is None), expected curve, seed used."""
    n_rec = round(float(days) / float(record_every))
    grid = np.unique(np.append(np.linspace(0.0, float(days), n_rec + 1), float(days)))
    cum = h.cumulative(grid)
    expected = np.exp(-cum)
    rng, seed_used = _generator(seed)
    if n_cells is None:
        return grid, expected.copy(), expected, seed_used
    thresholds = np.sort(rng.exponential(size=int(n_cells)))
    alive = 1.0 - np.searchsorted(thresholds, cum, side="right") / int(n_cells)
    return grid, alive, expected, seed_used


#: The most time points and simulated cells an assay takes (bounded time and memory).
MAX_POINTS = 1_000_000
MAX_CELLS = 10_000_000


def _check_assay(days: Any, record_every: Any, n_cells: Any) -> int | None:
    """The cell number as an int (or None), the assay's length and record spacing checked.

    Raises:
        ParameterError: for a length, record spacing or cell number the assay cannot take.
    """
    from ..errors import is_real

    if not is_real(days) or not 0 < float(days) <= 3650:
        raise ParameterError(f"days: {days!r} must be a number of days in (0, 3650]")
    if not is_real(record_every) or not 0 < float(record_every) <= float(days):
        raise ParameterError(f"record_every: {record_every!r} must be in (0, days]")
    if float(days) / float(record_every) > MAX_POINTS:
        raise ParameterError(
            f"record_every: {record_every!r} gives {float(days) / float(record_every):.3g} time "
            f"points over {days!r} days (at most {MAX_POINTS:.0e}); the smallest spacing for this "
            f"assay is {float(days) / MAX_POINTS:.3g} days"
        )
    even_spacing(float(days), float(record_every), "days")
    if n_cells is not None:  # a well holds about 1e5 MNs; None: the expected curve
        check_int("n_cells (MNs per well, or None for the expected curve)", n_cells, 1, MAX_CELLS)
    return None if n_cells is None else int(n_cells)


def _check_doses(factor: Any, doses_pM: Any, day: Any) -> np.ndarray:
    """The doses as a 1-D array of finite concentrations >= 0, factor and day checked."""
    from ..errors import is_real
    from ..model.secretion import FACTORS
    from ..model.secretion import factor as lookup

    if not isinstance(factor, str):
        raise ParameterError(
            f"factor: {factor!r} must be a factor name, one of {', '.join(FACTORS)}"
        )
    lookup(factor, "factor")
    if not is_real(day) or not 0.01 <= float(day) <= 3650:
        raise ParameterError(f"day: {day!r} must be a number of days in [0.01, 3650]")
    ok = isinstance(doses_pM, (list, tuple, np.ndarray)) and all(
        is_real(d) and math.isfinite(float(d)) and 0 <= float(d) <= 1e7 for d in np.ravel(doses_pM)
    )
    doses = np.asarray(doses_pM, dtype=np.float64) if ok else np.empty((0, 0))
    if doses.ndim != 1 or not 1 <= len(doses) <= 10_000:
        raise ParameterError(
            f"doses_pM: {doses_pM!r} must be a list of 1 to 10000 concentrations in pM, each in "
            "[0, 1e7]"
        )
    return doses


def dose_response(
    factor: str = "GDNF",
    doses_pM: Any = None,
    day: float = 7.0,
    genotype: str = "control",
    params: Any = None,
    medium: str | None = DEFAULT_MEDIUM,
):
    """Expected fraction of MNs alive at ``day`` against a factor's dose (in ``medium``).

    Returns:
        DataFrame with columns ``dose_pM``, ``fraction_alive``, ``effect`` (0 without the factor, 1 at
        saturation) and the half-maximal dose in ``attrs["half_maximal_pM"]``.
    """
    import pandas as pd
    from scipy.optimize import brentq

    if doses_pM is None:
        doses_pM = np.geomspace(0.01, 1000.0, 41)
    doses = _check_doses(factor, doses_pM, day)

    def alive(d: float) -> float:
        a = assay(
            genotype,
            {factor: (d, "pM")} if d > 0 else None,
            days=day,
            n_cells=None,
            params=params,
            record_every=day,
            medium=medium,
        )
        return float(a.alive[-1])

    lo, hi = alive(0.0), alive(1e7)
    if abs(hi - lo) < 1e-9:  # VEGF, HGF: no effect to scale by (it was a ZeroDivisionError)
        from ..model.secretion import FACTORS
        from ..model.secretion import factor as lookup

        acting = [f for f in FACTORS if math.isfinite(lookup(f, "factor").survival_ec50_pM)]
        raise ParameterError(
            f"factor: {factor!r} does not change MN survival in the model ({lo:.3g} alive on day "
            f"{day:g} with and without it; factors.csv says why), so it has no dose-response; "
            f"use one that does: {', '.join(acting)}"
        )
    vals = np.array([alive(float(d)) for d in doses])
    out = pd.DataFrame(
        {"dose_pM": doses, "fraction_alive": vals, "effect": (vals - lo) / (hi - lo)}
    )
    out.attrs["half_maximal_pM"] = brentq(lambda d: (alive(d) - lo) / (hi - lo) - 0.5, 1e-6, 1e6)
    out.attrs["day"] = day
    return out
