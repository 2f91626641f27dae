"""The agent-based engine: single cells with noise, neighbours and space (numba kernels).

Importing it compiles nothing; it clears its stale cached kernels first (they inline the model kernel of
:mod:`ipscsim.engines.kernels`, another file, which numba's own cache check does not follow).
"""

from .._cache import refresh_cache
from . import step

refresh_cache(step.step_cells)
