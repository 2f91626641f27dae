"""Counter-based random numbers for the agent-based engine: the compiled half.

The streams, the constants and the numpy twin live in :mod:`ipscsim.model.streams` (so the numpy
references need no numba); :func:`hash64` and :func:`uniform` here are the same functions compiled for
the kernels, and the tests hold them to the twin.
"""

from __future__ import annotations

import numpy as np

from ...model import streams as _s
from ...model.streams import (
    STREAM_EVENT,
    STREAM_FATE,
    STREAM_GROUP,
    STREAM_INIT,
    STREAM_MOVE,
    STREAM_NOISE,
    STREAM_PARTITION,
    STREAM_PLACE,
    STREAM_SAMPLE,
    STREAM_SNAPSHOT,
    hash64_np,
    hash_uniform_np,
)
from .._jit import jit

_C1 = _s.C1
_C2 = _s.C2
_INV53 = _s.INV53
_M1 = _s.M1
_M2 = _s.M2
_S11 = _s.S11
_S27 = _s.S27
_S30 = _s.S30
_S31 = _s.S31
_G = _s.G

__all__ = [
    "STREAM_EVENT",
    "STREAM_FATE",
    "STREAM_GROUP",
    "STREAM_INIT",
    "STREAM_MOVE",
    "STREAM_NOISE",
    "STREAM_PARTITION",
    "STREAM_PLACE",
    "STREAM_SAMPLE",
    "STREAM_SNAPSHOT",
    "hash64",
    "hash64_np",
    "hash_uniform_np",
    "uniform",
]


@jit(inline="always")
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@jit(inline="always")
def hash64(seed, cell, step, stream):
    """A 64-bit random word from four unsigned counters."""
    z = _mix(np.uint64(seed) + _G)
    z = _mix(z ^ (np.uint64(cell) * _C1 + np.uint64(step) * _C2 + np.uint64(stream) * _G))
    return _mix(z + _G)


@jit(inline="always")
def uniform(seed, cell, step, stream):
    """A uniform double in [0, 1) from the counters (53 random bits)."""
    return float(hash64(seed, cell, step, stream) >> _S11) * _INV53
