"""The equation language's functions, compiled (:mod:`ipscsim.model.expr` defines them).

``...i`` variants take the reciprocal of the threshold (a parameter's reciprocal is computed once per
run), so the compiled kernels multiply where the equations divide. :func:`fexp` is an exponential in
plain arithmetic for the lane kernels (a library call inside a loop over lanes stops vectorisation).
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ._jit import jit

__all__ = [
    "den2i",
    "den4i",
    "den8i",
    "fexp",
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
def den2i(x, ik):
    """``1 + q^2``, ``q = x * ik``: the denominator of :func:`rep2i` (for fused products)."""
    q = x * ik
    return 1.0 + q * q


@jit(inline="always")
def den4i(x, ik):
    """``1 + q^4``, ``q = x * ik``: the denominator of :func:`rep4i`."""
    q = x * ik
    q = q * q
    return 1.0 + q * q


@jit(inline="always")
def den8i(x, ik):
    """``1 + q^8``, ``q = x * ik``: the denominator of :func:`rep8i`."""
    q = x * ik
    q = q * q
    q = q * q
    return 1.0 + q * q


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


@intrinsic
def _f64_from_bits(typingctx, bits):
    """The float64 whose IEEE bits are the int64 ``bits`` (a bit cast, no conversion)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _f64_bits(typingctx, x):
    """The IEEE bits of the float64 ``x`` as an int64 (a bit cast, no conversion)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 to 32 bits: k * _LN2_HI is exact for |k| < 2^20
_LN2_LO = 1.9082149292705877e-10
_ROUND = 6755399441055744.0  # 1.5 * 2^52: adding it rounds to an integer held in the low bits
# 1/j! for j = 13 .. 2 (Taylor series of exp on |r| <= ln2/2: truncation below 4e-18)
_INV_FACT = tuple(1.0 / math.factorial(j) for j in range(13, 1, -1))


@jit(inline="always")
def fexp(x):
    """``exp(x)`` in straight-line arithmetic, so that a loop over lanes calling it vectorises.

    ``x = k ln2 + r`` with ``|r| <= ln2 / 2``; ``exp(r)`` from its Taylor series to degree 13 (Horner);
    ``2^k`` built from its exponent bits. Within 2 ulp of ``math.exp`` for ``-708 <= x <= 709``
    (``tests/test_lanes.py``); 0 below that range (where ``math.exp`` is below 3e-308: subnormal
    numbers are slow and mean nothing to the model) and ``inf`` above it.
    """
    xc = min(max(x, -708.0), 709.0)
    t = xc * _LOG2E + _ROUND
    k = t - _ROUND  # round(x / ln 2), exactly
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    p = _INV_FACT[0]
    for c in _INV_FACT[1:]:
        p = p * r + c
    p = 1.0 + r + r * r * p
    scale = _f64_from_bits((_f64_bits(t) - _f64_bits(_ROUND) + 1023) << 52)
    res = 0.0 if x < -708.0 else p * scale
    return math.inf if x > 709.0 else res
