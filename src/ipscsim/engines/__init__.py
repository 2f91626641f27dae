"""Engines: the compiled integrators (numba lives here and only here).

* :mod:`~ipscsim.engines.kernels`: the model's right-hand side, mirroring :mod:`ipscsim.model.reference`;
* :mod:`~ipscsim.engines.dopri5`: adaptive Dormand-Prince 5(4) between breakpoints;
* :mod:`~ipscsim.engines.ode`: runs through protocol segments, one at a time or many in parallel.

Importing this package imports numba but compiles nothing; it clears stale cached kernels first.
"""

from . import kernels
from ._cache import refresh_cache

refresh_cache(kernels.rhs)

from . import dopri5, ode  # noqa: E402

__all__ = ["dopri5", "kernels", "ode"]
