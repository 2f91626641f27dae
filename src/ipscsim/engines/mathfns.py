"""The equation language's functions, compiled (:mod:`ipscsim.model.expr` defines them).

``...i`` variants take the reciprocal of the threshold (a parameter's reciprocal is computed once per
run), so the compiled kernels multiply where the equations divide. :func:`fexp` is an exponential in
plain arithmetic for the lane kernels (a library call inside a loop over lanes stops vectorisation);
:func:`flog`, :func:`fndtr` and :func:`fgate` do the same for the logarithm, the normal distribution
function and a marker gate, so that the readouts vectorise over recorded days.
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ._jit import jit

__all__ = [
    "FGATE_ROW",
    "den2i",
    "den4i",
    "den8i",
    "fexp",
    "fgate",
    "fgate_row",
    "flog",
    "fndtr",
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


_SQRT_HALF = math.sqrt(0.5)
_SQRT2_F = math.sqrt(2.0)
_MIN_NORMAL = 2.2250738585072014e-308
_MANTISSA = (1 << 52) - 1
_ONE_BITS = 1023 << 52
# 1/(2j+1) for j = 10 .. 1: the series of atanh(s)/s - 1 in s^2 (|s| <= 0.1716: truncation below 1e-17)
_INV_ODD = tuple(1.0 / (2 * j + 1) for j in range(10, 0, -1))


@jit(inline="always")
def flog(x):
    """``log(x)`` in straight-line arithmetic, so that a loop over lanes calling it vectorises.

    ``x = m 2^e`` with ``m`` in ``[sqrt(1/2), sqrt(2))`` from the IEEE bits; ``log m = 2 atanh(s)``,
    ``s = (m - 1) / (m + 1)``, from its series to ``s^21``. Within 2 ulp of ``math.log`` for normal
    positive ``x`` (``tests/test_readouts_compiled.py``); ``x`` below the smallest normal number
    (zero and negatives included) is read as that number (``log`` = -708.4), where the gates it serves
    are zero anyway.
    """
    bits = _f64_bits(max(x, _MIN_NORMAL))
    e = (bits >> 52) - 1023
    m = _f64_from_bits((bits & _MANTISSA) | _ONE_BITS)
    big = m > _SQRT2_F
    m = 0.5 * m if big else m
    ef = float(e + 1) if big else float(e)
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    q = _INV_ODD[0]
    for c in _INV_ODD[1:]:
        q = q * s2 + c
    return ef * _LN2_HI + (ef * _LN2_LO + (s + s) * (1.0 + s2 * q))


# erfcx(x) (x + _ERFCX_L) as a Chebyshev series in t = (x - L) / (x + L), interpolated at 25
# Chebyshev points (mpmath, 40 digits; Weideman 1994, SIAM J Numer Anal 31:1497, for the map)
_ERFCX_L = 3.0
_ERFCX_C = (
    1.4134382239808714, -1.1314768490746978, 0.3541081003424865, -0.0850870400990861,
    0.014615273272816262, -0.0013795571636294128, -6.429066714302287e-05, 3.904342109685434e-05,
    -2.642785074920863e-06, -8.239440143289817e-07, 1.3247975689220005e-07, 1.919522479023048e-08,
    -5.030507063965157e-09, -5.841996658388588e-10, 1.8742249445584852e-10, 2.437416707887882e-11,
    -6.9912671759392235e-12, -1.2571861289001756e-12, 2.459585379042721e-13, 7.025699002795864e-14,
    -6.75597372661436e-15, -3.5382347452617687e-15, -1.1527208862312795e-15, 3.2586758838405655e-16,
    -5.964966966566485e-17,
)  # fmt: skip
# Clenshaw's recurrence runs over the coefficients in reverse, in two loops: LLVM unrolls a loop of 12
# over a tuple (and can then vectorise the loop over lanes around it) but not one of 24 (measured)
_ERFCX_REV_A = _ERFCX_C[:12:-1]
_ERFCX_REV_B = _ERFCX_C[12:0:-1]


@jit(inline="always")
def fndtr(z):
    r"""The standard normal distribution function :math:`\Phi(z)` in straight-line arithmetic.

    ``erfc(x) = exp(-x^2) erfcx(x)`` at ``x = |z| / sqrt(2)``, ``erfcx`` from a Chebyshev series in a
    rational map of ``x`` (Clenshaw's recurrence), ``exp`` from :func:`fexp`. Within 1e-15 of
    ``scipy.special.ndtr`` everywhere (an absolute bound: in the far lower tail the relative error
    grows to about 3e-13, far below one cell of any readout).
    """
    x = abs(z) * _SQRT_HALF
    t = (x - _ERFCX_L) / (x + _ERFCX_L)
    t2 = t + t
    b1 = 0.0
    b2 = 0.0
    for c in _ERFCX_REV_A:
        b0 = t2 * b1 - b2 + c
        b2 = b1
        b1 = b0
    for c in _ERFCX_REV_B:
        b0 = t2 * b1 - b2 + c
        b2 = b1
        b1 = b0
    erfcx = (t * b1 - b2 + _ERFCX_C[0]) / (x + _ERFCX_L)
    q = 0.5 * fexp(-x * x) * erfcx
    return q if z < 0.0 else 1.0 - q


@jit(inline="always")
def fgate(x, threshold, sigma):
    """:func:`gate` through :func:`flog` and :func:`fndtr`: the same value, and it vectorises."""
    g = fndtr(flog(x / threshold) / sigma)
    return g if x > 0.0 else 0.0


#: Values :func:`fgate_row` gates at once: the lane count of the readouts' rows form.
FGATE_ROW = 8


@jit(noalias=True)
def fgate_row(g, threshold, sigma):
    """``g[l] = fgate(g[l], threshold, sigma)`` for the :data:`FGATE_ROW` values of a row, in place.

    A compiled function of its own, not inlined: the readouts' rows form calls it once per marker
    gate, so the compiler builds the gate's arithmetic once instead of once per gate (the inlined
    form took over a minute to compile), and the loop over the row still vectorises.
    """
    for ln in range(FGATE_ROW):
        g[ln] = fgate(g[ln], threshold, sigma)
