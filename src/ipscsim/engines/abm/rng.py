"""Counter-based random numbers for the agent-based engine.

A random number is a pure function of ``(seed, cell id, step, stream)``: the SplitMix64 finaliser
(Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators", OOPSLA) applied twice to a
Weyl-sequence mix of the four counters. No generator state is shared between cells or threads, so a run
gives the same numbers, and the same result, on one thread or many, and a cell's draws do not depend on
which other cells exist. :func:`hash_uniform_np` is the numpy reference the tests hold the kernel to.
"""

from __future__ import annotations

import numpy as np

from .._jit import jit

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

#: Purposes of random draws: each has its own stream so that draws for one purpose never reuse another's.
STREAM_INIT = 1  # heterogeneity draws of the seeded cells
STREAM_NOISE = 2  # gene-expression noise (several words per step)
STREAM_EVENT = 3  # death, neurogenesis, CHAT maturation
STREAM_FATE = 4  # identity of a newborn neuron
STREAM_PARTITION = 5  # partition noise and the daughter's cycle threshold
STREAM_PLACE = 6  # positions at seeding, replating, aggregation
STREAM_SAMPLE = 7  # which cells a replating keeps
STREAM_SNAPSHOT = 8  # identity drawn for a snapshot
STREAM_MOVE = 9  # direction of a daughter
STREAM_GROUP = 10  # which aggregate a cell joins

_G = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_C1 = np.uint64(0xD1B54A32D192ED03)
_C2 = np.uint64(0x8CB92BA72F3D8DD7)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


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


def _mix_np(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def hash64_np(seed: int, cell, step, stream) -> np.ndarray:
    """Numpy reference of :func:`hash64` (arrays of cells, steps, streams broadcast)."""
    with np.errstate(over="ignore"):
        cell = np.asarray(cell, dtype=np.uint64)
        step = np.asarray(step, dtype=np.uint64)
        stream = np.asarray(stream, dtype=np.uint64)
        z = _mix_np(np.uint64(seed) + _G)
        z = _mix_np(z ^ (cell * _C1 + step * _C2 + stream * _G))
        return _mix_np(z + _G)


def hash_uniform_np(seed: int, cell, step, stream) -> np.ndarray:
    """Numpy reference of :func:`uniform` (arrays of cells, steps, streams broadcast)."""
    return (hash64_np(seed, cell, step, stream) >> _S11).astype(np.float64) * _INV53
