r"""One step of the agent-based engine: every cell's gene network, noise and fate (numba).

Each progenitor integrates the gene network of :func:`ipscsim.engines.kernels.cell_derivs` (the
function the ODE engine integrates per cohort: one biology, two engines) over the step ``dt`` with the
stochastic Heun scheme

.. math:: \tilde x = x + f(x)\,\Delta t + g(x)\,\Delta W, \qquad
    x' = x + \tfrac12\big(f(x) + f(\tilde x)\big)\Delta t + g(x)\,\Delta W,

with multiplicative noise :math:`g_i(x) = \sigma \sqrt{2\theta k_i}\, x_i` (``abm_noise``
:math:`\sigma` is the stationary relative SD of a gene relaxing at rate :math:`k_i`; a gene that is
off stays off until a signal turns it on). The medium and the neighbours' signals are held at their
values at the step's midpoint (compounds decay over days, a step is about an hour). The increments
:math:`\Delta W` are two-point, :math:`\pm\sqrt{\Delta t}` with probability 1/2 each: mean 0, variance
:math:`\Delta t`, third moment 0, which is all a weak first-order scheme needs (the simplified weak
schemes of Kloeden & Platen 1992 §14.1); one 64-bit word of the cell's
counter-based stream. Event rates (division, death, neurogenesis, programming) are the same functions
as in the ODE engine, averaged over the two stages:

* division: the cell accumulates :math:`\int \lambda_\mathrm{div}\,dt` and divides when it passes a
  threshold drawn from a Gamma (Erlang, shape ``cycle_shape`` :math:`k`) distribution with scale
  :math:`2^{1/k} - 1`, so that a population grows at :math:`\lambda_\mathrm{div}` whatever :math:`k`
  (:math:`k = 1`: exponential waiting times, the ODE engine's assumption);
* death, neurogenesis, programming: competing exits with probability :math:`1 - e^{-R\,\Delta t}`
  (:math:`R` their sum); a new neuron's identity is drawn from the same gates as in the ODE engine;
* neurons die at their class's rate and MNs become CHAT+ at ``chat_rate``.

Nothing here depends on the order in which threads visit cells. Outcomes go to ``event`` (0 stays, 1
divides, 2 dies, 3 became a neuron); :func:`apply_events` then removes the dead and appends daughters.
"""

from __future__ import annotations

import math

import numpy as np

from ...model import layout as L
from .._jit import jit, prange
from ..kernels import (
    cell_derivs,
    cell_signals,
    gate,
    pathway_inputs,
    reciprocals,
    shared_signals,
    signal_terms,
)
from .blocks import BLOCK
from .fields import cic_sample_pair
from .rng import (
    STREAM_EVENT,
    STREAM_FATE,
    STREAM_MOVE,
    STREAM_NOISE,
    STREAM_PARTITION,
    hash64,
    uniform,
)

__all__ = [
    "C_BMP",
    "C_DELTA",
    "C_DT",
    "C_ENDO",
    "C_HAZ",
    "C_MN_HAZARD",
    "C_NODAL",
    "C_NOISE",
    "C_NOTCH_LOCAL",
    "C_OCC",
    "C_OCC_LOCAL",
    "C_OCC_SCALE",
    "C_SHIELD",
    "C_T",
    "N_CTL",
    "apply_events",
    "cycle_threshold",
    "gene_relaxation",
    "step_cells",
]

# controls of a step (a float array, so one compiled kernel serves every setting)
C_T = 0  # day at the step's start
C_DT = 1  # step (days)
C_NODAL = 2  # endogenous Nodal of the population (mean field)
C_BMP = 3  # share of cells making endogenous BMP (mean field)
C_DELTA = 4  # mean NGN2 of progenitors (mean-field Delta)
C_OCC = 5  # occupancy of the vessel (mean field)
C_HAZ = 6  # dissociation death hazard, averaged over the step
C_SHIELD = 7  # aggregate shielding of the endogenous signals (1 on a patch)
C_MN_HAZARD = 8  # genotype's MN hazard ratio
C_NOISE = 9  # abm_noise
C_NOTCH_LOCAL = 10  # 1: Delta from neighbours; 0: the population mean
C_ENDO = 11  # 0: endogenous signals from the mean field; 1: the patch's fields at the cell; 2: per aggregate
C_OCC_LOCAL = 12  # 1: crowding from neighbours; 0: the vessel's occupancy
C_OCC_SCALE = 13  # local occupancy = crowd * this
N_CTL = 14

_NP = L.N_PATHWAYS
_ONE = np.uint64(1)
_MASK16 = np.uint64(0xFFFF)
_INV16 = 1.0 / 65536.0


def gene_relaxation(p: np.ndarray) -> np.ndarray:
    """Each gene's relaxation rate (1/day, before the tempo factor), the scale of its noise."""
    k = np.zeros(L.N_GENES)
    k[L.G_OCT4] = p[L.P_k_oct4]
    k[L.G_NEURAL] = p[L.P_k_neural]
    k[L.G_OFF] = p[L.P_k_offtarget]
    k[L.G_MAT] = p[L.P_k_maturation]
    k[L.G_HOX] = p[L.P_k_hox]
    for g in (L.G_PAX6, L.G_OLIG2, L.G_NKX22, L.G_IRX3, L.G_NKX61):
        k[g] = p[L.P_lambda_poni] * p[L.P_poni_delta]
    k[L.G_GLI] = p[L.P_lambda_poni] * p[L.P_k_gli]
    k[L.G_HES] = p[L.P_k_hes]
    k[L.G_NGN2] = p[L.P_k_ngn2]
    k[L.G_TG] = p[L.P_k_transgene]
    k[L.G_PRG] = p[L.P_k_programme]
    return k


@jit(inline="always")
def cycle_threshold(seed, cid, step, sub, shape):
    """A division threshold: Erlang(``shape``) with scale ``2**(1/shape) - 1`` (mean growth rate kept)."""
    k = min(max(1, int(shape + 0.5)), 255)
    prod = 1.0  # a sum of k exponentials is minus the log of a product of k uniforms
    for m in range(k):
        prod *= 1.0 - uniform(seed, cid, step, STREAM_PARTITION * 1024 + sub * 256 + m)
    return (2.0 ** (1.0 / k) - 1.0) * -math.log(max(prod, 1e-300))


@jit(inline="always")
def _neuron_kind(h, n, og, m_prog, programmed, u):
    """Identity of a newborn neuron from the fate gates (``u`` uniform)."""
    if programmed:
        if u < m_prog * h:
            return 1  # MN, HOX+
        if u < m_prog:
            return 6  # MN, HOX-
        u = (u - m_prog) / (1.0 - m_prog)
    p_mn = h * (1.0 - n) * og
    p_v3 = h * n
    p_v2 = h * (1.0 - n) * (1.0 - og)
    if u < p_mn:
        return 1
    if u < p_mn + p_v3:
        return 3
    if u < p_mn + p_v3 + p_v2:
        return 4
    return 5


@jit(parallel=True)
def step_cells(
    n,
    genes,
    phi,
    theta,
    kind,
    cid,
    group,
    phase,
    thresh,
    shell,
    notch,
    crowd,
    pos,
    endo_grid,
    box,
    event,
    born,
    p,
    u,
    comp,
    ctl,
    seed,
    step,
    afz,
    abs_idx,
    prof,
    g_nodal,
    g_bmp,
    krel,
):
    """Advance every live cell by one step (see the module docstring); outcomes in ``event``.

    The medium's inputs (``afz``: agonist, inhibitor and antagonist terms per pathway, bulk) are taken
    at the step's midpoint, where the compounds' slow decay makes them exact to second order.
    """
    t = ctl[C_T]
    dt = ctl[C_DT]
    t1 = t + dt
    tm = t + 0.5 * dt
    sigma = ctl[C_NOISE]
    notch_local = ctl[C_NOTCH_LOCAL] > 0.5
    endo_mode = int(ctl[C_ENDO])
    occ_local = ctl[C_OCC_LOCAL] > 0.5
    n_abs = abs_idx.shape[0]
    n_comp = comp.shape[0]
    ng = L.N_GENES
    th_fate = p[L.P_gate_threshold]
    sd_fate = p[L.P_sigma_fate]
    m_prog = p[L.P_mn_fraction_programmed]
    chat = 1.0 - math.exp(-p[L.P_chat_rate] * dt)
    diss_n = ctl[C_HAZ] * p[L.P_neuron_dissociation_factor]
    haz = ctl[C_HAZ]
    # noise amplitude of each gene times sqrt(dt): genes with the tempo factor, genes without
    noise_tempo = np.zeros(ng)
    noise_fixed = np.zeros(ng)
    for gi in range(ng):
        amp = sigma * math.sqrt(2.0 * krel[gi] * dt)
        if gi == L.G_TG or gi == L.G_PRG:
            noise_fixed[gi] = amp
        elif gi != L.G_PROG:
            noise_tempo[gi] = amp
    ip = np.empty(p.shape[0])
    reciprocals(p, ip)
    grid_ix = endo_grid.shape[1] / box[0]  # nodes per um
    grid_iy = endo_grid.shape[0] / box[1]
    n_blocks = (n + BLOCK - 1) // BLOCK
    for blk in prange(n_blocks):
        y = np.empty(ng)
        k1 = np.empty(ng)
        k2 = np.empty(ng)
        yt = np.empty(ng)
        dw = np.zeros(ng)
        a_loc = np.empty(_NP)
        f_loc = np.empty(_NP)
        z_loc = np.empty(_NP)
        scale = np.ones(n_comp)
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            g = group[i]
            # ------------------------------------------------ the medium this cell sees
            if g >= 0 and n_abs > 0:  # inside an aggregate: its shell's share of the bulk
                for q in range(n_abs):
                    scale[abs_idx[q]] = prof[g, q, shell[i]]
                pathway_inputs(tm, u, comp, scale, a_loc, f_loc, z_loc)
                a = a_loc
                f = f_loc
                z = z_loc
            else:  # the bulk medium
                a = afz[0]
                f = afz[1]
                z = afz[2]
            k = kind[i]
            if k != 0:
                # ------------------------------------------------ neurons
                tro = a[L.PW_TROPHIC] / (1.0 + a[L.PW_TROPHIC])
                tf = 1.0 - p[L.P_trophic_efficacy] * tro
                is_mn = k == 1 or k == 2 or k == 6 or k == 7
                mu = p[L.P_death_neuron] * tf * (ctl[C_MN_HAZARD] if is_mn else 1.0) + diss_n
                if uniform(seed, cid[i], step, STREAM_EVENT) < 1.0 - math.exp(-mu * dt):
                    event[i] = 2
                else:
                    event[i] = 0
                    if (k == 1 or k == 6) and uniform(seed, cid[i], step, STREAM_FATE) < chat:
                        kind[i] = k + 1
                continue
            # ------------------------------------------------ signals (once per step)
            if endo_mode == 1:  # the patch's fields where the cell is
                nodal, bmp = cic_sample_pair(endo_grid, pos[i, 0], pos[i, 1], grid_ix, grid_iy)
            elif endo_mode == 2:
                nodal = g_nodal[g]
                bmp = g_bmp[g]
            else:
                nodal = ctl[C_NODAL]
                bmp = ctl[C_BMP]
            delta = notch[i] if notch_local else ctl[C_DELTA]
            occ = crowd[i] * ctl[C_OCC_SCALE] if occ_local else ctl[C_OCC]
            growth = max(0.0, 1.0 - occ)
            te = np.float64(theta[i])
            sig = cell_signals(np.float64(phi[i]), a, f, z, p)
            s_t, s_b, s_f = shared_signals(a, f, z, nodal, bmp, ctl[C_SHIELD], p)
            terms = signal_terms(s_t, s_b, s_f, f[L.PW_NOTCH] * delta, p)
            dox = a[L.PW_TRANSGENE] / (1.0 + a[L.PW_TRANSGENE])
            for gi in range(ng):  # stored in single precision, stepped in double
                y[gi] = genes[i, gi]
            d1, m1, n1, p1 = cell_derivs(
                y, 0, k1, 0, te, sig, s_t, s_b, s_f, terms, dox, growth, haz, p, ip
            )
            # ------------------------------------------------ noise increments
            if sigma > 0.0:
                st = math.sqrt(te)
                h = hash64(seed, cid[i], step, STREAM_NOISE * 8)  # bit gi: the sign of gene gi
                for gi in range(ng):
                    sgn = 1.0 - 2.0 * float((h >> np.uint64(gi)) & _ONE)
                    amp = noise_tempo[gi] * st + noise_fixed[gi]
                    dw[gi] = sgn * amp * max(y[gi], 0.0)
            for gi in range(ng):
                yt[gi] = max(y[gi] + k1[gi] * dt + dw[gi], 0.0)
            # ------------------------------------------------ second stage
            d2, m2, n2, p2 = cell_derivs(
                yt, 0, k2, 0, te, sig, s_t, s_b, s_f, terms, dox, growth, haz, p, ip
            )
            for gi in range(ng):
                if gi != L.G_PROG:
                    y[gi] = max(y[gi] + 0.5 * (k1[gi] + k2[gi]) * dt + dw[gi], 0.0)
                    genes[i, gi] = y[gi]
            # ------------------------------------------------ fate
            div = 0.5 * (d1 + d2)
            death = 0.5 * (m1 + m2)
            lam_ng = 0.5 * (n1 + n2)
            lam_tg = 0.5 * (p1 + p2)
            rate = death + lam_ng + lam_tg
            p_exit = 1.0 - math.exp(-rate * dt)
            ue = uniform(seed, cid[i], step, STREAM_EVENT)
            if ue < p_exit:
                x = ue / p_exit * rate
                if x < death:
                    event[i] = 2
                else:
                    hx = gate(y[L.G_HOX], th_fate, sd_fate)
                    nk = gate(y[L.G_NKX22], th_fate, sd_fate)
                    og = gate(y[L.G_OLIG2], th_fate, sd_fate)
                    uf = uniform(seed, cid[i], step, STREAM_FATE)
                    kind[i] = _neuron_kind(hx, nk, og, m_prog, x >= death + lam_ng, uf)
                    born[i] = t1
                    event[i] = 3
                continue
            phase[i] += div * dt
            event[i] = 1 if phase[i] >= thresh[i] else 0


@jit(parallel=True)
def apply_events(
    n,
    genes,
    phi,
    theta,
    kind,
    cid,
    group,
    phase,
    thresh,
    born,
    notch,
    pos,
    event,
    seed,
    step,
    p,
    dims,
    box,
    next_id,
    t1,
    counts,
):
    """Remove dead cells and append daughters (deterministic on any number of threads).

    A dead cell's slot is filled by the last live cell (sequential; the work grows with the deaths);
    daughters are then appended in slot order (in parallel, through a prefix sum over blocks).

    The caller must have reserved room for ``n + births`` cells. ``counts`` receives
    ``(births, deaths, new neurons)``.

    Returns:
        ``(n_new, next_id)``.
    """
    ng = L.N_GENES
    cv = p[L.P_partition_noise]
    shape = p[L.P_cycle_shape]
    half = 0.25 * p[L.P_cell_diameter]
    # compaction: each dead cell's slot is filled by the last live cell (work grows with the deaths,
    # not with the population; the engine restores spatial order when enough cells have moved)
    deaths = 0
    neurons = 0
    last = n - 1
    slot = 0
    while slot <= last:
        if event[slot] != 2:
            if event[slot] == 3:
                neurons += 1
            slot += 1
            continue
        deaths += 1
        while last > slot and event[last] == 2:
            last -= 1
            deaths += 1
        if last == slot:
            last -= 1
            break
        src = last
        for g in range(ng):
            genes[slot, g] = genes[src, g]
        phi[slot] = phi[src]
        theta[slot] = theta[src]
        kind[slot] = kind[src]
        cid[slot] = cid[src]
        group[slot] = group[src]
        phase[slot] = phase[src]
        thresh[slot] = thresh[src]
        born[slot] = born[src]
        notch[slot] = notch[src]
        pos[slot, 0] = pos[src, 0]
        pos[slot, 1] = pos[src, 1]
        pos[slot, 2] = pos[src, 2]
        event[slot] = event[src]
        last -= 1
    m = last + 1
    # daughters, in parallel: a prefix sum over blocks gives each the slot and id a sequential loop
    # would (slots m, m + 1, ... and ids next_id, ... in their mothers' slot order)
    n_blocks = (m + BLOCK - 1) // BLOCK
    offset = np.zeros(n_blocks + 1, dtype=np.int64)
    for blk in prange(n_blocks):
        c = 0
        for i in range(blk * BLOCK, min(m, (blk + 1) * BLOCK)):
            if event[i] == 1:
                c += 1
        offset[blk + 1] = c
    for blk in range(n_blocks):
        offset[blk + 1] += offset[blk]
    for blk in prange(n_blocks):
        b = offset[blk]
        for i in range(blk * BLOCK, min(m, (blk + 1) * BLOCK)):
            if event[i] != 1:
                continue
            d = m + b
            did = next_id + np.uint64(b)
            b += 1
            mother = cid[i]
            for gi in range(ng):
                x = genes[i, gi]
                if cv > 0.0 and gi != L.G_PROG:
                    # 16 random bits per gene: four genes from one word of the mother's stream
                    h = hash64(seed, mother, step, STREAM_PARTITION * 1024 + 3 * 256 + gi // 4)
                    u = (float((h >> np.uint64(16 * (gi % 4))) & _MASK16) + 0.5) * _INV16
                    eps = math.sqrt(3.0) * cv * (2.0 * u - 1.0)
                    eps = min(max(eps, -1.0), 1.0)
                    genes[i, gi] = x * (1.0 + eps)
                    genes[d, gi] = x * (1.0 - eps)
                else:
                    genes[d, gi] = x
            phi[d] = phi[i]
            theta[d] = theta[i]
            kind[d] = 0
            cid[d] = did
            group[d] = group[i]
            born[d] = t1
            notch[d] = notch[i]  # the Notch input she last saw is her mother's
            phase[i] = 0.0
            phase[d] = 0.0
            thresh[i] = cycle_threshold(seed, mother, step, 1, shape)
            thresh[d] = cycle_threshold(seed, did, step, 2, shape)
            # daughter beside the mother, half a radius each way along a random direction
            u1 = uniform(seed, mother, step, STREAM_MOVE)
            if dims == 2:
                ang = 2.0 * math.pi * u1
                vx = math.cos(ang)
                vy = math.sin(ang)
                vz = 0.0
            else:
                cz = 2.0 * uniform(seed, mother, step, STREAM_MOVE + 16) - 1.0
                sz = math.sqrt(max(0.0, 1.0 - cz * cz))
                ang = 2.0 * math.pi * u1
                vx = sz * math.cos(ang)
                vy = sz * math.sin(ang)
                vz = cz
            x0 = pos[i, 0]
            y0 = pos[i, 1]
            z0 = pos[i, 2]
            pos[d, 0] = x0 + half * vx
            pos[d, 1] = y0 + half * vy
            pos[d, 2] = z0 + half * vz
            pos[i, 0] = x0 - half * vx
            pos[i, 1] = y0 - half * vy
            pos[i, 2] = z0 - half * vz
            if dims == 2:
                for c in (d, i):
                    for a in range(2):
                        if pos[c, a] < 0.0:
                            pos[c, a] += box[a]
                        elif pos[c, a] >= box[a]:
                            pos[c, a] -= box[a]
            event[i] = 0
            event[d] = 0
    births = offset[n_blocks]
    next_id += np.uint64(births)
    counts[0] = births
    counts[1] = deaths
    counts[2] = neurons
    return m + births, next_id
