"""Numpy references of the tissue kernels (:mod:`ipscsim.engines.tissue`), built on scipy.ndimage.

``scipy.ndimage.laplace`` with ``mode="constant"`` (zero outside the grid) is the sink face and with
``mode="nearest"`` (the edge value repeated) the no-flux face, as in the compiled kernels. The analytic
steady states of a point source are here too, for the tests.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["helmholtz_np", "point_source_2d", "point_source_3d", "step_np"]


def _laplace(c: np.ndarray, neumann: bool) -> np.ndarray:
    from scipy import ndimage

    squeeze = tuple(i for i, n in enumerate(c.shape) if n == 1)
    x = np.squeeze(c, axis=squeeze) if squeeze else c
    lap = ndimage.laplace(x, mode="nearest" if neumann else "constant", cval=0.0)
    return lap.reshape(c.shape)


def step_np(
    c: np.ndarray, src: np.ndarray, d_h2: float, k: float, dt: float, neumann: bool
) -> np.ndarray:
    """One explicit step (the reference of :func:`ipscsim.engines.tissue.step`)."""
    return c + dt * (d_h2 * _laplace(c, neumann) - k * c + src)


def helmholtz_np(c: np.ndarray, d_h2: float, k: float, neumann: bool) -> np.ndarray:
    """``k c - D laplacian(c)`` (the reference of :func:`ipscsim.engines.tissue.helmholtz`)."""
    return k * c - d_h2 * _laplace(c, neumann)


def point_source_3d(r: np.ndarray, rate: float, diffusion: float, decay: float) -> np.ndarray:
    r"""Steady state of a point source in infinite 3-D tissue: :math:`S e^{-r/\lambda} / (4\pi D r)`."""
    lam = math.sqrt(diffusion / decay)
    return rate * np.exp(-r / lam) / (4.0 * math.pi * diffusion * r)


def point_source_2d(r: np.ndarray, rate: float, diffusion: float, decay: float) -> np.ndarray:
    r"""Steady state of a point (line) source in infinite 2-D tissue: :math:`S K_0(r/\lambda)/(2\pi D)`."""
    from scipy.special import k0

    lam = math.sqrt(diffusion / decay)
    return rate * k0(r / lam) / (2.0 * math.pi * diffusion)
