r"""The cell's gene regulatory network: one set of equations for every cell (ABM) or cohort (ODE).

All rates are per day and multiplied by the cell's tempo :math:`\theta = e^{\sigma_t z_t}`. With
:math:`h(x, K) = x^2/(K^2 + x^2)` and :math:`r(x, K) = 1/(1 + (x/K)^2)`:

Pluripotency (bistable switch of the Chickarmane et al. 2006 form, needing SMAD2/3 and FGF):

.. math::
    \dot O = \theta k_O \Big[(1+K_O^2)\, S_T\,(1 - \varphi_F + \varphi_F S_F)\,
        \frac{h(O, K_O)}{1 + (N/K_{NO})^2 + (E/K_{EO})^2 + (S_B/K_{BO})^2 + (S_{RA}/K_{RO})^2}
        - O\Big]

Neural induction, the default when SMAD2/3 and BMP are both low (Chambers et al. 2009), and the
off-target programme it competes with (BMP: non-neural ectoderm; Activin/Nodal: mesendoderm):

.. math::
    \dot N &= \theta k_N \big[(1+K_N^2)(\varepsilon_N\,(r(S_T, K_{TN})\,r(S_B, K_{BN}) + w_R S_{RA})
        + h(N, K_N))
        \,r(O, K_{ON})\,r(E, K_{EN}) - N\big]\\
    \dot E &= \theta k_E \big[(1+K_E^2)(\varepsilon_E (S_B + w_T S_T S_W) + h(E, K_E))
        \,r(O, K_{OE})\,r(N, K_{NE}) - E\big]

RA represses OCT4 (Pikarsky et al. 1994) and induces neural fate (Bain et al. 1995). Neural maturation (SOX1+
definitive neuroectoderm, logistic with a lag) closes the caudalisation window (Li et al. 2005); HOX is
induced by RA or by WNT (potentiated by FGF, the NMP route of Gouti et al. 2014) and kept:

.. math::
    \dot M = \theta k_M \min(N, 1) (m_0 + M)(1 - M), \qquad
    \dot H = \theta k_\mathrm{HOX} (1 - M)\,[1 - (1 - S_{RA})(1 - S_W \tfrac{a + S_F}{1 + a})]\,(1 - H)

Ventral code: GLI activator activity :math:`G` relaxes to the Smoothened input :math:`s` of a neural cell
at the GliA decay rate of Cohen et al. 2015, :math:`\dot G = \theta\lambda k_G (s \min(N, 1) - G)`, so
it persists about a day after an agonist is withdrawn and builds only as cells become neural (which lets
PAX6/IRX3 come first, the pre-pattern the PONI model starts from); it drives the PONI network of
Cohen et al. 2014 with its published parameters
(GliA = G, GliR = 1 - G), production gated by neural identity N and time scaled by :math:`\lambda`
model units per day; NKX6.1 is a class II gene of the same form without repressors:

.. math::
    \dot X = \theta \lambda\big[\alpha N\,\mathcal{H}\big(C K_{Pol,X}\,g_X(s)
        \prod_Y (1 + K_{YX} Y)^{-2}\big) - \delta X\big],\quad
    \mathcal{H}(x) = \frac{x}{1+x},\quad g_X(s) = \frac{1 + f_A K_{Gli,X} s}{1 + K_{Gli,X}}

Notch-Delta lateral inhibition (Collier et al. 1996) with the proneural factor NGN2 as the Delta source,
a neurogenic drive that needs maturation, is raised by OLIG2 and RA and held back by FGF, WNT and OCT4:

.. math::
    \dot{\mathrm{HES}} &= \theta k_\mathrm{HES}
        \Big[\frac{n_\mathrm{in}^2}{a + n_\mathrm{in}^2} - \mathrm{HES}\Big]\\
    \dot G_N &= \theta k_\mathrm{NGN2}\Big[\frac{M (\beta_0 + \beta_O\,\mathrm{OLIG2} + \beta_R S_{RA})\,
        r(S_F, K_F)\,r(S_W, K_W)\,r(O, K_{OG})}{1 + b\,\mathrm{HES}^2} - G_N\Big]

The induced NGN2-ISL1-LHX3 transgene follows dox, and engages the motor neuron programme :math:`Q` with
a lag: :math:`\dot T = k_T (u_\mathrm{dox} - T)`, :math:`\dot Q = k_Q (T - Q)`.
"""

from __future__ import annotations

import numpy as np

from . import layout as L
from .signalling import Signals

__all__ = ["grn_rates", "hill2", "rep2"]


def hill2(x, k):
    """:math:`x^2 / (K^2 + x^2)`."""
    return x * x / (k * k + x * x)


def rep2(x, k):
    """:math:`1 / (1 + (x/K)^2)`."""
    q = x / k
    return 1.0 / (1.0 + q * q)


def _poni_h(x):
    return x / (1.0 + x)


def _prep(k, y):
    q = 1.0 + k * y
    return 1.0 / (q * q)


def grn_rates(y: np.ndarray, sig: Signals, theta: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Time derivatives of the gene levels of cohorts (or cells).

    Args:
        y: ``(n, N_GENES)`` states (the ``PROGENITORS`` column is ignored and its rate left 0).
        sig: Pathway activities for those cohorts.
        theta: Tempo of each cohort.
        p: Parameter array.

    Returns:
        ``(n, N_GENES)`` derivatives, per day.
    """
    o, ne, e, m, hx = (
        y[:, L.G_OCT4],
        y[:, L.G_NEURAL],
        y[:, L.G_OFF],
        y[:, L.G_MAT],
        y[:, L.G_HOX],
    )
    pax, oli, nkx, irx, nk6 = (
        y[:, g] for g in (L.G_PAX6, L.G_OLIG2, L.G_NKX22, L.G_IRX3, L.G_NKX61)
    )
    hes, ngn, tg, gli_a = y[:, L.G_HES], y[:, L.G_NGN2], y[:, L.G_TG], y[:, L.G_GLI]
    out = np.zeros_like(y)

    ko = p[L.P_K_oct4]
    share = p[L.P_fgf_share_pluripotency]
    support = (1.0 + ko * ko) * sig.tgf * (1.0 - share + share * sig.fgf)
    support_den = (
        1.0
        + (ne / p[L.P_K_ne_oct4]) ** 2
        + (e / p[L.P_K_off_oct4]) ** 2
        + (sig.bmp / p[L.P_K_bmp_oct4]) ** 2
        + (sig.ra / p[L.P_K_ra_oct4]) ** 2
    )
    out[:, L.G_OCT4] = theta * p[L.P_k_oct4] * (support * hill2(o, ko) / support_den - o)

    kn = p[L.P_K_neural]
    permissive = rep2(sig.tgf, p[L.P_K_tgf_neural]) * rep2(sig.bmp, p[L.P_K_bmp_neural])
    ne_prod = (
        (1.0 + kn * kn)
        * (p[L.P_eps_neural] * (permissive + p[L.P_ra_neural] * sig.ra) + hill2(ne, kn))
        * rep2(o, p[L.P_K_oct4_neural])
        * rep2(e, p[L.P_K_off_neural])
    )
    out[:, L.G_NEURAL] = theta * p[L.P_k_neural] * (ne_prod - ne)

    drive = sig.bmp + p[L.P_w_tgf_offtarget] * sig.tgf * sig.wnt
    ke = p[L.P_K_offtarget]
    e_prod = (
        (1.0 + ke * ke)
        * (p[L.P_eps_offtarget] * drive + hill2(e, ke))
        * rep2(o, p[L.P_K_oct4_offtarget])
        * rep2(ne, p[L.P_K_neural_offtarget])
    )
    out[:, L.G_OFF] = theta * p[L.P_k_offtarget] * (e_prod - e)

    nep = np.clip(ne, 0.0, 1.0)
    out[:, L.G_MAT] = theta * p[L.P_k_maturation] * nep * (p[L.P_maturation_seed] + m) * (1.0 - m)

    a = p[L.P_fgf_wnt_hox]
    caud = 1.0 - (1.0 - sig.ra) * (1.0 - sig.wnt * (a + sig.fgf) / (1.0 + a))
    out[:, L.G_HOX] = theta * p[L.P_k_hox] * (1.0 - m) * caud * (1.0 - hx)

    # GLI activity, then PONI (Cohen et al. 2014) with GliA = G, GliR = 1 - G
    fa, cpol = p[L.P_poni_fA], p[L.P_poni_CPol]
    alpha, delta = p[L.P_poni_alpha], p[L.P_poni_delta]
    rate = theta * p[L.P_lambda_poni]
    out[:, L.G_GLI] = rate * p[L.P_k_gli] * (sig.gli * nep - gli_a)
    s = np.clip(gli_a, 0.0, 1.0)

    def gli(kg):
        return (1.0 + fa * kg * s) / (1.0 + kg)

    prod_pax = _poni_h(
        p[L.P_K_Pol_Pax] * cpol * _prep(p[L.P_K_Oli_Pax], oli) * _prep(p[L.P_K_Nkx_Pax], nkx)
    )
    prod_oli = _poni_h(
        p[L.P_K_Pol_Oli]
        * cpol
        * gli(p[L.P_K_Gli_Oli])
        * _prep(p[L.P_K_Nkx_Oli], nkx)
        * _prep(p[L.P_K_Irx_Oli], irx)
    )
    prod_nkx = _poni_h(
        p[L.P_K_Pol_Nkx]
        * cpol
        * gli(p[L.P_K_Gli_Nkx])
        * _prep(p[L.P_K_Pax_Nkx], pax)
        * _prep(p[L.P_K_Oli_Nkx], oli)
        * _prep(p[L.P_K_Irx_Nkx], irx)
    )
    prod_irx = _poni_h(
        p[L.P_K_Pol_Irx] * cpol * _prep(p[L.P_K_Oli_Irx], oli) * _prep(p[L.P_K_Nkx_Irx], nkx)
    )
    prod_nk6 = _poni_h(p[L.P_K_Pol_Nkx6] * cpol * gli(p[L.P_K_Gli_Nkx6]))
    out[:, L.G_PAX6] = rate * (alpha * nep * prod_pax - delta * pax)
    out[:, L.G_OLIG2] = rate * (alpha * nep * prod_oli - delta * oli)
    out[:, L.G_NKX22] = rate * (alpha * nep * prod_nkx - delta * nkx)
    out[:, L.G_IRX3] = rate * (alpha * nep * prod_irx - delta * irx)
    out[:, L.G_NKX61] = rate * (alpha * nep * prod_nk6 - delta * nk6)

    # Notch-Delta (Collier et al. 1996) with NGN2 as Delta
    nin = sig.notch_in
    out[:, L.G_HES] = theta * p[L.P_k_hes] * (nin * nin / (p[L.P_collier_a] + nin * nin) - hes)
    drive_ng = (
        np.maximum(m, 0.0)
        * (p[L.P_ngn2_basal] + p[L.P_ngn2_olig2] * oli + p[L.P_ngn2_ra] * sig.ra)
        * rep2(sig.fgf, p[L.P_K_fgf_ngn2])
        * rep2(sig.wnt, p[L.P_K_wnt_ngn2])
        * rep2(o, p[L.P_K_oct4_ngn2])
    )
    out[:, L.G_NGN2] = (
        theta * p[L.P_k_ngn2] * (drive_ng / (1.0 + p[L.P_collier_b] * hes * hes) - ngn)
    )

    out[:, L.G_TG] = p[L.P_k_transgene] * (sig.dox - tg)
    out[:, L.G_PRG] = p[L.P_k_programme] * (tg - y[:, L.G_PRG])
    return out
