"""Thread control and version of the compiled backend (so no module outside the engines imports numba)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numba

__all__ = ["backend_version", "check_threads", "get_threads", "threads"]


def backend_version() -> str:
    """Version of numba."""
    return numba.__version__


def get_threads() -> int:
    """Threads the parallel kernels use now."""
    return numba.get_num_threads()


def check_threads(n: object) -> int:
    """``n`` as a thread count, or a ParameterError naming the allowed range.

    Raises:
        ParameterError: unless ``n`` is a whole number from 1 to the cores numba started with.
    """
    from ..errors import ParameterError, is_real

    top = numba.config.NUMBA_NUM_THREADS
    if not is_real(n) or not float(n).is_integer() or not 1 <= int(n) <= top:
        raise ParameterError(
            f"n_threads: {n!r} must be a whole number from 1 to {top} (the cores numba was "
            "started with); leave it out to use them all"
        )
    return int(n)


@contextmanager
def threads(n: int | None) -> Iterator[int]:
    """Use ``n`` threads inside the block (``None``: leave as is); restores the previous setting."""
    old = numba.get_num_threads()
    if n is not None:
        numba.set_num_threads(check_threads(n))
    try:
        yield numba.get_num_threads()
    finally:
        numba.set_num_threads(old)
