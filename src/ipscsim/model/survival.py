r"""Motor-neuron survival: the hazard of death by genotype, trophic support, stressor and drug.

One hazard, shared with the differentiation model: :func:`mn_death_rate` evaluates the model's own
``mu_mn`` (and ``mu_n`` for interneurons) from :mod:`ipscsim.model.network`, so a survival assay and a
differentiation run with the same doses and genotype kill MNs at the same rate:

.. math::

    h(t) = \mu_n\,\big[R_g (1 - e_T) + D_g\, e_T (1 - T)\big]
         + \sum_s h_s\,\sigma_{s g}\,(1 - r_d)\,\mathbb{1}[t < \tau_s]

* :math:`\mu_n` (``death_neuron``) the death rate of neurons without trophic support, :math:`e_T`
  (``trophic_efficacy``) the largest share of it trophic support prevents;
* :math:`T = 1 - \prod_r (1 - s_r F_r\,\mathrm{sat}(\rho_r A_r))` the neurotrophic support: each
  receptor pathway :math:`r` (GFRA1/RET for GDNF, TrkB for BDNF, CNTFR/LIFR/gp130 for CNTF, IGF1R for
  IGF-1 and the medium's insulin) saturates on its own at its share :math:`s_r`
  (``trophic_share_*``), with its receptor level :math:`\rho_r` (``receptor_*``; 0 removes it) and its
  input :math:`A_r` in EC50 units from :func:`ipscsim.model.pharmacology.pathway_inputs`; the
  receptors act independently, so two factors on different receptors add less than their sum and a
  second dose on the same receptor adds little;
* :math:`R_g` and :math:`D_g` the genotype's hazard ratios (``model/data/genotypes.csv``) of the death
  support cannot prevent and of the death that follows its lack: C9orf72 MNs survive like control MNs
  with factors and die faster without them (Shi et al. 2018), TDP-43 M337V MNs die faster when PI3K,
  downstream of the receptors, is inhibited (Bilican et al. 2012);
* a stressor ``s`` adds a hazard :math:`h_s` for :math:`\tau_s` days to MNs of susceptibility
  :math:`\sigma_{sg}`, or blocks a share of every receptor's signalling (``pi3k_inhibition``)
  (``model/data/survival.csv``: a glutamate pulse kills C9orf72 but not control MNs, Shi et al. 2018;
  ALS astrocytes kill MNs of every genotype and spare interneurons, Di Giorgio et al. 2008; ER
  stressors kill ALS MNs more than control MNs, Watts et al. 2024);
* a drug removes the share :math:`r_d` of the disease part: the genotype's excess hazards
  (:math:`R_g - 1`, :math:`D_g - 1`) and the stressor's (retigabine, bosutinib, ropinirole, a MAP4K4
  inhibitor; none changes control MNs without stress).
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
from .secretion import SURVIVAL_RECEPTORS

__all__ = [
    "DRUGS",
    "STRESSORS",
    "Hazard",
    "canonical_genotype",
    "drug_reported_in",
    "drug_rescue",
    "hazard",
    "mn_death_rate",
    "stressor",
    "trophic_support",
    "trophic_support_array",
]


@lru_cache(maxsize=1)
def _table() -> list[dict[str, str]]:
    text = resources.files("ipscsim.model").joinpath("data/survival.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


#: Stressors of the survival assay.
STRESSORS: tuple[str, ...] = ("glutamate", "als_astrocytes", "pi3k_inhibition", "er_stress")
#: The neurotrophic receptor pathways of MN survival (:data:`ipscsim.protocols.PATHWAYS`).
RECEPTORS: tuple[str, ...] = SURVIVAL_RECEPTORS
#: Neurons an assay can follow: MNs die at ``mu_mn`` (genotype and stressors apply), interneurons at
#: ``mu_n`` (spared by ALS astrocytes, Di Giorgio et al. 2008).
CELL_KINDS: tuple[str, ...] = ("MN", "interneuron")
#: Drugs with a reported rescue of ALS MN survival.
DRUGS: tuple[str, ...] = ("retigabine", "bosutinib", "ropinirole", "map4k4_inhibitor")


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
    """A stressor of the survival assay.

    Attributes:
        name: Its name in ``survival.csv``.
        hazard: The hazard it adds (1/day).
        days: How long it lasts (days from the assay's start).
        susceptibility: Each genotype's susceptibility to the added hazard (and ``interneuron``'s).
        block: The share of every neurotrophic receptor's survival signalling it blocks (a PI3K
            inhibitor acts downstream of all four).
    """

    name: str
    hazard: float
    days: float
    susceptibility: dict[str, float]
    block: float = 0.0


def stressor(name: str) -> Stressor:
    """A stressor from ``survival.csv``."""
    name = _choose(name, STRESSORS, "stress")
    rows = [r for r in _table() if r["kind"] == "stress" and r["name"] == name]
    get = {r["parameter"]: float(r["value"]) for r in rows if not r["genotype"]}
    sus = {r["genotype"]: float(r["value"]) for r in rows if r["parameter"] == "susceptibility"}
    return Stressor(name, get["hazard"], get["hazard_days"], sus, get.get("block", 0.0))


def drug_rescue(name: str | None) -> float:
    """Share of the disease hazard a drug removes (0 for ``None``)."""
    name = _choose(name, DRUGS, "drug")
    if name is None:
        return 0.0
    for r in _table():
        if r["kind"] == "drug" and r["name"] == name and r["parameter"] == "rescue":
            return float(r["value"])
    raise ParameterError(f"drug: no rescue value for {name!r} in survival.csv")  # pragma: no cover


def drug_reported_in(name: str) -> tuple[str, ...]:
    """Genotypes whose MNs a drug was reported to rescue (``survival.csv``; gene-level where noted)."""
    name = _choose(name, DRUGS, "drug")
    return tuple(
        r["genotype"]
        for r in _table()
        if r["kind"] == "drug" and r["name"] == name and r["parameter"] == "reported"
    )


@lru_cache(maxsize=4)
def _equations(target: str) -> tuple:
    """The ``MEDIUM`` and ``SHARED`` equations that ``target`` depends on, in order (one source)."""
    from .expr import needed
    from .network import network

    net = network()
    return needed([*net.medium, *net.shared], {target})


@lru_cache(maxsize=1)
def _unit_inputs() -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray]:
    """Per registry compound and pathway: agonist input, inhibitor load and antagonist load per nM."""
    from ..protocols.compounds import registry
    from .pharmacology import compound_table, pathway_inputs

    reg, comp = registry(), compound_table()
    names = tuple(c.name for c in reg)
    a = np.zeros((len(reg), L.N_PATHWAYS))
    i, z = np.zeros_like(a), np.zeros_like(a)
    for j in range(len(reg)):
        unit = np.zeros(len(reg))
        unit[j] = 1.0
        aj, fj, zj = pathway_inputs(unit, comp)  # each is linear in the dose: its weight per nM
        a[j], i[j], z[j] = aj, 1.0 / fj - 1.0, zj - 1.0
    return names, a, i, z


def _signal_env(
    doses_nM: dict[str, Any], p: np.ndarray | None, block: float = 0.0
) -> dict[str, Any]:
    """Parameters, derived values and the pathway inputs ``A_X``, ``F_X``, ``Z_X`` of the doses (nM).

    Doses may be arrays (broadcast together); the engines' pathway arithmetic, exactly. ``block``
    scales the activity of every neurotrophic receptor pathway by ``1 - block`` (as an inhibitor
    downstream of them does).
    """
    from ..protocols.compounds import PATHWAYS, registry
    from .parameters import default_params
    from .reference import derived

    names, wa, wi, wz = _unit_inputs()
    reg = registry()
    a: list[Any] = [0.0] * L.N_PATHWAYS
    i: list[Any] = [0.0] * L.N_PATHWAYS
    z: list[Any] = [0.0] * L.N_PATHWAYS
    for name, v in doses_nM.items():
        j = names.index(reg.get(name).name)
        v = np.asarray(v, dtype=np.float64)
        for q in np.nonzero(wa[j] + wi[j] + wz[j])[0]:
            a[q], i[q], z[q] = a[q] + v * wa[j, q], i[q] + v * wi[j, q], z[q] + v * wz[j, q]
    env = derived(default_params() if p is None else p)
    for q, pw in enumerate(PATHWAYS):
        env[f"A_{pw}"], env[f"F_{pw}"], env[f"Z_{pw}"] = a[q], 1.0 / (1.0 + i[q]), 1.0 + z[q]
        if pw in RECEPTORS:
            env[f"F_{pw}"] = env[f"F_{pw}"] * (1.0 - float(block))
    return env


def trophic_support(doses_nM: dict[str, float], p: np.ndarray | None = None) -> float:
    """Neurotrophic support ``trophic`` of compound doses (nM), from the model's own equation.

    Each receptor (GFRA1/RET, TrkB, CNTFR/gp130, IGF1R) saturates on its own and the receptors act
    independently (:mod:`ipscsim.model.network`, ``SHARED``); ``p`` the parameters (default values).
    """
    from .expr import evaluate

    return float(evaluate(list(_equations("trophic")), _signal_env(doses_nM, p))["trophic"])


def trophic_support_array(
    doses_nM: dict[str, np.ndarray], p: np.ndarray | None = None
) -> np.ndarray:
    """:func:`trophic_support` of arrays of doses (nM) at once (broadcast together)."""
    from .expr import evaluate

    out = evaluate(list(_equations("trophic")), _signal_env(doses_nM, p))["trophic"]
    shape = np.broadcast_shapes(*(np.shape(v) for v in doses_nM.values())) if doses_nM else ()
    return np.broadcast_to(np.asarray(out, dtype=np.float64), shape).copy()


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


def mn_death_rate(
    doses_nM: dict[str, float],
    p: np.ndarray | None = None,
    mn_hazard: float = 1.0,
    mn_deprivation: float = 1.0,
    block: float = 0.0,
    cell: str = "MN",
) -> float:
    """Death rate (1/day) of neurons held at constant doses (nM), undissociated.

    The differentiation model's own ``mu_mn`` (``cell="MN"``) or ``mu_n`` (``"interneuron"``), so an
    assay and a differentiation run with the same doses and genotype kill neurons at the same rate;
    ``block`` is the share of neurotrophic receptor signalling blocked (see :class:`Stressor`).
    """
    from .expr import evaluate

    target = "mu_mn" if _choose(cell, CELL_KINDS, "cell") == "MN" else "mu_n"
    env = _signal_env(doses_nM, p, block)
    env.update(stress=0.0, mn_hazard=float(mn_hazard), mn_deprivation=float(mn_deprivation))
    return float(evaluate(list(_equations(target)), env)[target])


def hazard(
    p: np.ndarray,
    genotype: str,
    doses_nM: dict[str, float],
    stress: str | None = None,
    drug: str | None = None,
    cell: str = "MN",
) -> Hazard:
    """The death hazard of an assay's neurons (see the module's equation).

    Args:
        p: Parameter array.
        genotype: One of :data:`ipscsim.model.GENOTYPES`.
        doses_nM: Registry compound doses, nM, held constant (factors and the medium's components).
        stress: ``None`` or one of :data:`STRESSORS` (applied from day 0).
        drug: ``None`` or one of :data:`DRUGS`.
        cell: ``"MN"`` or ``"interneuron"`` (interneurons carry no MN genotype effect).
    """
    from .parameters import genotype_deprivation, genotype_hazard

    genotype = canonical_genotype(genotype)
    cell = _choose(cell, CELL_KINDS, "cell")
    r = drug_rescue(drug)
    hr = 1.0 + (genotype_hazard(genotype) - 1.0) * (1.0 - r)
    dr = 1.0 + (genotype_deprivation(genotype) - 1.0) * (1.0 - r)
    base = mn_death_rate(doses_nM, p, hr, dr, 0.0, cell)
    if stress is None:
        return Hazard(np.array([0.0]), np.array([base]))
    s = stressor(stress)
    who = genotype if cell == "MN" else "interneuron"
    extra = s.hazard * s.susceptibility.get(who, 0.0) * (1.0 - r)
    during = mn_death_rate(doses_nM, p, hr, dr, s.block, cell) if s.block else base
    return Hazard(np.array([0.0, s.days]), np.array([during + extra, base]))
