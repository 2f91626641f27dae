"""Fields and snapshots of an agent-based run: endogenous signals, compounds in aggregates, cells.

* :func:`endogenous_fields`: the cells' own Nodal and BMP on an adherent patch, deposited from the
  cells (:func:`deposit_sources`) and spread by a screened Poisson equation of the paracrine length;
* :func:`aggregate_profiles`: the concentration of each compound that cells take up on the spherical
  shells of every aggregate (relative to the bulk medium);
* :func:`snapshot`: every live cell's state, as plain arrays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.fft import next_fast_len

from ...model import layout as L
from .._jit import jit
from ..network import N_EMIT, emit
from ..threads import get_threads
from .cells import Cells
from .fields import cic_cell, radial_profile, screened_poisson_2d
from .placement import UM2_PER_CM2, Space
from .readouts import group_geometry

__all__ = [
    "MAX_SHELLS",
    "SHELL_WIDTH",
    "UM2_PER_CM2",
    "aggregate_profiles",
    "deposit_sources",
    "endogenous_fields",
    "snapshot",
]

#: Width of the spherical shells of an aggregate's fields, in cell diameters.
SHELL_WIDTH = 1.0
#: Shells allotted per aggregate.
MAX_SHELLS = 256


@jit
def deposit_sources(n, pos, genes, kind, p, ip, dp, afz, box, grids):
    """Spread the cells' emissions onto ``grids`` (0: Nodal, 1: BMP, 2: cells), per um^2.

    A progenitor emits what ``EMIT`` says (``afz``: the medium's pathway inputs, which emissions may
    read); neurons count as cells and emit nothing.
    """
    nk, ny, nx = grids.shape
    hx = box[0] / nx
    hy = box[1] / ny
    inv_area = 1.0 / (hx * hy)
    e = np.empty(N_EMIT)
    for q in range(nk):
        for b in range(ny):
            for a in range(nx):
                grids[q, b, a] = 0.0
    for i in range(n):
        v0 = 0.0
        v1 = 0.0
        if kind[i] == 0:
            emit(genes[i], 0, p, ip, dp, afz[0], afz[1], afz[2], e)
            v0 = e[L.E_nodal]
            v1 = e[L.E_bmp]
        x0, y0, x1, y1, fx, fy = cic_cell(pos[i, 0], pos[i, 1], 1.0 / hx, 1.0 / hy, nx, ny)
        w00 = (1.0 - fx) * (1.0 - fy) * inv_area
        w01 = fx * (1.0 - fy) * inv_area
        w10 = (1.0 - fx) * fy * inv_area
        w11 = fx * fy * inv_area
        for q in range(3):
            v = v0 if q == 0 else (v1 if q == 1 else 1.0)
            if v != 0.0:
                grids[q, y0, x0] += v * w00
                grids[q, y0, x1] += v * w01
                grids[q, y1, x0] += v * w10
                grids[q, y1, x1] += v * w11


def endogenous_fields(cells: Cells, space: Space, pk: tuple, afz: np.ndarray, grids: dict) -> None:
    """Solve the patch's endogenous Nodal and BMP sources and its density into ``grids``.

    The emissions are spread over the paracrine length (a screened Poisson equation on the periodic
    patch): ``nodal`` is the Nodal emitted per cm² (cells per cm² times their mean emission),
    ``bmp`` the mean BMP emission per cell, ``density`` cells per cm². ``grids["_pair"]`` holds
    ``nodal`` and ``bmp`` side by side in single precision, which is what the cells read.
    """
    p = pk[0]
    n = cells.n
    length = float(p[L.P_paracrine_length])
    h = 0.5 * length
    nx = next_fast_len(max(4, int(math.ceil(space.box[0] / h))), real=True)
    ny = next_fast_len(max(4, int(math.ceil(space.box[1] / h))), real=True)
    src = np.empty((3, ny, nx))
    deposit_sources(n, cells.pos, cells.genes, cells.kind, *pk, afz, space.box, src)
    workers = get_threads()
    nodal_src, bmp_src, all_cells = (
        screened_poisson_2d(g, space.box, length, workers) for g in src
    )
    nodal = nodal_src * UM2_PER_CM2
    with np.errstate(invalid="ignore", divide="ignore"):
        bmp = np.where(all_cells > 1e-12, bmp_src / all_cells, 0.0)
    grids.clear()
    grids["nodal"] = nodal
    grids["bmp"] = bmp
    grids["density"] = all_cells * UM2_PER_CM2
    # what the cells read: both signals side by side in single precision (half the cache footprint)
    grids["_pair"] = np.ascontiguousarray(np.stack([nodal, bmp], axis=-1), dtype=np.float32)


def aggregate_profiles(cells, space, abs_idx, decay_len, diam, cell_vol, registry):
    """Concentration profiles (relative to the bulk) of the compounds ``abs_idx`` in every aggregate.

    Returns:
        ``(prof, shown)``: profiles ``(n_groups, len(abs_idx), MAX_SHELLS)`` for the step, and the
        fields a snapshot keeps (centres, radii, shell width, one profile per compound).
    """
    n_groups = space.n_groups
    width = SHELL_WIDTH * diam
    centre = np.zeros((n_groups, 3))
    radius = np.zeros(n_groups)
    counts = np.zeros((n_groups, MAX_SHELLS))
    group_geometry(
        cells.n,
        cells.pos,
        cells.group,
        n_groups,
        width,
        MAX_SHELLS,
        centre,
        radius,
        counts,
        cells.shell,
    )
    prof = np.ones((n_groups, len(abs_idx), MAX_SHELLS))
    names = registry().names
    shown: dict[str, Any] = {
        "aggregate_centre": centre,
        "aggregate_radius": radius,
        "shell_width": width,
    }
    for g in range(n_groups):
        nb = max(1, min(MAX_SHELLS, int(math.ceil(radius[g] / width))))
        for q, j in enumerate(abs_idx):
            buf = np.empty(nb)
            radial_profile(counts[g, :nb], width, max(radius[g], 1e-6), decay_len[j], cell_vol, buf)
            prof[g, q, :nb] = buf
            prof[g, q, nb:] = 1.0
    for q, j in enumerate(abs_idx):
        shown[f"profile:{names[j]}"] = prof[:, q, :].copy()
    return prof, shown


def snapshot(cells: Cells, space: Space, unit: float) -> dict[str, np.ndarray]:
    """Every live cell's position, genes, kind, ids and heterogeneity, as plain float64/int arrays."""
    n = cells.n
    snap = {
        "x": cells.pos[:n, 0].astype(np.float64),
        "y": cells.pos[:n, 1].astype(np.float64),
        "genes": cells.genes[:n].astype(np.float64),
        "kind": cells.kind[:n].copy(),
        "cell_id": cells.cid[:n].copy(),
        "aggregate": cells.group[:n].copy(),
        "born": cells.born[:n].astype(np.float64),
        "sensitivity": cells.phi[:n].astype(np.float64),
        "tempo": cells.theta[:n].astype(np.float64),
        "notch_input": cells.notch[:n].astype(np.float64),
        "_dims": np.array([space.dims]),
        "_box": space.box.copy(),
        "_unit": np.array([unit]),
    }
    if space.dims == 3:
        snap["z"] = cells.pos[:n, 2].astype(np.float64)
    return snap
