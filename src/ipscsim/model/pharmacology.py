r"""From the medium to the receptors: compound concentrations over time and per-pathway inputs.

Between media changes each compound decays at its own first-order rate,

.. math:: c_j(t) = c_j^0 \, e^{-k_j (t - t_\mathrm{change})},

and the compounds are pooled per pathway by their mode of action (registry columns *pathway*, *mode*,
*potency* :math:`K_j` and *efficacy* :math:`e_j`):

.. math::

    A_q = \sum_{j \in q,\,\mathrm{agonist}} e_j \frac{c_j}{K_j}, \qquad
    F_q = \Big(1 + \sum_{j \in q,\,\mathrm{inhibitor}} \frac{c_j}{K_j}\Big)^{-1}, \qquad
    Z_q = 1 + \sum_{j \in q,\,\mathrm{antagonist}} \frac{c_j}{K_j}

:math:`A_q` is the exogenous ligand input in units of EC50, :math:`F_q` the fraction of receptor (or
kinase) left free by competitive inhibitors, and :math:`Z_q` divides the ligand (exogenous and endogenous)
left free by a ligand trap such as Noggin. This is the numpy reference; the engines' kernels mirror it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .layout import (
    C_DECAY,
    C_EFFICACY,
    C_MODE,
    C_PATHWAY,
    C_POTENCY,
    MODE_AGONIST,
    MODE_ANTAGONIST,
    MODE_INHIBITOR,
    N_PATHWAYS,
    U_CONC,
    U_T_CHANGE,
)

__all__ = ["compound_table", "concentrations", "pathway_inputs"]


def concentrations(t: float, u: np.ndarray, comp: np.ndarray) -> np.ndarray:
    """Concentrations (nM) of every registry compound at day ``t`` within a segment."""
    c0 = u[U_CONC : U_CONC + comp.shape[0]]
    return c0 * np.exp(-comp[:, C_DECAY] * (t - u[U_T_CHANGE]))


def pathway_inputs(c: np.ndarray, comp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Agonist input ``A``, inhibitor free fraction ``F`` and antagonist divisor ``Z`` per pathway."""
    ratio = c / comp[:, C_POTENCY]
    pw = comp[:, C_PATHWAY].astype(np.int64)
    mode = comp[:, C_MODE].astype(np.int64)
    a = np.bincount(pw, ratio * comp[:, C_EFFICACY] * (mode == MODE_AGONIST), N_PATHWAYS)
    i = np.bincount(pw, ratio * (mode == MODE_INHIBITOR), N_PATHWAYS)
    z = np.bincount(pw, ratio * (mode == MODE_ANTAGONIST), N_PATHWAYS)
    return a, 1.0 / (1.0 + i), 1.0 + z


@lru_cache(maxsize=1)
def _table() -> np.ndarray:
    from ..protocols.compounds import MODES, PATHWAYS, registry

    reg = registry()
    out = np.empty((len(reg), 5))
    for j, c in enumerate(reg):
        out[j, C_PATHWAY] = PATHWAYS.index(c.pathway)
        out[j, C_MODE] = MODES.index(c.mode)
        out[j, C_POTENCY] = c.potency_nm
        out[j, C_EFFICACY] = c.efficacy
        out[j, C_DECAY] = c.decay_rate
    return out


def compound_table() -> np.ndarray:
    """The registry as the ``(n_compounds, 5)`` float array the engines take (one shared array)."""
    return _table()
