r"""Marker gates: the probability that a cell with a given level of a gene is scored positive.

A biologist scores a cell positive when the measured intensity exceeds a gate. With log-normal noise of
SD :math:`\sigma` around the true level :math:`x` and a gate at :math:`\theta`,

.. math:: P(+ \mid x) = \Phi\Big(\frac{\ln(x/\theta)}{\sigma}\Big)

The same function, with the fate-decision noise instead of the measurement noise, splits newborn neurons
between identities (a cell whose OLIG2 is near the gate may go either way).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

__all__ = ["gate"]


def gate(x, threshold: float, sigma: float):
    r""":math:`\Phi(\ln(x/\theta)/\sigma)`, and 0 where ``x <= 0``."""
    x = np.asarray(x, dtype=np.float64)
    safe = np.where(x > 0.0, x, 1.0)
    return np.where(x > 0.0, ndtr(np.log(safe / threshold) / sigma), 0.0)
