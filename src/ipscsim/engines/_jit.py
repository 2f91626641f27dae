"""The one place ipscsim calls numba: a ``jit`` decorator reading central settings.

Settings:

* ``cache=True`` (unless the environment sets ``IPSCSIM_NUMBA_CACHE=0``): compiled kernels are cached on
  disk, so a second process loads them instead of compiling.
* ``fastmath={"contract"}`` only: fused multiply-adds. The reciprocal/approximate-function/reassociation
  flags were measured to turn the step-size heuristic into NaN, and numba's cache does not notice a change
  of flags, so the flags are fixed here rather than configurable.
* :data:`FASTMATH_SUMS` for the few kernels whose inner loops are sums over neighbours (no step-size
  control downstream): reassociation lets LLVM keep the sums in vector lanes. The order of the additions
  then depends on the loop's length, never on the threads, so results stay reproducible.

Kernels are compiled lazily, on first call: ``import ipscsim`` compiles nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

__all__ = ["FASTMATH_SUMS", "SETTINGS", "cfunc", "jit", "prange"]

SETTINGS: dict[str, Any] = {
    "cache": os.environ.get("IPSCSIM_NUMBA_CACHE", "1") != "0",
    "fastmath": {"contract"},
}
#: Flags of vectorised neighbour sums: fused multiply-adds, reassociation, no signed zeros, and the
#: promise (kept by those kernels) that no value is NaN or infinite.
FASTMATH_SUMS = frozenset({"contract", "reassoc", "nsz", "nnan", "ninf"})

import numba as _numba  # noqa: E402  (engines are imported lazily by the public API)
from numba.core.cpu import CPUTargetOptions as _CPUTargetOptions  # noqa: E402
from numba.core.options import TargetOptions as _TargetOptions  # noqa: E402

prange = _numba.prange

# numba's compiler has a ``noalias`` flag (its parallel loops set it when they prove their arrays do
# not overlap) but no decorator option for it; this maps one, for the lane kernels.
if not hasattr(_CPUTargetOptions, "noalias"):
    _CPUTargetOptions.noalias = _TargetOptions.Mapping("noalias")


def jit(
    fn: Callable | None = None,
    *,
    parallel: bool = False,
    inline: str = "never",
    fastmath: frozenset[str] | None = None,
    cache: bool | None = None,
    noalias: bool = False,
):
    """Compile ``fn`` with numba in nopython mode using the central settings.

    Args:
        fn: The function (or ``None`` when used as ``@jit(...)``).
        parallel: Compile ``prange`` loops for threads.
        inline: numba's inlining option (``"always"`` for small helpers).
        fastmath: Flags other than the central ones (only :data:`FASTMATH_SUMS`).
        cache: ``False`` for a function numba cannot cache (one that calls C function pointers held
            in globals); default the central setting.
        noalias: Promise that no two array arguments overlap (LLVM ``noalias``), so loops over
            them vectorise without runtime overlap checks; callers must pass separate buffers.
    """
    extra = {"noalias": True} if noalias else {}

    def wrap(f: Callable):
        return _numba.njit(
            cache=SETTINGS["cache"] if cache is None else cache and SETTINGS["cache"],
            fastmath=set(fastmath) if fastmath is not None else SETTINGS["fastmath"],
            parallel=parallel,
            nogil=True,
            error_model="numpy",
            inline=inline,
            **extra,
        )(f)

    return wrap if fn is None else wrap(fn)


def cfunc(signature: Any):
    """Compile a C callback (``numba.cfunc``) with the central cache setting and fastmath flags.

    Args:
        signature: The numba signature of the callback.
    """

    def wrap(f: Callable):
        return _numba.cfunc(signature, cache=SETTINGS["cache"], fastmath=SETTINGS["fastmath"])(f)

    return wrap
