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
from ..network import N_EMIT, emit, neuron_readout, progenitor_readout
from .blocks import BLOCK, reduction_blocks

__all__ = [
    "N_SUMS",
    "S_BMP",
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

S_PROG, S_NODAL, S_BMP, S_DELTA, S_TOTAL = range(5)
N_SUMS = 5
_N_PROG_TYPES = L.N_PROGENITOR_TYPES


@jit(inline="always")
def cell_sums(genes, i, kind, p, ip, dp, afz, e):
    """What cell ``i`` adds to the population sums: (progenitor, Nodal, BMP, Delta sources).

    The sources are the ``EMIT`` equations (a neuron emits nothing); ``e`` is scratch of
    ``N_EMIT`` floats; ``afz`` the medium's pathway inputs (agonist, inhibitor and antagonist terms).
    """
    if kind != 0:
        return 0.0, 0.0, 0.0, 0.0
    emit(genes[i], 0, p, ip, dp, afz[0], afz[1], afz[2], e)
    return 1.0, e[L.E_nodal], e[L.E_bmp], e[L.E_delta]


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
def add_sums(part, gpart, blk, g, n_groups, prog, nodal, bmp, delta):
    """Add one cell's contributions to block ``blk``'s partial sums (and its aggregate's)."""
    part[blk, S_PROG] += prog
    part[blk, S_NODAL] += nodal
    part[blk, S_BMP] += bmp
    part[blk, S_DELTA] += delta
    part[blk, S_TOTAL] += 1.0
    if n_groups > 0 and g >= 0:
        gpart[blk, g, S_PROG] += prog
        gpart[blk, g, S_NODAL] += nodal
        gpart[blk, g, S_BMP] += bmp
        gpart[blk, g, S_DELTA] += delta
        gpart[blk, g, S_TOTAL] += 1.0


@jit(inline="always")
def finish_sums(part, gpart, n_groups, out, out_group):
    """Add block partials in block order (so the sums do not depend on the threads)."""
    for q in range(N_SUMS):
        out[q] = 0.0
    for g in range(n_groups):
        for q in range(N_SUMS):
            out_group[g, q] = 0.0
    for blk in range(part.shape[0]):
        for q in range(N_SUMS):
            out[q] += part[blk, q]
        for g in range(n_groups):
            for q in range(N_SUMS):
                out_group[g, q] += gpart[blk, g, q]


@jit(parallel=True)
def population_sums(n, genes, kind, group, p, ip, dp, afz, n_groups, out, out_group):
    """Population sums, and the same per aggregate.

    ``out`` receives progenitors, Nodal, BMP and Delta sources and the total; ``out_group[g]`` the same
    for aggregate ``g`` (when ``n_groups > 0``). With space,
    :func:`~ipscsim.engines.abm.space.sorted_copies` takes the same sums in its pass.
    """
    chunk, n_blocks, part, gpart = sum_partials(n, n_groups)
    for blk in prange(n_blocks):
        e = np.empty(N_EMIT)
        for i in range(blk * chunk, min(n, (blk + 1) * chunk)):
            prog, nodal, bmp, delta = cell_sums(genes, i, kind[i], p, ip, dp, afz, e)
            add_sums(part, gpart, blk, group[i], n_groups, prog, nodal, bmp, delta)
    finish_sums(part, gpart, n_groups, out, out_group)


@jit(parallel=True)
def record_readouts(n, genes, kind, p, ip, dp, cassette_nil, weight, types, markers, neurons):
    """Expected cells of each type, marker-positive cells and neurons by class.

    Each progenitor is scored through the ``READOUT`` gating and each neuron through ``NEURON``
    (their compiled forms), each cell weighing ``weight``: the expected fractions a cytometer would
    report, as the ODE engine's readouts. ``types`` follows ``CELL_TYPES`` (progenitor types first,
    then MN, interneuron, rostral neuron, glutamatergic neuron), ``neurons`` the neuron classes.
    """
    n_types = types.shape[0]
    n_markers = markers.shape[0]
    n_cls = neurons.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    tp = np.zeros((max(n_blocks, 1), n_types))
    mp = np.zeros((max(n_blocks, 1), n_markers))
    npart = np.zeros((max(n_blocks, 1), n_cls))
    for blk in prange(n_blocks):
        t1 = np.empty(_N_PROG_TYPES)
        m1 = np.empty(n_markers)
        for i in range(blk * BLOCK, min(n, (blk + 1) * BLOCK)):
            k = kind[i]
            if k != 0:
                npart[blk, k - 1] += 1.0
                for q in range(n_markers):
                    m1[q] = 0.0
                level = np.float64(genes[i, L.G_LEVEL])  # a neuron's genes are its birth's
                neuron_readout(k, level, 1.0, p, ip, dp, m1)
            else:
                progenitor_readout(genes[i], 0, p, ip, dp, cassette_nil, t1, m1)
                for q in range(_N_PROG_TYPES):
                    tp[blk, q] += t1[q]
            for q in range(n_markers):
                mp[blk, q] += m1[q]
    for q in range(n_types):
        types[q] = 0.0
    for q in range(n_markers):
        markers[q] = 0.0
    for q in range(n_cls):
        neurons[q] = 0.0
    for blk in range(n_blocks):
        for q in range(n_types):
            types[q] += tp[blk, q]
        for q in range(n_markers):
            markers[q] += mp[blk, q]
        for q in range(n_cls):
            neurons[q] += npart[blk, q]
    for c in range(n_cls):  # neuron classes to their cell types
        types[L.NEURON_TYPE_INDEX[c]] += neurons[c]
    for q in range(n_types):
        types[q] *= weight
    for q in range(n_markers):
        markers[q] *= weight
    for q in range(n_cls):
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
