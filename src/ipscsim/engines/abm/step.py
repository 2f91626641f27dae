r"""One step of the agent-based engine: every cell's gene network, noise and fate (numba).

Each progenitor integrates the gene network of ``cell`` (the generated ``CELL`` equations of
:mod:`ipscsim.model.network`, which the ODE engine integrates per cohort: one biology, two engines),
with the signals of ``shared`` at the cell's place, over the step ``dt`` with the stochastic Heun scheme

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
  (:math:`R` their sum); a new neuron's class is drawn from the cell's ``fate.*`` (or ``prog.*`` when
  programmed) probabilities, the ODE engine's split of its births;
* neurons die at their class's rate (``mu_mn``, ``mu_n``) and MNs become CHAT+ at ``chat``.

Nothing here depends on the order in which threads visit cells. Outcomes go to ``event`` (0 stays, 1
divides, 2 dies, 3 became a neuron); :func:`apply_events` then removes the dead and appends daughters.
"""

from __future__ import annotations

import math

import numpy as np

from ...model import layout as L
from .._jit import jit, prange
from ..kernels import pathway_inputs
from ..network import N_RATES, N_SHARED, cell, shared
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
from .space import local_occupancy

__all__ = [
    "C_AGG",
    "C_BMP",
    "C_CAS_NGN2",
    "C_CAS_NIL",
    "C_DELTA",
    "C_DENSITY",
    "C_DENS_SCALE",
    "C_DT",
    "C_ENDO",
    "C_FMT",
    "C_MN_DEPRIVATION",
    "C_MN_HAZARD",
    "C_NODAL",
    "C_NOISE",
    "C_NOTCH_LOCAL",
    "C_OCC",
    "C_OCC_LOCAL",
    "C_OCC_SCALE",
    "C_STRESS",
    "C_T",
    "LINE_CONTROLS",
    "N_CTL",
    "apply_events",
    "cycle_threshold",
    "gene_relaxation",
    "step_cells",
]

# controls of a step (a float array, so one compiled kernel serves every setting)
C_T = 0  # day at the step's start
C_DT = 1  # step (days)
C_NODAL = 2  # mean Nodal emission of the population (mean field)
C_BMP = 3  # mean BMP emission (mean field)
C_DELTA = 4  # mean Delta of progenitors (mean field)
C_OCC = 5  # occupancy of the vessel (mean field)
C_STRESS = 6  # dissociation stress, averaged over the step
C_FMT = 7  # 1 in suspension aggregates
C_MN_HAZARD = 8  # genotype's MN hazard ratio
C_NOISE = 9  # abm_noise
C_NOTCH_LOCAL = 10  # 1: Delta from neighbours; 0: the population mean
C_ENDO = 11  # 0: endogenous signals from the mean field; 1: the patch's fields at the cell; 2: per aggregate
C_OCC_LOCAL = 12  # 1: crowding from neighbours; 0: the vessel's occupancy
C_OCC_SCALE = 13  # occupancy per cell within reach at random placement (space.local_occupancy)
C_DENSITY = 14  # cells per cm^2 (mean field)
C_DENS_SCALE = 15  # local cells per cm^2 = crowd * this (the cell itself included)
C_AGG = 16  # cells per aggregate
C_CAS_NIL = 17  # the line's cassette
C_CAS_NGN2 = 18
C_MN_DEPRIVATION = 19  # genotype's MN hazard ratio of death by trophic deprivation
N_CTL = 20
#: Controls copied from a segment's inputs unchanged: (control, input) pairs (the line's genotype
#: and cassette).
LINE_CONTROLS: tuple[tuple[int, int], ...] = (
    (C_MN_HAZARD, L.U_MN_HAZARD),
    (C_MN_DEPRIVATION, L.U_MN_DEPRIVATION),
    (C_CAS_NIL, L.U_CASSETTE_NIL),
    (C_CAS_NGN2, L.U_CASSETTE_NGN2),
)

_NP = L.N_PATHWAYS
_ONE = np.uint64(1)
_MASK16 = np.uint64(0xFFFF)
_INV16 = 1.0 / 65536.0


def gene_relaxation(p: np.ndarray) -> np.ndarray:
    """Each gene's relaxation rate (1/day, before the tempo factor), the scale of its noise.

    From the network's ``NOISE_RATES``; a negative entry marks a gene whose noise does not follow the
    cell's tempo (``NOISE_FIXED``).
    """
    from ...model.expr import evaluate, parse_block
    from ...model.network import NOISE_FIXED, NOISE_RATES

    text = "\n".join(f"k_{g} = {NOISE_RATES[g]}" for g in L.GENES)
    env = evaluate(
        parse_block(text, "NOISE_RATES"), dict(zip(L.PARAM_NAMES, map(float, p), strict=True))
    )
    k = np.array([float(env[f"k_{g}"]) for g in L.GENES])
    for g in NOISE_FIXED:
        k[L.GENES.index(g)] *= -1.0
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
def _neuron_kind(r, base, u):
    """The class (kind code) of a newborn neuron: ``r[base + f]`` are its fates' probabilities."""
    acc = 0.0
    n_f = len(L.FATE_CLASS)
    for f in range(n_f):
        acc += r[base + f]
        if u * 1.0 < acc:
            return L.FATE_CLASS[f] + 1
    return L.FATE_CLASS[n_f - 1] + 1


@jit(inline="always")
def _local_env(env, ctl, i, g, pos, grid, gix, giy, g_nodal, g_bmp, notch, crowd):
    """The endogenous inputs cell ``i`` sees (``ENV``): its place's signals and crowding."""
    endo_mode = int(ctl[C_ENDO])
    if ctl[C_OCC_LOCAL] > 0.5:
        # from the cells within reach: contact inhibition counts the others, while the density
        # that scales signalling counts the cell too (its own Nodal reaches it; the colony edge)
        occ = local_occupancy(crowd[i], ctl[C_OCC_SCALE])
        dens = crowd[i] * ctl[C_DENS_SCALE]
    else:  # the vessel's mean field
        occ = ctl[C_OCC]
        dens = ctl[C_DENSITY]
    dens = max(dens, 1e-12)
    if endo_mode == 1:  # the patch's fields where the cell is
        nod, bmp = cic_sample_pair(grid, pos[i, 0], pos[i, 1], gix, giy)
        env[L.V_nodal_src] = nod / dens
        env[L.V_bmp_src] = bmp
    elif endo_mode == 2:  # the cell's aggregate
        env[L.V_nodal_src] = g_nodal[g]
        env[L.V_bmp_src] = g_bmp[g]
    else:  # the population's means
        env[L.V_nodal_src] = ctl[C_NODAL]
        env[L.V_bmp_src] = ctl[C_BMP]
    env[L.V_delta] = notch[i] if ctl[C_NOTCH_LOCAL] > 0.5 else ctl[C_DELTA]
    env[L.V_occ] = occ
    env[L.V_density] = dens
    env[L.V_fmt] = ctl[C_FMT]
    env[L.V_agg] = ctl[C_AGG]
    env[L.V_stress] = ctl[C_STRESS]
    env[L.V_mn_hazard] = ctl[C_MN_HAZARD]
    env[L.V_mn_deprivation] = ctl[C_MN_DEPRIVATION]
    env[L.V_cassette_nil] = ctl[C_CAS_NIL]
    env[L.V_cassette_ngn2] = ctl[C_CAS_NGN2]


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
    ip,
    dp,
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
    t1 = ctl[C_T] + ctl[C_DT]
    dt = ctl[C_DT]
    tm = ctl[C_T] + 0.5 * dt
    sigma = ctl[C_NOISE]
    n_abs = abs_idx.shape[0]
    ng = L.N_GENES
    # noise amplitude of each gene times sqrt(dt): genes with the tempo factor, genes without
    noise_tempo = np.zeros(ng)
    noise_fixed = np.zeros(ng)
    for gi in range(ng):
        amp = sigma * math.sqrt(2.0 * abs(krel[gi]) * dt)
        if krel[gi] < 0.0:
            noise_fixed[gi] = amp
        else:
            noise_tempo[gi] = amp
    gix = endo_grid.shape[1] / box[0]  # nodes per um
    giy = endo_grid.shape[0] / box[1]
    n_blocks = (n + BLOCK - 1) // BLOCK
    for blk in prange(n_blocks):
        y = np.empty(ng)
        k1 = np.empty(ng)
        k2 = np.empty(ng)
        yt = np.empty(ng)
        dw = np.zeros(ng)
        r1 = np.empty(N_RATES)
        r2 = np.empty(N_RATES)
        sh = np.empty(N_SHARED)
        env = np.empty(L.N_ENV)
        a_loc = np.empty(_NP)
        f_loc = np.empty(_NP)
        z_loc = np.empty(_NP)
        scale = np.ones(u.shape[0] - L.U_CONC)
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            g = group[i]
            # ------------------------------------------------ the medium this cell sees
            if g >= 0 and n_abs > 0:  # inside an aggregate: its shell's share of the bulk
                for q in range(n_abs):
                    scale[abs_idx[q]] = prof[g, q, shell[i]]
                pathway_inputs(tm, u, comp, scale, a_loc, f_loc, z_loc)
                a, f, z = a_loc, f_loc, z_loc
            else:  # the bulk medium
                a, f, z = afz[0], afz[1], afz[2]
            _local_env(env, ctl, i, g, pos, endo_grid, gix, giy, g_nodal, g_bmp, notch, crowd)
            shared(a, f, z, env, p, ip, dp, sh)
            k = kind[i]
            if k != 0:
                _neuron_step(k, i, kind, event, sh, seed, cid, step, dt)
                continue
            te = np.float64(theta[i])
            ph = np.float64(phi[i])
            for gi in range(ng):  # stored in single precision, stepped in double
                y[gi] = genes[i, gi]
            cell(y, 0, k1, 0, te, ph, a, f, z, env, sh, p, ip, dp, r1)
            # ------------------------------------------------ noise increments
            if sigma > 0.0:
                st = math.sqrt(te)
                h = hash64(seed, cid[i], step, STREAM_NOISE * 8)  # bit gi: the sign of gene gi
                for gi in range(ng):
                    sgn = 1.0 - 2.0 * float((h >> np.uint64(gi)) & _ONE)
                    dw[gi] = sgn * (noise_tempo[gi] * st + noise_fixed[gi]) * max(y[gi], 0.0)
            for gi in range(ng):
                yt[gi] = max(y[gi] + k1[gi] * dt + dw[gi], 0.0)
            cell(yt, 0, k2, 0, te, ph, a, f, z, env, sh, p, ip, dp, r2)
            for gi in range(ng):
                y[gi] = max(y[gi] + 0.5 * (k1[gi] + k2[gi]) * dt + dw[gi], 0.0)
                genes[i, gi] = y[gi]
            _progenitor_events(i, r1, r2, dt, t1, event, kind, born, phase, thresh, seed, cid, step)


@jit(inline="always")
def _neuron_step(k, i, kind, event, sh, seed, cid, step, dt):
    """A neuron dies at its class's rate or, if an immature MN, may become CHAT+."""
    is_mn = k <= 4
    mu = sh[L.S_mu_mn] if is_mn else sh[L.S_mu_n]
    if uniform(seed, cid[i], step, STREAM_EVENT) < 1.0 - math.exp(-mu * dt):
        event[i] = 2
        return
    event[i] = 0
    if (k == 1 or k == 3) and uniform(seed, cid[i], step, STREAM_FATE) < 1.0 - math.exp(
        -sh[L.S_chat] * dt
    ):
        kind[i] = k + 1


@jit(inline="always")
def _progenitor_events(i, r1, r2, dt, t1, event, kind, born, phase, thresh, seed, cid, step):
    """Death, neurogenesis or programming (competing exits), else division progress."""
    death = 0.5 * (r1[L.R_death] + r2[L.R_death])
    lam_ng = 0.5 * (r1[L.R_ng] + r2[L.R_ng])
    lam_tg = 0.5 * (r1[L.R_tg] + r2[L.R_tg])
    rate = death + lam_ng + lam_tg
    p_exit = 1.0 - math.exp(-rate * dt)
    ue = uniform(seed, cid[i], step, STREAM_EVENT)
    if ue < p_exit:
        x = ue / p_exit * rate
        if x < death:
            event[i] = 2
            return
        base = L.R_PROG if x >= death + lam_ng else L.R_FATE
        for q in range(L.N_FATES):  # the fates' probabilities, averaged over the two stages
            r1[base + q] = 0.5 * (r1[base + q] + r2[base + q])
        kind[i] = _neuron_kind(r1, base, uniform(seed, cid[i], step, STREAM_FATE))
        born[i] = t1
        event[i] = 3
        return
    phase[i] += 0.5 * (r1[L.R_div] + r2[L.R_div]) * dt
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
                if cv > 0.0 and gi != L.G_CLOCK and gi != L.G_LEVEL:
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
            # the progress past the threshold is the time since division (at the rate within
            # the step): both cells keep it, or every division would lose a fraction of a step
            excess = phase[i] - thresh[i]
            phase[i] = excess
            phase[d] = excess
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
