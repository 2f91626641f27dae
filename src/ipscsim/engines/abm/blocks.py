"""How the agent-based kernels share cells out to threads: fixed blocks, so results never depend on them.

A parallel loop visits blocks of cells, not cells; a sum is taken per block and the block partials are
added in block order. Block boundaries depend only on the number of cells, so every floating-point sum,
and with it a whole run, is the same on one thread or many.
"""

from __future__ import annotations

from .._jit import jit

__all__ = ["BIN_BLOCK", "BLOCK", "REDUCTION_BLOCKS", "reduction_blocks"]

#: Cells per parallel block of a per-cell loop.
BLOCK = 2048
#: Bins per parallel block of the neighbour pass.
BIN_BLOCK = 1024
#: Most blocks of a reduction (bounds its partial sums: blocks x aggregates x quantities).
REDUCTION_BLOCKS = 256


@jit(inline="always")
def reduction_blocks(n):
    """``(cells per block, blocks)`` of a reduction over ``n`` cells: fixed by ``n`` alone."""
    chunk = max(BLOCK, (n + REDUCTION_BLOCKS - 1) // REDUCTION_BLOCKS)
    return chunk, max((n + chunk - 1) // chunk, 1)
