"""ipscsim: simulate iPSC to spinal motor neuron differentiation protocols.

And the neuroprotection their cells give in ALS: ``ips.survival.assay`` (MN survival by genotype,
factor, stressor and drug) and ``ips.transplant.simulate`` (a graft in an ALS spinal cord).

>>> import ipscsim as ips
>>> p = ips.protocols.get("maury2015")
>>> r = ips.simulate(p)                      # doctest: +SKIP
>>> r.summary()["mn_fraction"]               # doctest: +SKIP

Importing the package compiles nothing and imports neither numba nor pandas: the engines load on the
first simulation.
"""

from __future__ import annotations

from typing import Any

from . import protocols
from ._version import __version__
from .errors import (
    ExtrapolationWarning,
    IpscsimError,
    ParameterError,
    ProtocolError,
    SimulationError,
    StoreError,
)
from .protocols import Protocol

__all__ = [
    "ABM",
    "ODE",
    "ExtrapolationWarning",
    "IpscsimError",
    "ParameterError",
    "ParameterSet",
    "Protocol",
    "ProtocolError",
    "Record",
    "Result",
    "SimulationError",
    "StoreError",
    "Sweep",
    "SweepResult",
    "__version__",
    "calibrate",
    "designer",
    "examples",
    "export",
    "lines",
    "optimize",
    "parameters",
    "plot",
    "prepare",
    "protocols",
    "sensitivity",
    "simulate",
    "simulate_batch",
    "studies",
    "survival",
    "sweep",
    "trackers",
    "transplant",
    "validation",
]

_LAZY = {
    "ABM": ("ipscsim.solvers", "ABM"),
    "ODE": ("ipscsim.solvers", "ODE"),
    "Record": ("ipscsim.solvers", "Record"),
    "prepare": ("ipscsim.api", "prepare"),
    "calibrate": ("ipscsim.validation.calibrate", "calibrate"),
    "designer": ("ipscsim.plot.designer", "designer"),
    "ParameterSet": ("ipscsim.model.parameter_set", "ParameterSet"),
    "Sweep": ("ipscsim.sweep", "Sweep"),
    "optimize": ("ipscsim.sweep.optimize", "optimize"),
    "SweepResult": ("ipscsim.sweep", "SweepResult"),
    "simulate": ("ipscsim.api", "simulate"),
    "simulate_batch": ("ipscsim.api", "simulate_batch"),
    "Result": ("ipscsim.results.result", "Result"),
    "parameters": ("ipscsim.model.parameters", "parameters"),
}


_MODULES = {
    "examples": "ipscsim.examples",
    "export": "ipscsim.export",
    "sensitivity": "ipscsim.sweep.sensitivity",
    "lines": "ipscsim.studies.lines",
    "survival": "ipscsim.studies.survival_assay",
    "transplant": "ipscsim.studies.transplant",
    "studies": "ipscsim.studies",
    "plot": "ipscsim.plot",
    "sweep": "ipscsim.sweep",
    "validation": "ipscsim.validation",
    "trackers": "ipscsim.trackers",
}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        import importlib

        path = _MODULES[name]
        module = importlib.import_module(path)
        globals()[name] = module
        return module
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ipscsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_MODULES))
