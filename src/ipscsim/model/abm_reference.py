"""Plain-numpy reference of one agent-based step (well-mixed medium) and its births and deaths.

It follows :func:`ipscsim.engines.abm.step.step_cells` step by step with the numpy interpreter of the
equations (:func:`ipscsim.model.reference.shared`, :func:`~ipscsim.model.reference.cell_env`) and the
same counter-based random numbers, so that the compiled kernel can be held to it;
:func:`events_reference` does the same for :func:`ipscsim.engines.abm.step.apply_events`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import layout as L
from .network import FATES, NEURON_CLASSES
from .pharmacology import concentrations, pathway_inputs
from .reference import cell_env, shared
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


def _take(d: dict[str, Any], idx: np.ndarray, n: int) -> dict[str, Any]:
    return {
        k: (v[idx] if isinstance(v, np.ndarray) and v.shape == (n,) else v) for k, v in d.items()
    }


def _neurons(kind, event, sh, ue, uf, dt):
    """Neuron deaths and CHAT maturation (in place)."""
    neuron = kind > 0
    is_mn = neuron & (kind <= 4)
    mu = np.where(is_mn, sh["mu_mn"], sh["mu_n"])
    dies = neuron & (ue < 1.0 - np.exp(-mu * dt))
    event[dies] = 2
    chat = 1.0 - np.exp(-sh["chat"] * dt)
    matures = neuron & ~dies & np.isin(kind, (1, 3)) & (uf < chat)
    kind[matures] += 1


def _noise(y, theta, cid, seed, step, krel, dt, sigma):
    if sigma <= 0:
        return np.zeros_like(y)
    base = sigma * np.sqrt(2.0 * np.abs(krel) * dt)
    tempo = np.where(krel[None, :] < 0, 1.0, np.sqrt(theta)[:, None])
    h = hash64_np(seed, cid, step, STREAM_NOISE * 8)
    bits = (h[:, None] >> np.arange(L.N_GENES, dtype=np.uint64)[None, :]) & np.uint64(1)
    sign = 1.0 - 2.0 * bits.astype(np.float64)  # two-point increments, +-sqrt(dt)
    return sign * base[None, :] * tempo * np.maximum(y, 0.0)


def step_reference(
    genes: np.ndarray,
    phi: np.ndarray,
    theta: np.ndarray,
    kind: np.ndarray,
    cid: np.ndarray,
    phase: np.ndarray,
    thresh: np.ndarray,
    env: dict[str, Any],
    p: np.ndarray,
    u: np.ndarray,
    comp: np.ndarray,
    t: float,
    dt: float,
    seed: int,
    step: int,
    krel: np.ndarray,
):
    """One step of every cell (see :func:`ipscsim.engines.abm.step.step_cells`).

    Args:
        genes: Gene levels ``(n, N_GENES)``.
        phi: Each cell's signal sensitivity factor.
        theta: Each cell's tempo factor.
        kind: 0 for a progenitor, else the neuron class code (1-based).
        cid: Cell identities (they key the random streams).
        phase: Progress through the cell cycle.
        thresh: Each cell's division threshold.
        env: Each cell's endogenous inputs (``ENV`` names to arrays or scalars).
        p: Parameters.
        u: The segment's protocol inputs.
        comp: The compound target table.
        t: Day at the step's start.
        dt: Step (days).
        seed: The run's seed.
        step: The step's number.
        krel: Each gene's relaxation rate (:func:`~ipscsim.engines.abm.step.gene_relaxation`).

    Returns:
        ``(genes, kind, phase, event)`` after the step (new arrays).
    """
    genes = genes.astype(np.float64).copy()
    kind = kind.copy()
    phase = phase.astype(np.float64).copy()
    n = len(kind)
    event = np.zeros(n, dtype=np.int8)
    a, f, z = pathway_inputs(concentrations(t + 0.5 * dt, u, comp), comp)
    sh = shared(a, f, z, env, p)
    ue = hash_uniform_np(seed, cid, step, STREAM_EVENT)
    uf = hash_uniform_np(seed, cid, step, STREAM_FATE)
    _neurons(kind, event, sh, ue, uf, dt)
    idx = np.nonzero(kind == 0)[0]
    shp = _take(sh, idx, n)
    y = genes[idx]
    ph, th = phi[idx].astype(np.float64), theta[idx].astype(np.float64)
    c1 = cell_env(shp, y, ph, th)
    k1 = np.stack([np.broadcast_to(c1[f"d.{g}"], (len(idx),)) for g in L.GENES], axis=1)
    dw = _noise(y, th, cid[idx], seed, step, krel, dt, p[L.P_abm_noise])
    yt = np.maximum(y + k1 * dt + dw, 0.0)
    c2 = cell_env(shp, yt, ph, th)
    k2 = np.stack([np.broadcast_to(c2[f"d.{g}"], (len(idx),)) for g in L.GENES], axis=1)
    genes[idx] = np.maximum(y + 0.5 * (k1 + k2) * dt + dw, 0.0)
    _events(idx, c1, c2, dt, ue, uf, event, kind, phase, thresh)
    return genes, kind, phase, event


def _avg(c1, c2, name, n):
    return 0.5 * (np.broadcast_to(c1[name], (n,)) + np.broadcast_to(c2[name], (n,)))


def _events(idx, c1, c2, dt, ue, uf, event, kind, phase, thresh) -> None:
    """Competing exits (death, neurogenesis, programming) or division progress, per progenitor."""
    m = len(idx)
    div, death = _avg(c1, c2, "rate.div", m), _avg(c1, c2, "rate.death", m)
    lam_ng, lam_tg = _avg(c1, c2, "rate.ng", m), _avg(c1, c2, "rate.tg", m)
    rate = death + lam_ng + lam_tg
    p_exit = 1.0 - np.exp(-rate * dt)
    for q, i in enumerate(idx):
        if ue[i] < p_exit[q]:
            x = ue[i] / p_exit[q] * rate[q]
            if x < death[q]:
                event[i] = 2
                continue
            kind_of = "prog" if x >= death[q] + lam_ng[q] else "fate"
            probs = [float(_avg(c1, c2, f"{kind_of}.{f}", m)[q]) for f in FATES]
            acc, pick = 0.0, len(FATES) - 1
            for j, pr in enumerate(probs):
                acc += pr
                if uf[i] < acc:
                    pick = j
                    break
            kind[i] = NEURON_CLASSES.index(FATES[pick]) + 1
            event[i] = 3
            continue
        phase[i] = np.float32(np.float32(phase[i]) + np.float32(div[q] * dt))
        event[i] = 1 if phase[i] >= thresh[i] else 0


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
        eps[:, [L.G_CLOCK, L.G_LEVEL]] = 0.0  # the clock and the level are not partitioned
        st["genes"][mothers] = genes * (1.0 + eps)
        daughter["genes"] = (genes * (1.0 - eps)).astype(st["genes"].dtype)
    daughter["kind"][:] = 0
    daughter["cid"] = did
    daughter["born"][:] = t1
    # the progress past the threshold is the time since division: both cells keep it
    excess = st["phase"][mothers] - st["thresh"][mothers]
    st["phase"][mothers] = excess
    daughter["phase"] = excess.copy()
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
