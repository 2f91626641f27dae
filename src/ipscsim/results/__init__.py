"""What simulations return: Results, spatial records, and the engines' batch outputs.

:class:`Result` holds time courses, a summary and provenance; :class:`SpatialRecord` the snapshots,
fields and step log of an agent-based run; :class:`BatchOutput` an engine's raw output for a batch.

The summary's vocabulary (:data:`SUMMARY_FIELDS`, :func:`summary_values`) lives with the readouts in
:mod:`ipscsim.model.readouts` and is re-exported here.
"""

from ..model.readouts import NEGLIGIBLE, SUMMARY_FIELDS, summary_values
from .batch import BatchOutput, provenance
from .result import Result
from .spatial import GENE_COLUMNS, SpatialRecord

__all__ = [
    "GENE_COLUMNS",
    "NEGLIGIBLE",
    "SUMMARY_FIELDS",
    "BatchOutput",
    "Result",
    "SpatialRecord",
    "provenance",
    "summary_values",
]
