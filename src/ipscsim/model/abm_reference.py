"""Plain-numpy reference of one agent-based step (well-mixed medium) and its births and deaths.

It follows :func:`ipscsim.engines.abm.step.step_cells` line by line with the model's numpy functions
(:mod:`~ipscsim.model.grn`, :mod:`~ipscsim.model.population`, :mod:`~ipscsim.model.signalling`) and the
same counter-based random numbers, so that the compiled kernel can be held to it;
:func:`events_reference` does the same for :func:`ipscsim.engines.abm.step.apply_events`.
"""

from __future__ import annotations

import math

import numpy as np

from . import layout as L
from .gates import gate
from .grn import grn_rates
from .pharmacology import concentrations, pathway_inputs
from .population import progenitor_rates
from .signalling import signals
from .streams import (
    STREAM_EVENT,
    STREAM_FATE,
    STREAM_MOVE,
    STREAM_NOISE,
    STREAM_PARTITION,
    hash64_np,
    hash_uniform_np,
)

__all__ = ["events_reference", "step_reference"]


def _rates(y, phi, theta, a, f, z, p, nodal, bmp, delta, shield_on, growth, haz):
    sig = signals(a, f, z, phi, p, nodal, 0.0, shield_on, bmp)
    sig = sig._replace(notch_in=f[L.PW_NOTCH] * delta)
    d = grn_rates(y, sig, theta, p)
    div, death, ng, tg = progenitor_rates(y, sig, p, 0.0, haz)
    return d, div * growth, death, ng, tg


def step_reference(
    genes: np.ndarray,
    phi: np.ndarray,
    theta: np.ndarray,
    kind: np.ndarray,
    cid: np.ndarray,
    phase: np.ndarray,
    thresh: np.ndarray,
    delta: np.ndarray,
    occupancy: np.ndarray,
    p: np.ndarray,
    u: np.ndarray,
    comp: np.ndarray,
    t: float,
    dt: float,
    nodal: float,
    bmp: float,
    haz: float,
    mn_hazard: float,
    suspension: bool,
    seed: int,
    step: int,
    krel: np.ndarray,
):
    """One step of every cell (see :func:`ipscsim.engines.abm.step.step_cells`).

    Returns:
        ``(genes, kind, phase, event)`` after the step (new arrays).
    """
    genes = genes.astype(np.float64).copy()
    kind = kind.copy()
    phase = phase.astype(np.float64).copy()
    n = len(kind)
    event = np.zeros(n, dtype=np.int8)
    a, f, z = pathway_inputs(concentrations(t + 0.5 * dt, u, comp), comp)
    phi = phi.astype(np.float64)
    theta = theta.astype(np.float64)
    growth = np.maximum(0.0, 1.0 - occupancy)
    prog = kind == 0
    # neurons
    tro = a[L.PW_TROPHIC] / (1.0 + a[L.PW_TROPHIC])
    tf = 1.0 - p[L.P_trophic_efficacy] * tro
    is_mn = np.isin(kind, (1, 2, 6, 7))
    mu = (
        p[L.P_death_neuron] * tf * np.where(is_mn, mn_hazard, 1.0)
        + haz * p[L.P_neuron_dissociation_factor]
    )
    ue = hash_uniform_np(seed, cid, step, STREAM_EVENT)
    uf = hash_uniform_np(seed, cid, step, STREAM_FATE)
    chat = 1.0 - math.exp(-p[L.P_chat_rate] * dt)
    dies = ~prog & (ue < 1.0 - np.exp(-mu * dt))
    event[dies] = 2
    matures = ~prog & ~dies & np.isin(kind, (1, 6)) & (uf < chat)
    kind[matures] += 1
    # progenitors
    idx = np.nonzero(prog)[0]
    y = genes[idx]
    k1, d1, m1, n1, p1 = _rates(
        y, phi[idx], theta[idx], a, f, z, p, nodal, bmp, delta[idx], suspension, growth[idx], haz
    )
    sigma = p[L.P_abm_noise]
    dw = np.zeros_like(y)
    if sigma > 0:
        base = sigma * np.sqrt(2.0 * krel * dt)
        base[L.G_PROG] = 0.0
        tempo = np.sqrt(theta[idx])[:, None] * np.ones((1, L.N_GENES))
        tempo[:, L.G_TG] = 1.0
        tempo[:, L.G_PRG] = 1.0
        h = hash64_np(seed, cid[idx], step, STREAM_NOISE * 8)
        bits = (h[:, None] >> np.arange(L.N_GENES, dtype=np.uint64)[None, :]) & np.uint64(1)
        sign = 1.0 - 2.0 * bits.astype(np.float64)  # two-point increments, +-sqrt(dt)
        dw = sign * base[None, :] * tempo * np.maximum(y, 0.0)
    yt = np.maximum(y + k1 * dt + dw, 0.0)
    k2, d2, m2, n2, p2 = _rates(
        yt, phi[idx], theta[idx], a, f, z, p, nodal, bmp, delta[idx], suspension, growth[idx], haz
    )
    new = np.maximum(y + 0.5 * (k1 + k2) * dt + dw, 0.0)
    new[:, L.G_PROG] = y[:, L.G_PROG]
    genes[idx] = new
    div = 0.5 * (d1 + d2)
    death = 0.5 * (m1 + m2)
    lam_ng = 0.5 * (n1 + n2)
    lam_tg = 0.5 * (p1 + p2)
    rate = death + lam_ng + lam_tg
    p_exit = 1.0 - np.exp(-rate * dt)
    ue_p = ue[idx]
    out = ue_p < p_exit
    x = np.where(out, ue_p / np.where(p_exit > 0, p_exit, 1.0) * rate, 0.0)
    th, sd = p[L.P_gate_threshold], p[L.P_sigma_fate]
    m_prog = p[L.P_mn_fraction_programmed]
    for q, i in enumerate(idx):
        if out[q]:
            if x[q] < death[q]:
                event[i] = 2
                continue
            hx = float(gate(new[q, L.G_HOX], th, sd))
            nk = float(gate(new[q, L.G_NKX22], th, sd))
            og = float(gate(new[q, L.G_OLIG2], th, sd))
            uu = uf[i]
            programmed = x[q] >= death[q] + lam_ng[q]
            k = 0
            if programmed:
                if uu < m_prog * hx:
                    k = 1
                elif uu < m_prog:
                    k = 6
                else:
                    uu = (uu - m_prog) / (1.0 - m_prog)
            if k == 0:
                p_mn = hx * (1 - nk) * og
                p_v3 = hx * nk
                p_v2 = hx * (1 - nk) * (1 - og)
                k = (
                    1
                    if uu < p_mn
                    else 3
                    if uu < p_mn + p_v3
                    else 4
                    if uu < p_mn + p_v3 + p_v2
                    else 5
                )
            kind[i] = k
            event[i] = 3
            continue
        phase[i] = np.float32(np.float32(phase[i]) + np.float32(div[q] * dt))
        event[i] = 1 if phase[i] >= thresh[i] else 0
    return genes, kind, phase, event


def _cycle_threshold(seed: int, cid: np.ndarray, step: int, sub: int, shape: float) -> np.ndarray:
    """Erlang division thresholds (see :func:`ipscsim.engines.abm.step.cycle_threshold`)."""
    k = min(max(1, int(shape + 0.5)), 255)
    prod = np.ones(len(cid))
    for m in range(k):
        prod *= 1.0 - hash_uniform_np(seed, cid, step, STREAM_PARTITION * 1024 + sub * 256 + m)
    return (2.0 ** (1.0 / k) - 1.0) * -np.log(np.maximum(prod, 1e-300))


def events_reference(
    state: dict[str, np.ndarray],
    event: np.ndarray,
    seed: int,
    step: int,
    p: np.ndarray,
    dims: int,
    box: np.ndarray,
    next_id: int,
    t1: float,
) -> tuple[dict[str, np.ndarray], int, int, int]:
    """Deaths and divisions of a step (see :func:`ipscsim.engines.abm.step.apply_events`).

    Args:
        state: The live cells' ``genes, phi, theta, kind, cid, group, phase, thresh, born, notch,
            pos`` (a daughter takes her mother's values unless the step says otherwise).
        event: Each cell's outcome (0 stays, 1 divides, 2 dies, 3 became a neuron).
        seed: Seed of the random streams.
        step: Step number.
        p: Parameter array.
        dims: 2 (periodic patch) or 3.
        box: Patch size (2-D).
        next_id: Id of the first daughter.
        t1: Day at the end of the step (the daughters' birth day).

    Returns:
        ``(state after, births, deaths, new neurons)``.
    """
    st = {k: np.array(v, copy=True) for k, v in state.items()}
    ev = np.array(event, copy=True)
    n = len(ev)
    # each dead cell's slot takes the last live cell
    last = n - 1
    i = 0
    deaths = 0
    while i <= last:
        if ev[i] != 2:
            i += 1
            continue
        deaths += 1
        while last > i and ev[last] == 2:
            last -= 1
            deaths += 1
        if last == i:
            last -= 1
            break
        for v in st.values():
            v[i] = v[last]
        ev[i] = ev[last]
        last -= 1
    m = last + 1
    st = {k: v[:m] for k, v in st.items()}
    ev = ev[:m]
    neurons = int(np.count_nonzero(ev == 3))
    mothers = np.nonzero(ev == 1)[0]
    b = len(mothers)
    mid = st["cid"][mothers]
    did = np.uint64(next_id) + np.arange(b, dtype=np.uint64)
    daughter = {k: v[mothers].copy() for k, v in st.items()}
    cv = p[L.P_partition_noise]
    genes = st["genes"][mothers].astype(np.float64)
    if cv > 0:
        gi = np.arange(L.N_GENES)
        words = hash64_np(
            seed, mid[:, None], step, STREAM_PARTITION * 1024 + 3 * 256 + gi[None, :] // 4
        )
        bits = (words >> (16 * (gi[None, :] % 4)).astype(np.uint64)) & np.uint64(0xFFFF)
        u = (bits.astype(np.float64) + 0.5) / 65536.0
        eps = np.clip(math.sqrt(3.0) * cv * (2.0 * u - 1.0), -1.0, 1.0)
        eps[:, L.G_PROG] = 0.0
        st["genes"][mothers] = genes * (1.0 + eps)
        daughter["genes"] = (genes * (1.0 - eps)).astype(st["genes"].dtype)
    daughter["kind"][:] = 0
    daughter["cid"] = did
    daughter["born"][:] = t1
    st["phase"][mothers] = 0.0
    daughter["phase"][:] = 0.0
    shape = p[L.P_cycle_shape]
    st["thresh"][mothers] = _cycle_threshold(seed, mid, step, 1, shape)
    daughter["thresh"] = _cycle_threshold(seed, did, step, 2, shape).astype(np.float32)
    half = 0.25 * p[L.P_cell_diameter]
    ang = 2.0 * np.pi * hash_uniform_np(seed, mid, step, STREAM_MOVE)
    if dims == 2:
        v = np.stack([np.cos(ang), np.sin(ang), np.zeros(b)], axis=1)
    else:
        cz = 2.0 * hash_uniform_np(seed, mid, step, STREAM_MOVE + 16) - 1.0
        sz = np.sqrt(np.maximum(0.0, 1.0 - cz * cz))
        v = np.stack([sz * np.cos(ang), sz * np.sin(ang), cz], axis=1)
    centre = st["pos"][mothers].astype(np.float64)
    daughter["pos"] = (centre + half * v).astype(np.float32)
    st["pos"][mothers] = (centre - half * v).astype(np.float32)
    if dims == 2:
        for arr in (daughter["pos"], st["pos"]):
            for a in range(2):
                arr[:, a] = np.where(arr[:, a] < 0.0, arr[:, a] + box[a], arr[:, a])
                arr[:, a] = np.where(arr[:, a] >= box[a], arr[:, a] - box[a], arr[:, a])
    out = {k: np.concatenate([st[k], daughter[k]]) for k in st}
    return out, b, deaths, neurons
