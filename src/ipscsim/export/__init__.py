"""Take the model into other tools: SBML Level 3 export of one protocol run.

>>> import ipscsim as ips
>>> xml = ips.export.sbml("maury2015", path="maury2015.xml")  # doctest: +SKIP

The document holds the ODE engine's model (gene network per cohort, population, neurons, bookkeeping)
with the protocol's schedule as events, readable by libRoadRunner, COPASI and Tellurium. It needs
python-libsbml (``pip install "ipscsim[sbml]"``). :func:`omex` packs it with a SED-ML simulation in a
COMBINE archive (``pip install "ipscsim[omex]"``). :func:`petab` writes a calibration problem (a lab's
readouts against the model) as PEtab v1 for pyPESTO, AMICI or COPASI. See ``docs/export.md``.
"""

from __future__ import annotations

from .omex import omex
from .petab import petab
from .sbml_model import sbml, state_ids

__all__ = ["omex", "petab", "sbml", "state_ids"]
