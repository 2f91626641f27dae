"""Holding the model to the literature: targets, evaluation, calibration, ranges and the report.

* :mod:`~ipscsim.validation.targets`: published outcomes, phenotypes and further facts as checkable rows;
* :mod:`~ipscsim.validation.evaluate`: their model values for one or many parameter sets, in batch;
* :mod:`~ipscsim.validation.calibrate`: fitting parameters to targets (``ipscsim.calibrate``);
* :mod:`~ipscsim.validation.ranges`: data-consistent parameter ranges (profiles);
* :mod:`~ipscsim.validation.coverage`: prediction bands against the further facts (out of sample);
* :mod:`~ipscsim.validation.crossval`: leave-one-publication-out prediction;
* :mod:`~ipscsim.validation.report`: ``python -m ipscsim.validation`` writes docs/validation.md.
"""

from .evaluate import Evaluation, evaluate
from .targets import Target, fact_targets, load_targets, outcome_targets, phenotype_targets

__all__ = [
    "Evaluation",
    "Target",
    "evaluate",
    "fact_targets",
    "load_targets",
    "outcome_targets",
    "phenotype_targets",
]
