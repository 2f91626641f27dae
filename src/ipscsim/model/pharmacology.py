r"""From the medium to the receptors: compound concentrations over time and per-pathway inputs.

Between media changes each compound decays at its own first-order rate,

.. math:: c_j(t) = c_j^0 \, e^{-k_j (t - t_\mathrm{change})},

and each compound acts on every pathway it targets (the registry's main target and ``targets.csv``),
with that target's mode, potency :math:`K_{jq}` and efficacy :math:`e_{jq}`, the contributions pooled per
pathway:

.. math::

    A_q = \sum_{j:\,q\,\mathrm{agonist}} e_{jq} \frac{c_j}{K_{jq}}, \qquad
    F_q = \Big(1 + \sum_{j:\,q\,\mathrm{inhibitor}} \frac{c_j}{K_{jq}}\Big)^{-1}, \qquad
    Z_q = 1 + \sum_{j:\,q\,\mathrm{antagonist}} \frac{c_j}{K_{jq}}

:math:`A_q` is the exogenous ligand input in units of EC50, :math:`F_q` the fraction of receptor (or
kinase) left free by competitive inhibitors, and :math:`Z_q` divides the ligand (exogenous and endogenous)
left free by a ligand trap such as Noggin. This is the numpy reference; the engines' kernels mirror it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .layout import (
    MODE_AGONIST,
    MODE_ANTAGONIST,
    MODE_INHIBITOR,
    N_PATHWAYS,
    T_COMPOUND,
    T_DECAY,
    T_EFFICACY,
    T_MODE,
    T_PATHWAY,
    T_POTENCY,
    U_CONC,
    U_T_CHANGE,
)

__all__ = ["compound_table", "concentrations", "decay_rates", "pathway_inputs"]


def decay_rates() -> np.ndarray:
    """Each registry compound's decay rate in medium (1/day), in registry order."""
    from ..protocols.compounds import registry

    return np.array([c.decay_rate for c in registry()])


def concentrations(t: float, u: np.ndarray, comp: np.ndarray) -> np.ndarray:
    """Concentrations (nM) of every registry compound at day ``t`` within a segment.

    Args:
        t: Day.
        u: The segment's input vector.
        comp: The target table (:func:`compound_table`); its decay column gives each compound's rate.
    """
    n = int(comp[:, T_COMPOUND].max()) + 1 if comp.shape[0] else 0
    k = np.zeros(max(n, u.shape[0] - U_CONC))
    k[comp[:, T_COMPOUND].astype(np.int64)] = comp[:, T_DECAY]
    c0 = u[U_CONC : U_CONC + k.shape[0]]
    return c0 * np.exp(-k[: c0.shape[0]] * (t - u[U_T_CHANGE]))


def pathway_inputs(c: np.ndarray, comp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Agonist input ``A``, inhibitor free fraction ``F`` and antagonist divisor ``Z`` per pathway."""
    j = comp[:, T_COMPOUND].astype(np.int64)
    ratio = c[j] / comp[:, T_POTENCY]
    pw = comp[:, T_PATHWAY].astype(np.int64)
    mode = comp[:, T_MODE].astype(np.int64)
    a = np.bincount(pw, ratio * comp[:, T_EFFICACY] * (mode == MODE_AGONIST), N_PATHWAYS)
    i = np.bincount(pw, ratio * (mode == MODE_INHIBITOR), N_PATHWAYS)
    z = np.bincount(pw, ratio * (mode == MODE_ANTAGONIST), N_PATHWAYS)
    return a, 1.0 / (1.0 + i), 1.0 + z


@lru_cache(maxsize=1)
def _table() -> np.ndarray:
    from ..protocols.compounds import MODES, PATHWAYS, registry

    rows = []
    for j, c in enumerate(registry()):
        for t in c.targets:
            rows.append(
                (
                    j,
                    PATHWAYS.index(t.pathway),
                    MODES.index(t.mode),
                    t.potency_nm,
                    t.efficacy,
                    c.decay_rate,
                )
            )
    out = np.empty((len(rows), 6))
    for r, row in enumerate(rows):
        out[r, T_COMPOUND], out[r, T_PATHWAY], out[r, T_MODE] = row[0], row[1], row[2]
        out[r, T_POTENCY], out[r, T_EFFICACY], out[r, T_DECAY] = row[3], row[4], row[5]
    return out


def compound_table() -> np.ndarray:
    """The registry's targets as the ``(n_targets, 6)`` float array the engines take (one shared array).

    One row per (compound, pathway) pair: compound index, pathway, mode, potency (nM), efficacy, and
    the compound's decay rate in medium (1/day).
    """
    return _table()
