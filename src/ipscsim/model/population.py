r"""Population dynamics: division, death, neurogenesis (with the fate choice), maturation.

Progenitors of cohort :math:`k` (count :math:`P_k`) divide, die and exit to neurons:

.. math::
    \dot P_k = P_k\,(\lambda_\mathrm{div} - \mu - \lambda_\mathrm{ng} - \lambda_\mathrm{tg})

* division: :math:`\lambda_\mathrm{div} = \ln 2\,[w_O/T_\mathrm{PSC} + w_E/T_\mathrm{off} +
  w_N (1 + b \max(S_F, S_W))/T_\mathrm{NP}]\,\max(0, 1 - N/N_\mathrm{cap})` with
  :math:`w_O = \mathrm{clip}(O)`, :math:`w_E = \mathrm{clip}(E, 0, 1 - w_O)`, :math:`w_N = 1 - w_O - w_E`
  (contact inhibition at the vessel's capacity);
* death: :math:`\mu = \mu_\mathrm{PSC} w_O + \mu_\mathrm{NP}(1 - w_O)
  + \mu_d R\,(1 - e_R(1 - F_\mathrm{ROCK}))`
  where :math:`R` is the dissociation stress (1 after dissociation, decaying at :math:`k_R`) and
  :math:`\mu_d = k_R \ln(1/s_d)` makes :math:`s_d` the survival of a dissociation without ROCK inhibitor;
* neurogenesis: :math:`\lambda_\mathrm{ng} = k_\mathrm{ng}\,h(\mathrm{NGN2}, K_\mathrm{ng})` and
  programming :math:`\lambda_\mathrm{tg} = k_\mathrm{tg}\,h(Q, K_T)` (:math:`Q` the engaged
  programme, see :mod:`ipscsim.model.grn`).

A newborn neuron's identity is drawn from its progenitor's state through the gates of
:mod:`ipscsim.model.gates` with the fate noise: with :math:`h, n, o` the probabilities that HOX, NKX2.2,
OLIG2 are "on", the patterned identities are MN :math:`h(1-n)o`, V3 :math:`hn`, V2 :math:`h(1-n)(1-o)`,
rostral :math:`1-h`. A programmed neuron is an MN with probability :math:`m`, else patterned.

Neurons die at :math:`\mu_n (1 - e_T T)` (:math:`T` trophic support) times the genotype's hazard ratio
for MNs, plus dissociation death; MNs become CHAT+ at rate :math:`k_\mathrm{CHAT}`.
"""

from __future__ import annotations

import math

import numpy as np

from . import layout as L
from .gates import gate
from .grn import hill2

__all__ = ["dissociation_hazard", "fate_split", "progenitor_rates"]


def dissociation_hazard(p: np.ndarray, stress: float, rock_free: float) -> float:
    """Death hazard (1/day) from dissociation stress, after any ROCK inhibition."""
    mu_d = p[L.P_stress_recovery] * math.log(1.0 / p[L.P_dissociation_survival])
    return mu_d * stress * (1.0 - p[L.P_rock_efficacy] * (1.0 - rock_free))


def progenitor_rates(y, sig, p, occupancy, hazard_diss):
    """Per-cell division, death, neurogenesis and programming rates of cohorts.

    Args:
        y: ``(n, N_GENES)`` cohort states.
        sig: :class:`~ipscsim.model.signalling.Signals` of the cohorts.
        p: Parameter array.
        occupancy: Live cells over the vessel's capacity.
        hazard_diss: Dissociation hazard from :func:`dissociation_hazard`.

    Returns:
        Tuple ``(division, death, neurogenesis, programming)`` of arrays, per day.
    """
    wo = np.clip(y[:, L.G_OCT4], 0.0, 1.0)
    we = np.clip(y[:, L.G_OFF], 0.0, 1.0 - wo)
    wn = 1.0 - wo - we
    mito = 1.0 + p[L.P_mitogen_boost] * np.maximum(sig.fgf, sig.wnt)
    ln2d = math.log(2.0) * 24.0
    division = (
        ln2d
        * (wo / p[L.P_cycle_psc] + we / p[L.P_cycle_offtarget] + wn * mito / p[L.P_cycle_np])
        * max(0.0, 1.0 - occupancy)
    )
    death = p[L.P_death_psc] * wo + p[L.P_death_np] * (1.0 - wo) + hazard_diss
    ng = np.maximum(y[:, L.G_NGN2], 0.0)
    tg = np.maximum(y[:, L.G_PRG], 0.0)
    neurogenesis = p[L.P_k_neurogenesis] * hill2(ng, p[L.P_K_neurogenesis])
    programming = p[L.P_k_programming] * hill2(tg, p[L.P_K_transgene])
    return division, death, neurogenesis, programming


def fate_split(y, p):
    """Identity probabilities of a neuron born from each cohort: ``(mn, v3, v2, rostral, hox_on)``."""
    th, sd = p[L.P_gate_threshold], p[L.P_sigma_fate]
    h = gate(y[:, L.G_HOX], th, sd)
    n = gate(y[:, L.G_NKX22], th, sd)
    o = gate(y[:, L.G_OLIG2], th, sd)
    return h * (1.0 - n) * o, h * n, h * (1.0 - n) * (1.0 - o), 1.0 - h, h
