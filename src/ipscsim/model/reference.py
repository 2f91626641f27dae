"""The plain-numpy right-hand side of the ODE model.

It is the reference the compiled kernels are tested against, and the right-hand side a scipy user would
integrate (see ``benchmarks/bench_ode.py``).

``rhs(t, y, p, u, comp, nodes)`` has the engines' signature without the output argument: ``y`` is the
state of one run (:mod:`ipscsim.model.layout`), ``p`` the parameters, ``u`` the segment's inputs (last
media change, format, seeding, genotype hazard, nominal concentrations), ``comp`` the compound table and
``nodes`` the cohorts' heterogeneity draws and weights.
"""

from __future__ import annotations

import math

import numpy as np

from . import layout as L
from .grn import grn_rates
from .pharmacology import concentrations, pathway_inputs
from .population import dissociation_hazard, fate_split, progenitor_rates
from .signalling import signals

__all__ = ["MeanField", "mean_field", "rhs"]


class MeanField:
    """Population-level quantities every cohort sees: Nodal, mean Delta, occupancy, totals."""

    __slots__ = ("bmp_source", "delta_mean", "nodal", "occupancy", "progenitors", "total")

    def __init__(self, nodal, delta_mean, occupancy, total, progenitors, bmp_source):
        self.nodal, self.delta_mean, self.occupancy = nodal, delta_mean, occupancy
        self.total, self.progenitors, self.bmp_source = total, progenitors, bmp_source


def mean_field(y: np.ndarray, p: np.ndarray, u: np.ndarray, n_cohorts: int) -> MeanField:
    """Compute the mean-field quantities of a state."""
    coh = y[: n_cohorts * L.N_GENES].reshape(n_cohorts, L.N_GENES)
    glob = y[n_cohorts * L.N_GENES :]
    prog = coh[:, L.G_PROG]
    n_prog = prog.sum()
    total = n_prog + glob[list(L.NEURON_GLOBALS)].sum()
    rho = u[L.U_N0] / (u[L.U_AREA] * p[L.P_density_ref])
    nodal = (
        p[L.P_tgf_autocrine]
        * rho
        * np.sum(
            prog
            * (
                np.maximum(coh[:, L.G_OCT4], 0.0)
                + p[L.P_tgf_autocrine_offtarget] * np.maximum(coh[:, L.G_OFF], 0.0)
            )
        )
    )
    delta = np.sum(prog * np.maximum(coh[:, L.G_NGN2], 0.0)) / n_prog if n_prog > 1e-300 else 0.0
    cap = p[L.P_capacity_suspension] if u[L.U_FORMAT] > 0.5 else p[L.P_capacity_adherent]
    occupancy = total * u[L.U_N0] / (cap * u[L.U_AREA])
    # share of live cells that are neither pluripotent nor neural (neurons count as neural)
    committed = np.sum(
        prog
        * np.minimum(1.0, np.maximum(coh[:, L.G_OCT4], 0.0) + np.maximum(coh[:, L.G_NEURAL], 0.0))
    )
    bmp_source = max(0.0, 1.0 - (committed + (total - n_prog)) / total) if total > 1e-300 else 0.0
    return MeanField(nodal, delta, occupancy, total, n_prog, bmp_source)


def rhs(t, y, p, u, comp, nodes):
    """Time derivative of the full state of one run (per day)."""
    k = nodes.shape[0]
    coh = y[: k * L.N_GENES].reshape(k, L.N_GENES)
    glob = y[k * L.N_GENES :]
    mf = mean_field(y, p, u, k)
    a, f, z = pathway_inputs(concentrations(t, u, comp), comp)
    phi = np.exp(p[L.P_sigma_sensitivity] * nodes[:, L.Z_SENS])
    theta = np.exp(p[L.P_sigma_tempo] * nodes[:, L.Z_TEMPO])
    sig = signals(a, f, z, phi, p, mf.nodal, mf.delta_mean, u[L.U_FORMAT] > 0.5, mf.bmp_source)

    dcoh = grn_rates(coh, sig, theta, p)
    stress = glob[L.X_STRESS]
    haz = dissociation_hazard(p, stress, sig.rock_free)
    div, death, ng, tg = progenitor_rates(coh, sig, p, mf.occupancy, haz)
    prog = coh[:, L.G_PROG]
    dcoh[:, L.G_PROG] = prog * (div - death - ng - tg)

    mn, v3, v2, rn, h = fate_split(coh, p)
    m = p[L.P_mn_fraction_programmed]
    patterned = prog * (ng + tg * (1.0 - m))
    birth_mn = np.sum(patterned * mn + prog * tg * m * h)
    birth_mn_hn = np.sum(prog * tg * m * (1.0 - h))

    trophic = 1.0 - p[L.P_trophic_efficacy] * sig.trophic
    mu_n = p[L.P_death_neuron] * trophic + haz * p[L.P_neuron_dissociation_factor]
    mu_mn = (
        p[L.P_death_neuron] * u[L.U_MN_HAZARD] * trophic + haz * p[L.P_neuron_dissociation_factor]
    )
    chat = p[L.P_chat_rate]

    dg = np.zeros_like(glob)
    dg[L.X_MN] = birth_mn - (mu_mn + chat) * glob[L.X_MN]
    dg[L.X_MN_CHAT] = chat * glob[L.X_MN] - mu_mn * glob[L.X_MN_CHAT]
    dg[L.X_MN_HN] = birth_mn_hn - (mu_mn + chat) * glob[L.X_MN_HN]
    dg[L.X_MN_CHAT_HN] = chat * glob[L.X_MN_HN] - mu_mn * glob[L.X_MN_CHAT_HN]
    dg[L.X_V3] = np.sum(patterned * v3) - mu_n * glob[L.X_V3]
    dg[L.X_V2] = np.sum(patterned * v2) - mu_n * glob[L.X_V2]
    dg[L.X_RN] = np.sum(patterned * rn) - mu_n * glob[L.X_RN]
    dg[L.X_STRESS] = -p[L.P_stress_recovery] * stress
    dg[L.X_CUM_DIV] = np.sum(prog * div)
    mns = glob[L.X_MN] + glob[L.X_MN_CHAT] + glob[L.X_MN_HN] + glob[L.X_MN_CHAT_HN]
    dg[L.X_CUM_DEATH] = (
        np.sum(prog * death) + mu_mn * mns + mu_n * (glob[L.X_V3] + glob[L.X_V2] + glob[L.X_RN])
    )
    return np.concatenate([dcoh.ravel(), dg])


def pluripotent_oct4(p: np.ndarray) -> float:
    """OCT4 level of the pluripotent steady state under full support (the upper root of the switch)."""
    k = p[L.P_K_oct4]
    s = 1.0 + k * k
    return 0.5 * (s + math.sqrt(s * s - 4.0 * k * k))
