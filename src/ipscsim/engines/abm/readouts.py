"""Sums over the cells of an agent-based run: mean fields, aggregate geometry and the readouts (numba).

Every sum is taken block by block (blocks fixed by the number of cells alone,
:func:`~ipscsim.engines.abm.blocks.reduction_blocks`, in parallel) and the block partials are added in
block order, so the floating-point result, and with it the whole run, is the same on one thread or many.

The readouts score each progenitor through the same marker gates as the ODE engine's
(:func:`ipscsim.model.readouts.cell_counts`, :func:`~ipscsim.model.readouts.marker_counts`), each cell
counting as one cohort of its own: the expected fraction a cytometer would report. ``tests`` hold the two
to each other.
"""

from __future__ import annotations

import math

import numpy as np

from ...model import layout as L
from .._jit import jit, prange
from ..kernels import gate
from .blocks import BLOCK, reduction_blocks

__all__ = [
    "N_SUMS",
    "S_BMP_SRC",
    "S_COMMITTED",
    "S_DELTA",
    "S_NODAL",
    "S_PROG",
    "S_TOTAL",
    "add_sums",
    "cell_sums",
    "finish_sums",
    "group_geometry",
    "population_sums",
    "record_readouts",
    "sum_partials",
]

S_PROG, S_NODAL, S_COMMITTED, S_DELTA, S_TOTAL, S_BMP_SRC = range(6)
N_SUMS = 6
N_TYPES = 10
N_MARKERS = 11


@jit(inline="always")
def cell_sums(genes, i, kind, w_off):
    """What cell ``i`` adds to the population sums: (progenitor, Nodal source, committed, NGN2)."""
    if kind != 0:
        return 0.0, 0.0, 1.0, 0.0  # neurons count as neural
    o4 = max(genes[i, L.G_OCT4], 0.0)
    ne = max(genes[i, L.G_NEURAL], 0.0)
    return (
        1.0,
        o4 + w_off * max(genes[i, L.G_OFF], 0.0),
        min(1.0, o4 + ne),
        max(genes[i, L.G_NGN2], 0.0),
    )


@jit(inline="always")
def sum_partials(n, n_groups):
    """Blocks of a population sum over ``n`` cells and their zeroed partials (total, per aggregate)."""
    chunk, n_blocks = reduction_blocks(n)
    return (
        chunk,
        n_blocks,
        np.zeros((n_blocks, N_SUMS)),
        np.zeros((n_blocks, max(n_groups, 1), N_SUMS)),
    )


@jit(inline="always")
def add_sums(part, gpart, blk, g, n_groups, prog, nodal, committed, ngn):
    """Add one cell's contributions to block ``blk``'s partial sums (and its aggregate's)."""
    part[blk, 0] += prog
    part[blk, 1] += nodal
    part[blk, 2] += committed
    part[blk, 3] += ngn
    part[blk, 4] += 1.0
    if n_groups > 0 and g >= 0:
        gpart[blk, g, 0] += prog
        gpart[blk, g, 1] += nodal
        gpart[blk, g, 2] += committed
        gpart[blk, g, 3] += ngn
        gpart[blk, g, 4] += 1.0


@jit(inline="always")
def finish_sums(part, gpart, n_groups, out, out_group):
    """Add block partials in block order; the BMP source share from the committed cells."""
    for q in range(N_SUMS):
        out[q] = 0.0
    for g in range(n_groups):
        for q in range(N_SUMS):
            out_group[g, q] = 0.0
    for blk in range(part.shape[0]):
        for q in range(5):
            out[q] += part[blk, q]
        for g in range(n_groups):
            for q in range(5):
                out_group[g, q] += gpart[blk, g, q]
    # share of cells that are neither pluripotent nor neural (the BMP source of the ODE engine)
    out[S_BMP_SRC] = max(0.0, 1.0 - out[S_COMMITTED] / out[S_TOTAL]) if out[S_TOTAL] > 0 else 0.0
    for g in range(n_groups):
        tot = out_group[g, S_TOTAL]
        out_group[g, S_BMP_SRC] = (
            max(0.0, 1.0 - out_group[g, S_COMMITTED] / tot) if tot > 0 else 0.0
        )


@jit(parallel=True)
def population_sums(n, genes, kind, group, p, n_groups, out, out_group):
    """Population sums, and the same per aggregate.

    ``out`` receives progenitors, Nodal source, committed, Delta, total and BMP source;
    ``out_group[g]`` the same for aggregate ``g`` (when ``n_groups > 0``). With space,
    :func:`~ipscsim.engines.abm.space.sorted_copies` takes the same sums in its pass.
    """
    chunk, n_blocks, part, gpart = sum_partials(n, n_groups)
    w_off = p[L.P_tgf_autocrine_offtarget]
    for blk in prange(n_blocks):
        for i in range(blk * chunk, min(n, (blk + 1) * chunk)):
            prog, nodal, committed, ngn = cell_sums(genes, i, kind[i], w_off)
            add_sums(part, gpart, blk, group[i], n_groups, prog, nodal, committed, ngn)
    finish_sums(part, gpart, n_groups, out, out_group)


@jit(parallel=True)
def record_readouts(n, genes, kind, p, weight, types, markers, neurons):
    """Expected cells of each type, marker-positive cells and neurons by class.

    Outputs go to ``types``, ``markers`` and ``neurons`` (in the order of the ODE engine's neuron
    globals); each cell weighs ``weight``.
    """
    th = p[L.P_gate_threshold]
    sd = p[L.P_sigma_measurement]
    n_blocks = (n + BLOCK - 1) // BLOCK
    tp = np.zeros((max(n_blocks, 1), N_TYPES))
    mp = np.zeros((max(n_blocks, 1), N_MARKERS))
    npart = np.zeros((max(n_blocks, 1), 7))
    for blk in prange(n_blocks):
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            k = kind[i]
            if k != 0:
                npart[blk, k - 1] += 1.0
                continue
            o4 = gate(genes[i, L.G_OCT4], th, sd)
            ne_level = max(genes[i, L.G_NEURAL], 0.0)
            off_level = max(genes[i, L.G_OFF], 0.0)
            ne_on = gate(ne_level, th, sd)
            off_on = gate(off_level, th, sd)
            tot = ne_level + off_level
            bias = ne_level / max(tot, 1e-12) if tot > 1e-12 else 0.5
            neural = ne_on * (1.0 - off_on) + (1.0 - ne_on) * (1.0 - off_on) * bias
            mat = gate(genes[i, L.G_MAT], th, sd)
            hox = gate(genes[i, L.G_HOX], th, sd)
            nkx = gate(genes[i, L.G_NKX22], th, sd)
            oli = gate(genes[i, L.G_OLIG2], th, sd)
            rest = 1.0 - o4
            committed = rest * neural * mat
            tp[blk, 0] += o4
            tp[blk, 1] += rest * neural * (1.0 - mat)
            tp[blk, 2] += committed * (1.0 - hox)
            tp[blk, 3] += committed * hox * (1.0 - nkx) * oli
            tp[blk, 4] += committed * hox * nkx
            tp[blk, 5] += committed * hox * (1.0 - nkx) * (1.0 - oli)
            tp[blk, 9] += rest * (1.0 - neural)
            mp[blk, 0] += o4
            mp[blk, 1] += gate(genes[i, L.G_PAX6], th, sd)
            mp[blk, 2] += mat
            mp[blk, 3] += hox
            mp[blk, 4] += oli
            mp[blk, 5] += nkx
            mp[blk, 6] += gate(genes[i, L.G_IRX3], th, sd)
            mp[blk, 7] += gate(genes[i, L.G_NKX61], th, sd)
            mp[blk, 8] += gate(genes[i, L.G_TG], th, sd)
    for q in range(N_TYPES):
        types[q] = 0.0
    for q in range(N_MARKERS):
        markers[q] = 0.0
    for q in range(7):
        neurons[q] = 0.0
    for blk in range(n_blocks):
        for q in range(N_TYPES):
            types[q] += tp[blk, q]
        for q in range(N_MARKERS):
            markers[q] += mp[blk, q]
        for q in range(7):
            neurons[q] += npart[blk, q]
    # neuron classes: MN (HOX+), MN CHAT+, V3, V2, rostral, MN (HOX-), MN CHAT+ (HOX-)
    mn_hox = neurons[0] + neurons[1]
    mn_all = mn_hox + neurons[5] + neurons[6]
    types[6] = mn_all
    types[7] = neurons[2] + neurons[3]
    types[8] = neurons[4]
    markers[3] += mn_hox + neurons[2] + neurons[3]
    markers[8] += mn_all
    markers[9] = mn_all
    markers[10] = neurons[1] + neurons[6]
    for q in range(N_TYPES):
        types[q] *= weight
    for q in range(N_MARKERS):
        markers[q] *= weight
    for q in range(7):
        neurons[q] *= weight


@jit
def group_geometry(n, pos, group, n_groups, width, max_shells, centre, radius, counts, shell):
    """Centre, radius and cells per spherical shell of each aggregate; each cell's shell index.

    Args:
        n: Live cells.
        pos: Positions.
        group: Aggregate of each cell.
        n_groups: Aggregates.
        width: Shell width (um).
        max_shells: Shells allotted per aggregate (cells beyond fall in the last).
        centre: Output ``(n_groups, 3)``.
        radius: Output ``(n_groups,)``: the outermost cell's distance plus half a shell.
        counts: Output ``(n_groups, max_shells)``.
        shell: Output: each cell's shell.
    """
    cnt = np.zeros(n_groups)
    for g in range(n_groups):
        centre[g, 0] = 0.0
        centre[g, 1] = 0.0
        centre[g, 2] = 0.0
        radius[g] = 0.0
        for s in range(max_shells):
            counts[g, s] = 0.0
    for i in range(n):
        g = group[i]
        if g < 0:
            continue
        cnt[g] += 1.0
        centre[g, 0] += pos[i, 0]
        centre[g, 1] += pos[i, 1]
        centre[g, 2] += pos[i, 2]
    for g in range(n_groups):
        if cnt[g] > 0:
            centre[g, 0] /= cnt[g]
            centre[g, 1] /= cnt[g]
            centre[g, 2] /= cnt[g]
    for i in range(n):
        g = group[i]
        if g < 0:
            shell[i] = 0
            continue
        dx = pos[i, 0] - centre[g, 0]
        dy = pos[i, 1] - centre[g, 1]
        dz = pos[i, 2] - centre[g, 2]
        r = math.sqrt(dx * dx + dy * dy + dz * dz)
        s = min(int(r / width), max_shells - 1)
        shell[i] = s
        counts[g, s] += 1.0
        if r + 0.5 * width > radius[g]:
            radius[g] = r + 0.5 * width
