"""Take the model into other tools: SBML Level 3 export of one protocol run.

>>> import ipscsim as ips
>>> xml = ips.export.sbml("maury2015", path="maury2015.xml")  # doctest: +SKIP

The document holds the ODE engine's model (gene network per cohort, population, neurons, bookkeeping)
with the protocol's schedule as events, readable by libRoadRunner, COPASI and Tellurium. It needs
python-libsbml (``pip install "ipscsim[sbml]"``). :func:`omex` packs it with a SED-ML simulation in a
COMBINE archive (``pip install "ipscsim[omex]"``). See ``docs/export.md``.
"""

from __future__ import annotations

from .omex import omex
from .sbml_model import sbml, state_ids

__all__ = ["omex", "sbml", "state_ids"]
