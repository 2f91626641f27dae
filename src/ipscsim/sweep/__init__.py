"""Parameter studies: sweeps over protocol knobs and model parameters, stored and resumable.

>>> import ipscsim as ips
>>> s = ips.Sweep("maury2015", {"SAG.scale": [0.1, 1, 10], "DAPT.start": [7, 9, 11]})
>>> table = s.run(store="runs.parquet", progress=False)     # doctest: +SKIP
"""

from .designs import DESIGNS
from .result import SweepResult
from .space import Dimension, ParameterSpace
from .sweep import Sweep

__all__ = ["DESIGNS", "Dimension", "ParameterSpace", "Sweep", "SweepResult"]
