"""The equation language's functions, compiled (:mod:`ipscsim.model.expr` defines them).

``...i`` variants take the reciprocal of the threshold (a parameter's reciprocal is computed once per
run), so the compiled kernels multiply where the equations divide.
"""

from __future__ import annotations

import math

from ._jit import jit

__all__ = [
    "gate",
    "hill",
    "hill2",
    "hill2i",
    "hill4",
    "hill4i",
    "hill8",
    "hill8i",
    "rep2",
    "rep2i",
    "rep4",
    "rep4i",
    "rep8",
    "rep8i",
    "sat",
    "smax",
]


@jit(inline="always")
def sat(x):
    """``x / (1 + x)``."""
    return x / (1.0 + x)


@jit(inline="always")
def hill(x, k):
    """``x / (k + x)``."""
    return x / (k + x)


@jit(inline="always")
def hill2i(x, ik):
    """``q^2 / (1 + q^2)``, ``q = x * ik``."""
    q = x * ik
    q = q * q
    return q / (1.0 + q)


@jit(inline="always")
def hill4i(x, ik):
    """``q^4 / (1 + q^4)``, ``q = x * ik``."""
    q = x * ik
    q = q * q
    q = q * q
    return q / (1.0 + q)


@jit(inline="always")
def hill8i(x, ik):
    """``q^8 / (1 + q^8)``, ``q = x * ik``."""
    q = x * ik
    q = q * q
    q = q * q
    q = q * q
    return q / (1.0 + q)


@jit(inline="always")
def rep2i(x, ik):
    """``1 / (1 + q^2)``, ``q = x * ik``."""
    q = x * ik
    return 1.0 / (1.0 + q * q)


@jit(inline="always")
def rep4i(x, ik):
    """``1 / (1 + q^4)``, ``q = x * ik``."""
    q = x * ik
    q = q * q
    return 1.0 / (1.0 + q * q)


@jit(inline="always")
def rep8i(x, ik):
    """``1 / (1 + q^8)``, ``q = x * ik``."""
    q = x * ik
    q = q * q
    q = q * q
    return 1.0 / (1.0 + q * q)


@jit(inline="always")
def hill2(x, k):
    """``x^2 / (k^2 + x^2)``."""
    return hill2i(x, 1.0 / k)


@jit(inline="always")
def hill4(x, k):
    """``x^4 / (k^4 + x^4)``."""
    return hill4i(x, 1.0 / k)


@jit(inline="always")
def hill8(x, k):
    """``x^8 / (k^8 + x^8)``."""
    return hill8i(x, 1.0 / k)


@jit(inline="always")
def rep2(x, k):
    """``1 / (1 + (x/k)^2)``."""
    return rep2i(x, 1.0 / k)


@jit(inline="always")
def rep4(x, k):
    """``1 / (1 + (x/k)^4)``."""
    return rep4i(x, 1.0 / k)


@jit(inline="always")
def rep8(x, k):
    """``1 / (1 + (x/k)^8)``."""
    return rep8i(x, 1.0 / k)


@jit(inline="always")
def smax(a, b, e):
    """A smooth maximum: ``(a + b + sqrt((a - b)^2 + e^2)) / 2``."""
    d = a - b
    return 0.5 * (a + b + math.sqrt(d * d + e * e))


_SQRT2 = math.sqrt(2.0)


@jit(inline="always")
def gate(x, threshold, sigma):
    r""":math:`\Phi(\ln(x/\theta)/\sigma)`, 0 for ``x <= 0`` (a marker gate with log-normal noise)."""
    if x <= 0.0:
        return 0.0
    return 0.5 * math.erfc(-math.log(x / threshold) / (sigma * _SQRT2))
