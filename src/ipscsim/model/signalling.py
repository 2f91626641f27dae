r"""Pathway activities in [0, 1] from exogenous inputs, the cells' own ligands and each cell's sensitivity.

For pathway :math:`q` with exogenous input :math:`A_q`, inhibitor free fraction :math:`F_q` and
antagonist divisor :math:`Z_q` (see :mod:`ipscsim.model.pharmacology`):

.. math::

    S_\mathrm{TGF} &= F\,\frac{L}{1+L},\quad L = \frac{A + \kappa\,a_N \rho \sum_k P_k (O_k + w_E E_k)}{Z}
        &&\text{(autocrine Nodal from pluripotent and mesendoderm cells)}\\
    S_\mathrm{BMP} &= F\,\frac{L}{1+L},\quad L = \frac{A + \kappa\,b_0\,\beta}{Z}
        &&\text{(}\beta\text{: share of cells neither pluripotent nor neural)}\\
    S_\mathrm{WNT} &= F\,\frac{L^n}{1+L^n},\quad L = \frac{\phi A + w_0}{Z}\\
    S_\mathrm{FGF} &= F\,\frac{L}{1+L},\quad L = \frac{A + f_0}{Z}\\
    S_\mathrm{RA} &= F\,\frac{L}{1+L},\quad L = \phi A / Z\\
    s &= F\,\frac{L}{1+L},\quad L = \phi A / Z
        &&\text{(Smoothened input; GLI activity follows it, see grn)}\\
    n_\mathrm{in} &= F_\mathrm{NOTCH}\,\bar D &&\text{(Delta of neighbours; mean-field: of all progenitors)}

:math:`\kappa` is 1 in adherent culture and the aggregate shielding in suspension;
:math:`\phi = e^{\sigma_s z_s}` is a cell's (or cohort's) morphogen sensitivity. ROCK, transgene and
trophic pathways: :math:`F_\mathrm{ROCK}` scales dissociation death; the TetOn promoter sees
:math:`A/(1+A)`; neurons see trophic support :math:`A/(1+A)` (factors act additively in EC50 units).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import layout as L

__all__ = ["Signals", "signals"]


class Signals(NamedTuple):
    """Pathway activities, one value per cohort (or cell)."""

    tgf: np.ndarray
    bmp: np.ndarray
    wnt: np.ndarray
    fgf: np.ndarray
    ra: np.ndarray
    gli: np.ndarray
    notch_in: np.ndarray
    rock_free: float
    dox: float
    trophic: float


def signals(
    a: np.ndarray,
    f: np.ndarray,
    z: np.ndarray,
    phi: np.ndarray,
    p: np.ndarray,
    nodal: float,
    delta_mean: float,
    suspension: bool = False,
    bmp_source: float = 0.0,
) -> Signals:
    """Pathway activities for cohorts of sensitivity ``phi``.

    Args:
        a: Exogenous agonist input per pathway (EC50 units).
        f: Inhibitor free fraction per pathway.
        z: Antagonist divisor per pathway.
        phi: Morphogen sensitivity of each cohort.
        p: Parameter array.
        nodal: Autocrine Nodal/Activin input (EC50 units), from :func:`mean_field`.
        delta_mean: Mean Delta (NGN2) of the progenitors around the cells.
        suspension: Whether the cells are in suspension aggregates (endogenous BMP differs).
        bmp_source: Share of live cells that are neither pluripotent nor neural (they make BMP).
    """
    ones = np.ones_like(phi)
    shield = p[L.P_aggregate_shielding] if suspension else 1.0
    lt = (a[L.PW_TGFB] + shield * nodal) / z[L.PW_TGFB]
    lb = (a[L.PW_BMP] + shield * p[L.P_bmp_endogenous] * bmp_source) / z[L.PW_BMP]
    lw = (phi * a[L.PW_WNT] + p[L.P_wnt_basal]) / z[L.PW_WNT]
    lf = (a[L.PW_FGF] + p[L.P_fgf_endogenous]) / z[L.PW_FGF]
    lr = phi * a[L.PW_RA] / z[L.PW_RA]
    lh = phi * a[L.PW_SHH] / z[L.PW_SHH]
    lwn = lw ** p[L.P_hill_wnt]
    return Signals(
        tgf=f[L.PW_TGFB] * lt / (1.0 + lt) * ones,
        bmp=f[L.PW_BMP] * lb / (1.0 + lb) * ones,
        wnt=f[L.PW_WNT] * lwn / (1.0 + lwn),
        fgf=f[L.PW_FGF] * lf / (1.0 + lf) * ones,
        ra=f[L.PW_RA] * lr / (1.0 + lr),
        gli=f[L.PW_SHH] * lh / (1.0 + lh),
        notch_in=f[L.PW_NOTCH] * delta_mean * ones,
        rock_free=float(f[L.PW_ROCK]),
        dox=float(a[L.PW_TRANSGENE] / (1.0 + a[L.PW_TRANSGENE])),
        trophic=float(a[L.PW_TROPHIC] / (1.0 + a[L.PW_TROPHIC])),
    )
