r"""Cell-to-cell heterogeneity as cohorts, and the initial state of a run.

The ODE engine follows ``K`` cohorts, each standing for an equal share of the cells. Cohort ``i`` carries a
pair of standard-normal draws, morphogen sensitivity :math:`z_s` and tempo :math:`z_t`, placed on a
two-dimensional rank-1 (golden-ratio) lattice mapped through :math:`\Phi^{-1}`:

.. math:: u_{1,i} = \frac{i + 1/2}{K},\quad u_{2,i} = \{1/2 + i\,(\sqrt5 - 1)/2\},\quad
    z = \Phi^{-1}(u)

a deterministic low-discrepancy design, so a run needs no seed. The agent-based engine draws each cell's
pair from the same standard normal distribution.

A culture whose cassette reaches only some cells (:func:`ipscsim.protocols.delivery.delivery_groups`)
is a mosaic of groups by what the cells express. Each group gets cohorts in proportion to its share,
chosen to span sensitivity and tempo (:func:`cohort_groups`), and its share of the cells is split
evenly over them: the shares are exact at any number of cohorts, while the heterogeneity within a
small group is coarser (measured in docs/model.md, section 4).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from statistics import NormalDist

import numpy as np

from ..errors import ParameterError, is_real
from . import layout as L

__all__ = ["DEFAULT_COHORTS", "cohort_groups", "cohort_nodes", "initial_state"]

log = logging.getLogger("ipscsim")

#: One group: every cell expresses what its line carries (``(share, VEC_NGN2, VEC_IL)`` rows).
WHOLE: tuple[tuple[float, float, float], ...] = ((1.0, 1.0, 1.0),)

#: Cohorts the ODE engine uses unless told otherwise.
DEFAULT_COHORTS = 12


def cohort_nodes(n_cohorts: int = DEFAULT_COHORTS) -> np.ndarray:
    """The ``(K, 3)`` table of (z_sensitivity, z_tempo, weight) of ``K`` cohorts (a fresh copy)."""
    if not is_real(n_cohorts) or int(n_cohorts) != n_cohorts or not 1 <= n_cohorts <= 1000:
        raise ParameterError(
            f"cohorts: {n_cohorts!r} must be a whole number from 1 to 1000 (e.g. 12)"
        )
    return _nodes(int(n_cohorts)).copy()


@lru_cache(maxsize=16)
def _nodes(k: int) -> np.ndarray:
    u1, u2 = _lattice(k).T
    out = np.empty((k, 3))
    inv = NormalDist().inv_cdf  # Wichura's AS241 (within 1 ulp of scipy's ndtri), without importing
    out[:, L.Z_SENS] = [inv(x) for x in u1] if k > 1 else 0.0  # scipy.special (0.2 s) for
    out[:, L.Z_TEMPO] = [inv(x) for x in u2] if k > 1 else 0.0  # the first simulation
    out[:, L.Z_WEIGHT] = 1.0 / k
    return out


def cohort_groups(k: int, groups: tuple = WHOLE) -> np.ndarray:
    """The group of each of ``k`` cohorts for a mosaic's ``groups`` (``(share, ...)`` rows).

    A group of share ``s`` gets about ``s * k`` cohorts (largest remainders, at least one). The
    smaller groups choose first: a group of ``n`` cohorts takes, for each point of its own
    ``n``-point lattice (the design of :func:`cohort_nodes`), the free cohort nearest to it on the
    unit torus, so even a group of two or three cohorts spans sensitivity and tempo; the largest group
    takes the rest.

    Raises:
        ParameterError: if there are fewer cohorts than groups.
    """
    shares = np.array([g[0] for g in groups], dtype=float)
    if k < len(groups):
        raise ParameterError(
            f"cohorts: {k} cohorts cannot hold the {len(groups)} groups of cells the cassette's "
            f"delivery makes; use at least {len(groups)} (e.g. the default {DEFAULT_COHORTS})"
        )
    quota = np.maximum(1, np.floor(shares * k)).astype(np.int64)
    while quota.sum() > k:  # the minimum of one each took cohorts from the largest groups
        quota[np.argmax(quota)] -= 1
    while quota.sum() < k:  # largest remainders
        quota[np.argmax(shares * k - quota)] += 1
    order = np.argsort(quota, kind="stable")
    out = np.full(k, order[-1], dtype=np.int64)
    free = np.ones(k, dtype=bool)
    mine = _lattice(k)
    for g in order[:-1]:
        for point in _lattice(int(quota[g])):
            d = np.abs(mine - point)
            d = np.minimum(d, 1.0 - d)
            dist = np.where(free, (d * d).sum(axis=1), np.inf)
            i = int(np.argmin(dist))
            out[i], free[i] = g, False
    return out


def _lattice(k: int) -> np.ndarray:
    """The ``(k, 2)`` points of :func:`cohort_nodes`'s design on the unit square."""
    i = np.arange(k)
    return np.stack([(i + 0.5) / k, np.mod(0.5 + i * (np.sqrt(5.0) - 1.0) / 2.0, 1.0)], axis=1)


def initial_state(nodes: np.ndarray, suspension: bool, groups: tuple = WHOLE) -> np.ndarray:
    """State at day 0: pluripotent cells (OCT4 = 1, everything else off), split over the cohorts.

    Args:
        nodes: Cohort table from :func:`cohort_nodes`.
        suspension: Whether day 0 is an aggregation of freshly dissociated cells (dissociation stress 1).
        groups: The cells by what they express of the line's cassette, ``(share, VEC_NGN2, VEC_IL)``
            rows (:func:`ipscsim.protocols.delivery.delivery_groups`; default: every cell all of it).
    """
    k = nodes.shape[0]
    y = np.zeros(L.n_state(k))
    coh = y[: k * L.N_COHORT].reshape(k, L.N_COHORT)
    coh[:, L.G_OCT4] = 1.0
    if len(groups) == 1:
        coh[:, L.C_PROG] = nodes[:, L.Z_WEIGHT]
        coh[:, L.G_VEC_NGN2], coh[:, L.G_VEC_IL] = groups[0][1], groups[0][2]
    else:
        member = cohort_groups(k, groups)
        table = np.array(groups, dtype=float)
        sizes = np.bincount(member, minlength=len(groups))
        coh[:, L.C_PROG] = table[member, 0] / sizes[member]
        coh[:, L.G_VEC_NGN2] = table[member, 1]
        coh[:, L.G_VEC_IL] = table[member, 2]
        if sizes.min() < 3:
            log.info(
                "cohorts: a group of %.3g of the cells (by what the cassette gave them) has %d of %d "
                "cohorts; its heterogeneity is coarse (fractions within about 0.05 at 12 cohorts, "
                "docs/model.md section 4): use more cohorts, e.g. ips.ODE(cohorts=48)",
                table[int(np.argmin(sizes)), 0], int(sizes.min()), k,
            )  # fmt: skip
    y[k * L.N_COHORT + L.X_STRESS] = 1.0 if suspension else 0.0
    y[k * L.N_COHORT + L.X_LINEAGE] = 1.0
    return y
