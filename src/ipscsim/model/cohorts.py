r"""Cell-to-cell heterogeneity as cohorts, and the initial state of a run.

The ODE engine follows ``K`` cohorts, each standing for an equal share of the cells. Cohort ``i`` carries a
pair of standard-normal draws, morphogen sensitivity :math:`z_s` and tempo :math:`z_t`, placed on a
two-dimensional rank-1 (golden-ratio) lattice mapped through :math:`\Phi^{-1}`:

.. math:: u_{1,i} = \frac{i + 1/2}{K},\quad u_{2,i} = \{1/2 + i\,(\sqrt5 - 1)/2\},\quad
    z = \Phi^{-1}(u)

a deterministic low-discrepancy design, so a run needs no seed. The agent-based engine draws each cell's
pair from the same standard normal distribution.
"""

from __future__ import annotations

from functools import lru_cache
from statistics import NormalDist

import numpy as np

from ..errors import ParameterError, is_real
from . import layout as L

__all__ = ["DEFAULT_COHORTS", "cohort_nodes", "initial_state"]

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
    i = np.arange(k)
    u1 = (i + 0.5) / k
    u2 = np.mod(0.5 + i * (np.sqrt(5.0) - 1.0) / 2.0, 1.0)
    out = np.empty((k, 3))
    inv = NormalDist().inv_cdf  # Wichura's AS241 (within 1 ulp of scipy's ndtri), without importing
    out[:, L.Z_SENS] = [inv(x) for x in u1] if k > 1 else 0.0  # scipy.special (0.2 s) for
    out[:, L.Z_TEMPO] = [inv(x) for x in u2] if k > 1 else 0.0  # the first simulation
    out[:, L.Z_WEIGHT] = 1.0 / k
    return out


def initial_state(nodes: np.ndarray, suspension: bool) -> np.ndarray:
    """State at day 0: pluripotent cells (OCT4 = 1, everything else off), split over the cohorts.

    Args:
        nodes: Cohort table from :func:`cohort_nodes`.
        suspension: Whether day 0 is an aggregation of freshly dissociated cells (dissociation stress 1).
    """
    k = nodes.shape[0]
    y = np.zeros(L.n_state(k))
    coh = y[: k * L.N_COHORT].reshape(k, L.N_COHORT)
    coh[:, L.G_OCT4] = 1.0
    coh[:, L.C_PROG] = nodes[:, L.Z_WEIGHT]
    y[k * L.N_COHORT + L.X_STRESS] = 1.0 if suspension else 0.0
    y[k * L.N_COHORT + L.X_LINEAGE] = 1.0
    return y
