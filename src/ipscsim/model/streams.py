"""Counter-based random numbers: the streams and their plain-numpy half.

A random number is a pure function of ``(seed, cell id, step, stream)``: the SplitMix64 finaliser
(Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators", OOPSLA) applied twice to a
Weyl-sequence mix of the four counters. No generator state is shared between cells or threads, so a run
gives the same numbers, and the same result, on one thread or many, and a cell's draws do not depend on
which other cells exist.

This module holds the stream numbers, the mixing constants and :func:`hash_uniform_np`, the numpy
version that the numpy references use and that the compiled twin (:mod:`ipscsim.engines.abm.rng`) is
tested against.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
    "hash64_np",
    "hash_uniform_np",
    "resolve_seed",
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

# mixing constants (shared with the compiled twin)
G = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)
C1 = np.uint64(0xD1B54A32D192ED03)
C2 = np.uint64(0x8CB92BA72F3D8DD7)
S30 = np.uint64(30)
S27 = np.uint64(27)
S31 = np.uint64(31)
S11 = np.uint64(11)
INV53 = 1.0 / 9007199254740992.0  # 2**-53


def _mix_np(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> S30)) * M1
    z = (z ^ (z >> S27)) * M2
    return z ^ (z >> S31)


def hash64_np(seed: int, cell, step, stream) -> np.ndarray:
    """A 64-bit random word per element (arrays of cells, steps, streams broadcast)."""
    with np.errstate(over="ignore"):
        cell = np.asarray(cell, dtype=np.uint64)
        step = np.asarray(step, dtype=np.uint64)
        stream = np.asarray(stream, dtype=np.uint64)
        z = _mix_np(np.uint64(seed) + G)
        z = _mix_np(z ^ (cell * C1 + step * C2 + stream * G))
        return _mix_np(z + G)


def hash_uniform_np(seed: int, cell, step, stream) -> np.ndarray:
    """Uniform doubles in [0, 1) (53 random bits) from the counters, broadcast like :func:`hash64_np`."""
    return (hash64_np(seed, cell, step, stream) >> S11).astype(np.float64) * INV53


def resolve_seed(seed: Any, fresh: bool = False) -> int | None:
    """A run's seed as an int in ``[0, 2**64)``.

    Args:
        seed: ``None``, an int, or a ``numpy.random.Generator`` (one draw is taken from it).
        fresh: Draw a seed from the operating system's entropy when ``seed`` is ``None`` (engines that
            use random numbers record the drawn seed); otherwise ``None`` stays ``None``.

    Raises:
        ParameterError: for anything else, or an int outside ``[0, 2**64)``.
    """
    from ..errors import ParameterError

    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**63)) if fresh else None
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
        if not 0 <= int(seed) < 2**64:
            raise ParameterError(f"seed: {seed!r} must be an int from 0 to 2**64 - 1")
        return int(seed)
    raise ParameterError(f"seed: {seed!r} must be None, an int >= 0 or a numpy Generator")
