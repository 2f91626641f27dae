"""Thread control and version of the compiled backend (so no module outside the engines imports numba)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numba

__all__ = ["backend_version", "get_threads", "threads"]


def backend_version() -> str:
    """Version of numba."""
    return numba.__version__


def get_threads() -> int:
    """Threads the parallel kernels use now."""
    return numba.get_num_threads()


@contextmanager
def threads(n: int | None) -> Iterator[int]:
    """Use ``n`` threads inside the block (``None``: leave as is); restores the previous setting."""
    old = numba.get_num_threads()
    if n is not None:
        from ..errors import ParameterError, is_real

        if (
            not is_real(n)
            or not float(n).is_integer()
            or not 1 <= int(n) <= numba.config.NUMBA_NUM_THREADS
        ):
            raise ParameterError(
                f"n_threads: {n!r} must be between 1 and {numba.config.NUMBA_NUM_THREADS} (the cores "
                "numba was started with)"
            )
        numba.set_num_threads(int(n))
    try:
        yield numba.get_num_threads()
    finally:
        numba.set_num_threads(old)
