"""Studies built from simulations: MN survival assays, grafts in an ALS cord, panels of cell lines.

* :mod:`~ipscsim.studies.survival_assay` (``ips.survival``): longitudinal MN survival by genotype,
  factor, stressor and drug;
* :mod:`~ipscsim.studies.transplant` (``ips.transplant``): a graft's factor field, host MN protection
  and tumour risk, built on :mod:`~ipscsim.studies.graft_model` (products, hosts, the cord);
* :mod:`~ipscsim.studies.transplant_outcomes` (``ips.transplant.outcome``, ``.validate``): onset and
  end stage of a grafted host against the published in vivo outcomes;
* :mod:`~ipscsim.studies.lines` (``ips.lines``): a protocol across a panel of cell lines.
"""
