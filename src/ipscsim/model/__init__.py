"""The biology: parameters, pharmacology, signalling, gene network, population, readouts.

Everything here is plain numpy (the reference implementation); the compiled kernels in
:mod:`ipscsim.engines` mirror it and are tested against it.
"""

from .parameters import GENOTYPES, default_params, genotypes, parameters, resolve_params

__all__ = ["GENOTYPES", "default_params", "genotypes", "parameters", "resolve_params"]
