"""Compiled right-hand side of the model (numba): the kernel both engines share.

The equations of :mod:`ipscsim.model.reference` (read that module for them), written as scalar loops
so that nothing is allocated, with the gene network's divisions merged (see :func:`cell_derivs`).
``tests/test_kernels.py`` holds the two to each other (to 1e-11).

Signature: ``rhs(t, y, p, u, comp, nodes, work, out)``. ``work`` holds :func:`work_size` floats: each
cohort's sensitivity and tempo, pathway scratch, and the parameters' reciprocals (the first and the last
filled once per run by :func:`prepare_work`), so one compilation serves every protocol and parameter set.
"""

from __future__ import annotations

import math

import numpy as np

from ..model import layout as L
from ..model.layout import (
    C_DECAY,
    C_EFFICACY,
    C_MODE,
    C_PATHWAY,
    C_POTENCY,
    G_GLI,
    G_HES,
    G_HOX,
    G_IRX3,
    G_MAT,
    G_NEURAL,
    G_NGN2,
    G_NKX22,
    G_NKX61,
    G_OCT4,
    G_OFF,
    G_OLIG2,
    G_PAX6,
    G_PRG,
    G_PROG,
    G_TG,
    N_GENES,
    N_PATHWAYS,
    U_AREA,
    U_CONC,
    U_FORMAT,
    U_MN_HAZARD,
    U_N0,
    U_T_CHANGE,
    X_CUM_DEATH,
    X_CUM_DIV,
    X_MN,
    X_MN_CHAT,
    X_MN_CHAT_HN,
    X_MN_HN,
    X_RN,
    X_STRESS,
    X_V2,
    X_V3,
    Z_SENS,
    Z_TEMPO,
)
from ._jit import jit

__all__ = [
    "EXPECTED_LAYOUT_HASH",
    "WORK_SCRATCH",
    "cell_derivs",
    "cell_signals",
    "gate",
    "pathway_inputs",
    "prepare_work",
    "reciprocals",
    "rhs",
    "shared_signals",
    "signal_terms",
    "work_size",
]

#: The layout these kernels were written (and cached) for; see :mod:`ipscsim.model.layout`.
EXPECTED_LAYOUT_HASH = 3852040338
if L.LAYOUT_HASH != EXPECTED_LAYOUT_HASH:  # pragma: no cover - a development guard
    raise ImportError(
        f"ipscsim.model.layout changed (hash {L.LAYOUT_HASH}); review engines/kernels.py and set "
        "EXPECTED_LAYOUT_HASH to it (this also invalidates the numba cache of stale kernels)"
    )

_SQRT2 = math.sqrt(2.0)
_LN2_PER_DAY = math.log(2.0) * 24.0
_W_A = 0  # offsets after the 2K head: pathway scratch, then the parameters' reciprocals
_W_F = N_PATHWAYS
_W_Z = 2 * N_PATHWAYS
_W_INV = 3 * N_PATHWAYS
_W_SCRATCH = 3 * N_PATHWAYS + L.N_PARAMS
WORK_SCRATCH = _W_SCRATCH


def work_size(n_cohorts: int) -> int:
    """Scratch floats a run needs."""
    return 2 * n_cohorts + _W_SCRATCH


@jit(inline="always")
def reciprocals(p, ip):
    """``ip[i] = 1 / p[i]``: what :func:`cell_derivs` multiplies by instead of dividing."""
    for i in range(p.shape[0]):
        ip[i] = 1.0 / p[i]


@jit
def prepare_work(p, nodes, work):
    """Fill ``work`` with each cohort's sensitivity and tempo, and the parameters' reciprocals."""
    k = nodes.shape[0]
    for i in range(k):
        work[i] = math.exp(p[L.P_sigma_sensitivity] * nodes[i, Z_SENS])
        work[k + i] = math.exp(p[L.P_sigma_tempo] * nodes[i, Z_TEMPO])
    reciprocals(p, work[2 * k + _W_INV : 2 * k + _W_INV + L.N_PARAMS])


@jit(inline="always")
def _hill2(x, k):
    return x * x / (k * k + x * x)


@jit(inline="always")
def _rep2(x, k):
    q = x / k
    return 1.0 / (1.0 + q * q)


@jit(inline="always")
def gate(x, threshold, sigma):
    r""":math:`\Phi(\ln(x/\theta)/\sigma)`, 0 for ``x <= 0`` (see :mod:`ipscsim.model.gates`)."""
    if x <= 0.0:
        return 0.0
    return 0.5 * math.erfc(-math.log(x / threshold) / (sigma * _SQRT2))


@jit(inline="always")
def cell_signals(phi, a, f, z, p):
    """WNT, RA and SHH (Smoothened) activities of a cell with morphogen sensitivity ``phi``.

    Returns:
        ``(s_w, s_ra, s_in)``.
    """
    hn = p[L.P_hill_wnt]
    lw = (phi * a[L.PW_WNT] + p[L.P_wnt_basal]) / z[L.PW_WNT]
    # hn = 2 (the default): a product instead of pow(); lw >= 0
    lwn = lw * lw if hn == 2.0 else (lw**hn if lw > 0.0 else 0.0)
    s_w = f[L.PW_WNT] * lwn / (1.0 + lwn)
    lr = phi * a[L.PW_RA] / z[L.PW_RA]
    s_ra = f[L.PW_RA] * lr / (1.0 + lr)
    lh = phi * a[L.PW_SHH] / z[L.PW_SHH]
    s_in = f[L.PW_SHH] * lh / (1.0 + lh)
    return s_w, s_ra, s_in


@jit(inline="always")
def cell_derivs(y, o, out, oo, theta, sig, s_t, s_b, s_f, terms, dox, growth, haz, p, ip):
    """Gene-network derivatives of one cell or cohort, and its per-cell event rates.

    The state is ``y[o:o + N_GENES]``; derivatives go to ``out[oo:oo + N_GENES]`` (the ``PROGENITORS``
    entry is left to the caller). Both engines call this function: the ODE engine for each cohort,
    the agent-based engine for each cell, so the biology is written once.

    The equations are those of :mod:`ipscsim.model.reference`, with the divisions merged: a product of
    Hill repressions ``1 / ((1 + q1^2)(1 + q2^2))`` is one division, ``x / (1 + x)`` of a product of
    promoter terms is ``A / (D + A)``, and a division by a parameter is a product with its reciprocal
    from ``ip`` (divisions are the costliest arithmetic here: 11 per call instead of 46).

    Args:
        y: State array holding the cell.
        o: Offset of the cell's genes in ``y``.
        out: Derivative array.
        oo: Offset in ``out``.
        theta: The cell's tempo factor.
        sig: The cell's ``(s_w, s_ra, s_in)`` from :func:`cell_signals`.
        s_t: SMAD2/3 activity the cell sees.
        s_b: SMAD1/5/8 activity the cell sees.
        s_f: FGF/ERK activity the cell sees.
        terms: The cell's signal terms from :func:`signal_terms` (pluripotency support, BMP
            repression, neural permissiveness, HES target).
        dox: Transgene inducer activity.
        growth: Contact-inhibition factor on division (1 - occupancy, >= 0).
        haz: Dissociation death hazard.
        p: Parameter array.
        ip: Reciprocals of the parameters, ``1 / p`` (:func:`reciprocals`).

    Returns:
        ``(division, death, neurogenesis, programming)`` rates per day.
    """
    s_w, s_ra, s_in = sig
    oc = y[o + G_OCT4]
    ne = y[o + G_NEURAL]
    e = y[o + G_OFF]
    m = y[o + G_MAT]
    hx = y[o + G_HOX]
    pax = y[o + G_PAX6]
    oli = y[o + G_OLIG2]
    nkx = y[o + G_NKX22]
    irx = y[o + G_IRX3]
    nk6 = y[o + G_NKX61]
    hes = y[o + G_HES]
    ngn = y[o + G_NGN2]
    tg = y[o + G_TG]
    gli_a = y[o + G_GLI]
    prg = y[o + G_PRG]
    oc2 = oc * oc
    ne2 = ne * ne
    e2 = e * e

    support0, bmp_oct, permissive, hes_target = terms
    ko = p[L.P_K_oct4]
    q1 = ne * ip[L.P_K_ne_oct4]
    q2 = e * ip[L.P_K_off_oct4]
    q3 = s_ra * ip[L.P_K_ra_oct4]
    den = 1.0 + q1 * q1 + q2 * q2 + bmp_oct * bmp_oct + q3 * q3
    # support * hill2(oc, ko) / den
    out[oo + G_OCT4] = theta * p[L.P_k_oct4] * (support0 * oc2 / ((ko * ko + oc2) * den) - oc)

    # (1 + kn^2) (eps * drive + hill2(ne, kn)) * rep2(oc, K1) * rep2(e, K2), one division
    kn2 = p[L.P_K_neural] * p[L.P_K_neural]
    r1 = oc * ip[L.P_K_oct4_neural]
    r2 = e * ip[L.P_K_off_neural]
    eps_n = p[L.P_eps_neural] * (permissive + p[L.P_ra_neural] * s_ra)
    ne_prod = (
        (1.0 + kn2)
        * (eps_n * (kn2 + ne2) + ne2)
        / ((kn2 + ne2) * (1.0 + r1 * r1) * (1.0 + r2 * r2))
    )
    out[oo + G_NEURAL] = theta * p[L.P_k_neural] * (ne_prod - ne)

    drive = s_b + p[L.P_w_tgf_offtarget] * s_t * s_w
    ke2 = p[L.P_K_offtarget] * p[L.P_K_offtarget]
    r1 = oc * ip[L.P_K_oct4_offtarget]
    r2 = ne * ip[L.P_K_neural_offtarget]
    eps_e = p[L.P_eps_offtarget] * drive
    e_prod = (
        (1.0 + ke2) * (eps_e * (ke2 + e2) + e2) / ((ke2 + e2) * (1.0 + r1 * r1) * (1.0 + r2 * r2))
    )
    out[oo + G_OFF] = theta * p[L.P_k_offtarget] * (e_prod - e)

    nep = min(max(ne, 0.0), 1.0)
    out[oo + G_MAT] = theta * p[L.P_k_maturation] * nep * (p[L.P_maturation_seed] + m) * (1.0 - m)

    ahox = p[L.P_fgf_wnt_hox]
    caud = 1.0 - (1.0 - s_ra) * (1.0 - s_w * (ahox + s_f) / (1.0 + ahox))
    out[oo + G_HOX] = theta * p[L.P_k_hox] * (1.0 - m) * caud * (1.0 - hx)

    fa = p[L.P_poni_fA]
    cpol = p[L.P_poni_CPol]
    alpha = p[L.P_poni_alpha]
    delta = p[L.P_poni_delta]
    rate = theta * p[L.P_lambda_poni]
    out[oo + G_GLI] = rate * p[L.P_k_gli] * (s_in * nep - gli_a)
    s = min(max(gli_a, 0.0), 1.0)
    kg = p[L.P_K_Gli_Oli]
    g_oli = (1.0 + fa * kg * s) / (1.0 + kg)
    kg = p[L.P_K_Gli_Nkx]
    g_nkx = (1.0 + fa * kg * s) / (1.0 + kg)
    kg = p[L.P_K_Gli_Nkx6]
    g_nk6 = (1.0 + fa * kg * s) / (1.0 + kg)
    # ph(A * prep(a, y1) * prep(b, y2)) = A / (D + A), D = (1 + a y1)^2 (1 + b y2)^2
    d_oli_pax = 1.0 + p[L.P_K_Oli_Pax] * oli
    d_nkx_pax = 1.0 + p[L.P_K_Nkx_Pax] * nkx
    a_pax = p[L.P_K_Pol_Pax] * cpol
    d = d_oli_pax * d_nkx_pax
    pr_pax = a_pax / (d * d + a_pax)
    d_nkx_oli = 1.0 + p[L.P_K_Nkx_Oli] * nkx
    d_irx_oli = 1.0 + p[L.P_K_Irx_Oli] * irx
    a_oli = p[L.P_K_Pol_Oli] * cpol * g_oli
    d = d_nkx_oli * d_irx_oli
    pr_oli = a_oli / (d * d + a_oli)
    d_pax_nkx = 1.0 + p[L.P_K_Pax_Nkx] * pax
    d_oli_nkx = 1.0 + p[L.P_K_Oli_Nkx] * oli
    d_irx_nkx = 1.0 + p[L.P_K_Irx_Nkx] * irx
    a_nkx = p[L.P_K_Pol_Nkx] * cpol * g_nkx
    d = d_pax_nkx * d_oli_nkx * d_irx_nkx
    pr_nkx = a_nkx / (d * d + a_nkx)
    d_oli_irx = 1.0 + p[L.P_K_Oli_Irx] * oli
    d_nkx_irx = 1.0 + p[L.P_K_Nkx_Irx] * nkx
    a_irx = p[L.P_K_Pol_Irx] * cpol
    d = d_oli_irx * d_nkx_irx
    pr_irx = a_irx / (d * d + a_irx)
    a_nk6 = p[L.P_K_Pol_Nkx6] * cpol * g_nk6
    pr_nk6 = a_nk6 / (1.0 + a_nk6)
    out[oo + G_PAX6] = rate * (alpha * nep * pr_pax - delta * pax)
    out[oo + G_OLIG2] = rate * (alpha * nep * pr_oli - delta * oli)
    out[oo + G_NKX22] = rate * (alpha * nep * pr_nkx - delta * nkx)
    out[oo + G_IRX3] = rate * (alpha * nep * pr_irx - delta * irx)
    out[oo + G_NKX61] = rate * (alpha * nep * pr_nk6 - delta * nk6)

    out[oo + G_HES] = theta * p[L.P_k_hes] * (hes_target - hes)
    # drive * rep2(s_f) rep2(s_w) rep2(oc) / (1 + b hes^2), one division
    r1 = s_f * ip[L.P_K_fgf_ngn2]
    r2 = s_w * ip[L.P_K_wnt_ngn2]
    r3 = oc * ip[L.P_K_oct4_ngn2]
    drive_ng = (
        max(m, 0.0)
        * (p[L.P_ngn2_basal] + p[L.P_ngn2_olig2] * oli + p[L.P_ngn2_ra] * s_ra)
        / (
            (1.0 + r1 * r1)
            * (1.0 + r2 * r2)
            * (1.0 + r3 * r3)
            * (1.0 + p[L.P_collier_b] * hes * hes)
        )
    )
    out[oo + G_NGN2] = theta * p[L.P_k_ngn2] * (drive_ng - ngn)
    out[oo + G_TG] = p[L.P_k_transgene] * (dox - tg)
    out[oo + G_PRG] = p[L.P_k_programme] * (tg - prg)

    wo = min(max(oc, 0.0), 1.0)
    we = min(max(e, 0.0), 1.0 - wo)
    wn = 1.0 - wo - we
    mito = 1.0 + p[L.P_mitogen_boost] * max(s_f, s_w)
    div = (
        _LN2_PER_DAY
        * (wo * ip[L.P_cycle_psc] + we * ip[L.P_cycle_offtarget] + wn * mito * ip[L.P_cycle_np])
        * growth
    )
    death = p[L.P_death_psc] * wo + p[L.P_death_np] * (1.0 - wo) + haz
    lam_ng = p[L.P_k_neurogenesis] * _hill2(max(ngn, 0.0), p[L.P_K_neurogenesis])
    lam_tg = p[L.P_k_programming] * _hill2(max(prg, 0.0), p[L.P_K_transgene])
    return div, death, lam_ng, lam_tg


@jit(inline="always")
def signal_terms(s_t, s_b, s_f, notch_in, p):
    """Terms of the gene network that depend only on the signals a cell sees.

    Returns:
        ``(support, bmp_repression, permissive, hes_target)`` for :func:`cell_derivs`.
    """
    ko = p[L.P_K_oct4]
    share = p[L.P_fgf_share_pluripotency]
    support0 = (1.0 + ko * ko) * s_t * (1.0 - share + share * s_f)
    bmp_oct = s_b / p[L.P_K_bmp_oct4]
    permissive = _rep2(s_t, p[L.P_K_tgf_neural]) * _rep2(s_b, p[L.P_K_bmp_neural])
    hes_target = notch_in * notch_in / (p[L.P_collier_a] + notch_in * notch_in)
    return support0, bmp_oct, permissive, hes_target


@jit(inline="always")
def shared_signals(a, f, z, nodal, bmp_source, shield, p):
    """SMAD2/3, SMAD1/5/8 and FGF activities from the medium and the endogenous signals.

    Args:
        a: Agonist activity per pathway.
        f: Inhibitor factor per pathway.
        z: Competitive-antagonist factor per pathway.
        nodal: Endogenous Nodal/Activin (EC50 units, before shielding).
        bmp_source: Share of cells that make endogenous BMP.
        shield: Factor on the endogenous signals (aggregate shielding in suspension, else 1).
        p: Parameter array.

    Returns:
        ``(s_t, s_b, s_f)``.
    """
    lt = (a[L.PW_TGFB] + shield * nodal) / z[L.PW_TGFB]
    s_t = f[L.PW_TGFB] * lt / (1.0 + lt)
    lb = (a[L.PW_BMP] + shield * p[L.P_bmp_endogenous] * bmp_source) / z[L.PW_BMP]
    s_b = f[L.PW_BMP] * lb / (1.0 + lb)
    lf = (a[L.PW_FGF] + p[L.P_fgf_endogenous]) / z[L.PW_FGF]
    s_f = f[L.PW_FGF] * lf / (1.0 + lf)
    return s_t, s_b, s_f


@jit(inline="always")
def pathway_inputs(t, u, comp, scale, a, f, z):
    """Fill ``a``, ``f``, ``z`` (per pathway) from the medium at day ``t``.

    ``scale[j]`` multiplies compound ``j``'s concentration: the local share of the bulk concentration
    inside an aggregate; an empty ``scale`` means a well-mixed medium (every share 1).
    """
    for q in range(N_PATHWAYS):
        a[q] = 0.0
        f[q] = 0.0
        z[q] = 0.0
    dt_change = t - u[U_T_CHANGE]
    for j in range(comp.shape[0]):
        c0 = u[U_CONC + j]
        if c0 == 0.0:
            continue
        ratio = c0 * math.exp(-comp[j, C_DECAY] * dt_change) / comp[j, C_POTENCY]
        if scale.shape[0] > 0:
            ratio *= scale[j]
        pw = int(comp[j, C_PATHWAY])
        mode = int(comp[j, C_MODE])
        if mode == L.MODE_AGONIST:
            a[pw] += comp[j, C_EFFICACY] * ratio
        elif mode == L.MODE_INHIBITOR:
            f[pw] += ratio
        else:
            z[pw] += ratio
    for q in range(N_PATHWAYS):
        f[q] = 1.0 / (1.0 + f[q])
        z[q] = 1.0 + z[q]


@jit
def rhs(t, y, p, u, comp, nodes, work, out):
    """Write the time derivative of the state ``y`` into ``out`` (see module docstring)."""
    k = nodes.shape[0]
    gbase = k * N_GENES
    base = 2 * k
    # ---------------------------------------------------------------- pharmacology
    a = work[base + _W_A : base + _W_A + N_PATHWAYS]
    f = work[base + _W_F : base + _W_F + N_PATHWAYS]
    z = work[base + _W_Z : base + _W_Z + N_PATHWAYS]
    ip = work[base + _W_INV : base + _W_INV + L.N_PARAMS]
    pathway_inputs(t, u, comp, work[0:0], a, f, z)

    # ---------------------------------------------------------------- mean field
    n_prog = 0.0
    committed_src = 0.0
    nodal_src = 0.0
    delta_src = 0.0
    for i in range(k):
        o = i * N_GENES
        pr = y[o + G_PROG]
        n_prog += pr
        committed_src += pr * min(1.0, max(y[o + G_OCT4], 0.0) + max(y[o + G_NEURAL], 0.0))
        nodal_src += pr * (
            max(y[o + G_OCT4], 0.0) + p[L.P_tgf_autocrine_offtarget] * max(y[o + G_OFF], 0.0)
        )
        delta_src += pr * max(y[o + G_NGN2], 0.0)
    mn_h = y[gbase + X_MN] + y[gbase + X_MN_CHAT]
    mn_hn = y[gbase + X_MN_HN] + y[gbase + X_MN_CHAT_HN]
    others = y[gbase + X_V3] + y[gbase + X_V2] + y[gbase + X_RN]
    total = n_prog + mn_h + mn_hn + others
    rho = u[U_N0] / (u[U_AREA] * p[L.P_density_ref])
    nodal = p[L.P_tgf_autocrine] * rho * nodal_src
    delta_mean = delta_src / n_prog if n_prog > 1e-300 else 0.0
    cap = p[L.P_capacity_suspension] if u[U_FORMAT] > 0.5 else p[L.P_capacity_adherent]
    occupancy = total * u[U_N0] / (cap * u[U_AREA])
    growth = max(0.0, 1.0 - occupancy)

    # ---------------------------------------------------------------- cohort-independent signals
    shield = p[L.P_aggregate_shielding] if u[U_FORMAT] > 0.5 else 1.0
    bmp_source = max(0.0, 1.0 - (committed_src + total - n_prog) / total) if total > 1e-300 else 0.0
    s_t, s_b, s_f = shared_signals(a, f, z, nodal, bmp_source, shield, p)
    notch_in = f[L.PW_NOTCH] * delta_mean
    dox = a[L.PW_TRANSGENE] / (1.0 + a[L.PW_TRANSGENE])
    trophic = a[L.PW_TROPHIC] / (1.0 + a[L.PW_TROPHIC])
    stress = y[gbase + X_STRESS]
    mu_d = p[L.P_stress_recovery] * math.log(1.0 / p[L.P_dissociation_survival])
    haz = mu_d * stress * (1.0 - p[L.P_rock_efficacy] * (1.0 - f[L.PW_ROCK]))

    terms = signal_terms(s_t, s_b, s_f, notch_in, p)
    th = p[L.P_gate_threshold]
    sdf = p[L.P_sigma_fate]
    m_prog = p[L.P_mn_fraction_programmed]

    birth_mn = 0.0
    birth_mn_hn = 0.0
    birth_v3 = 0.0
    birth_v2 = 0.0
    birth_rn = 0.0
    sum_div = 0.0
    sum_death = 0.0
    for i in range(k):
        o = i * N_GENES
        sig = cell_signals(work[i], a, f, z, p)
        div, death, lam_ng, lam_tg = cell_derivs(
            y, o, out, o, work[k + i], sig, s_t, s_b, s_f, terms, dox, growth, haz, p, ip
        )
        prog = y[o + G_PROG]
        out[o + G_PROG] = prog * (div - death - lam_ng - lam_tg)
        sum_div += prog * div
        sum_death += prog * death

        hx = y[o + G_HOX]
        nkx = y[o + G_NKX22]
        oli = y[o + G_OLIG2]
        h = gate(hx, th, sdf)
        n = gate(nkx, th, sdf)
        og = gate(oli, th, sdf)
        patterned = prog * (lam_ng + lam_tg * (1.0 - m_prog))
        birth_mn += patterned * h * (1.0 - n) * og + prog * lam_tg * m_prog * h
        birth_mn_hn += prog * lam_tg * m_prog * (1.0 - h)
        birth_v3 += patterned * h * n
        birth_v2 += patterned * h * (1.0 - n) * (1.0 - og)
        birth_rn += patterned * (1.0 - h)

    # ---------------------------------------------------------------- neurons and bookkeeping
    trophic_factor = 1.0 - p[L.P_trophic_efficacy] * trophic
    diss_n = haz * p[L.P_neuron_dissociation_factor]
    mu_n = p[L.P_death_neuron] * trophic_factor + diss_n
    mu_mn = p[L.P_death_neuron] * u[U_MN_HAZARD] * trophic_factor + diss_n
    chat = p[L.P_chat_rate]
    out[gbase + X_MN] = birth_mn - (mu_mn + chat) * y[gbase + X_MN]
    out[gbase + X_MN_CHAT] = chat * y[gbase + X_MN] - mu_mn * y[gbase + X_MN_CHAT]
    out[gbase + X_MN_HN] = birth_mn_hn - (mu_mn + chat) * y[gbase + X_MN_HN]
    out[gbase + X_MN_CHAT_HN] = chat * y[gbase + X_MN_HN] - mu_mn * y[gbase + X_MN_CHAT_HN]
    out[gbase + X_V3] = birth_v3 - mu_n * y[gbase + X_V3]
    out[gbase + X_V2] = birth_v2 - mu_n * y[gbase + X_V2]
    out[gbase + X_RN] = birth_rn - mu_n * y[gbase + X_RN]
    out[gbase + X_STRESS] = -p[L.P_stress_recovery] * stress
    out[gbase + L.X_LINEAGE] = 0.0
    out[gbase + X_CUM_DIV] = sum_div
    out[gbase + X_CUM_DEATH] = sum_death + mu_mn * (mn_h + mn_hn) + mu_n * others
    out[gbase + L.X_CUM_REPLATED] = 0.0


def make_work(n_cohorts: int) -> np.ndarray:
    """Allocate scratch space for one run."""
    return np.zeros(work_size(n_cohorts))
