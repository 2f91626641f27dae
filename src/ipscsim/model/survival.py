r"""Motor-neuron survival: the hazard of death by genotype, trophic support, stressor and drug.

One hazard, shared with the differentiation model (a MN in a differentiation run dies at the first term):

.. math::

    h(t) = \mu_n\,[1 + (R_g - 1)(1 - r_d)]\,(1 - e_T T)
         + \sum_s h_s\,\sigma_{s g}\,(1 - r_d)\,\mathbb{1}[t < \tau_s]

* :math:`\mu_n` (``death_neuron``) the death rate of neurons without trophic support, :math:`e_T`
  (``trophic_efficacy``) the largest share trophic support removes, :math:`T = A/(1+A)` with :math:`A` the
  trophic pathway's input in EC50 units, computed by :func:`ipscsim.model.pharmacology.pathway_inputs`
  from the doses exactly as in a differentiation run (GDNF, BDNF, CNTF EC50 1.5 pM; Lamas et al. 2014);
* :math:`R_g` the genotype's hazard ratio (``model/data/genotypes.csv``);
* a stressor ``s`` adds a hazard :math:`h_s` for :math:`\tau_s` days to MNs of susceptibility
  :math:`\sigma_{sg}` (``model/data/survival.csv``: a glutamate pulse kills C9orf72 but not control MNs,
  Shi et al. 2018; ALS astrocytes kill MNs of every genotype, Di Giorgio et al. 2008);
* a drug removes the share :math:`r_d` of the disease part: the genotype's excess hazard and the
  stressor's (retigabine, bosutinib, ropinirole; none changes control MNs without stress).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ..errors import ParameterError, suggest
from . import layout as L
from .parameters import canonical_genotype

__all__ = [
    "DRUGS",
    "STRESSORS",
    "Hazard",
    "canonical_genotype",
    "drug_rescue",
    "hazard",
    "stressor",
    "trophic_support",
    "trophic_support_array",
]


@lru_cache(maxsize=1)
def _table() -> list[dict[str, str]]:
    text = resources.files("ipscsim.model").joinpath("data/survival.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


#: Stressors of the survival assay.
STRESSORS: tuple[str, ...] = ("glutamate", "als_astrocytes")
#: Drugs with a reported rescue of ALS MN survival.
DRUGS: tuple[str, ...] = ("retigabine", "bosutinib", "ropinirole")


def _choose(value: Any, allowed: tuple[str, ...], field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        lower = {a.lower(): a for a in allowed}
        if value.lower() in lower:
            return lower[value.lower()]
    raise ParameterError(
        f"{field}: unknown {field} {value!r}{suggest(str(value), allowed)} (choose None or one of "
        f"{', '.join(allowed)})"
    )


@dataclass(frozen=True)
class Stressor:
    """A stressor's hazard (1/day), its duration in days and each genotype's susceptibility."""

    name: str
    hazard: float
    days: float
    susceptibility: dict[str, float]


def stressor(name: str) -> Stressor:
    """A stressor from ``survival.csv``."""
    name = _choose(name, STRESSORS, "stress")
    rows = [r for r in _table() if r["kind"] == "stress" and r["name"] == name]
    get = {r["parameter"]: float(r["value"]) for r in rows if not r["genotype"]}
    sus = {r["genotype"]: float(r["value"]) for r in rows if r["parameter"] == "susceptibility"}
    return Stressor(name, get["hazard"], get["hazard_days"], sus)


def drug_rescue(name: str | None) -> float:
    """Share of the disease hazard a drug removes (0 for ``None``)."""
    name = _choose(name, DRUGS, "drug")
    if name is None:
        return 0.0
    for r in _table():
        if r["kind"] == "drug" and r["name"] == name and r["parameter"] == "rescue":
            return float(r["value"])
    raise ParameterError(f"drug: no rescue value for {name!r} in survival.csv")  # pragma: no cover


def trophic_support(doses_nM: dict[str, float]) -> float:
    """Trophic support :math:`T = A/(1+A)` of compound doses (nM), as the engines compute it."""
    from ..protocols.compounds import registry
    from .pharmacology import compound_table, pathway_inputs

    reg = registry()
    c = np.zeros(len(reg))
    for name, v in doses_nM.items():
        c[reg.index(name)] += v
    a, _, _ = pathway_inputs(c, compound_table())
    return float(a[L.PW_TROPHIC] / (1.0 + a[L.PW_TROPHIC]))


def trophic_support_array(doses_nM: dict[str, np.ndarray]) -> np.ndarray:
    """:func:`trophic_support` of arrays of doses (nM) at once (the same sum over the trophic agonists)."""
    from ..protocols.compounds import registry
    from .pharmacology import compound_table, pathway_inputs

    reg = registry()
    comp = compound_table()
    a = 0.0
    for name, v in doses_nM.items():
        unit = np.zeros(len(reg))
        unit[reg.index(name)] = 1.0  # the trophic input is linear in each dose: its weight per nM
        a = a + np.asarray(v, dtype=np.float64) * pathway_inputs(unit, comp)[0][L.PW_TROPHIC]
    a = np.asarray(a, dtype=np.float64)
    return a / (1.0 + a)


@dataclass(frozen=True)
class Hazard:
    """A piecewise-constant hazard: ``rates[i]`` (1/day) holds from ``starts[i]`` to the next start."""

    starts: np.ndarray
    rates: np.ndarray

    def cumulative(self, t: np.ndarray) -> np.ndarray:
        """Cumulative hazard at days ``t`` (exact)."""
        t = np.asarray(t, dtype=np.float64)
        ends = np.append(self.starts[1:], np.inf)
        span = np.clip(t[..., None] - self.starts, 0.0, None)
        span = np.minimum(span, ends - self.starts)
        return (span * self.rates).sum(axis=-1)


def hazard(
    p: np.ndarray,
    genotype: str,
    doses_nM: dict[str, float],
    stress: str | None = None,
    drug: str | None = None,
) -> Hazard:
    """The MN death hazard of an assay (see the module's equation).

    Args:
        p: Parameter array (``death_neuron``, ``trophic_efficacy`` are read).
        genotype: One of :data:`ipscsim.model.GENOTYPES`.
        doses_nM: Registry compound doses, nM, held constant.
        stress: ``None`` or one of :data:`STRESSORS` (applied from day 0).
        drug: ``None`` or one of :data:`DRUGS`.
    """
    from .parameters import genotype_hazard

    hr = genotype_hazard(genotype)
    r = drug_rescue(drug)
    t_sup = trophic_support(doses_nM)
    base = (
        p[L.P_death_neuron]
        * (1.0 + (hr - 1.0) * (1.0 - r))
        * (1.0 - p[L.P_trophic_efficacy] * t_sup)
    )
    if stress is None:
        return Hazard(np.array([0.0]), np.array([base]))
    s = stressor(stress)
    g = genotype if genotype in s.susceptibility else canonical_genotype(genotype)
    extra = s.hazard * s.susceptibility.get(g, 0.0) * (1.0 - r)
    return Hazard(np.array([0.0, s.days]), np.array([base + extra, base]))
