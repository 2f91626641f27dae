"""The compiled readouts (``engines/readouts.py``) against their numpy reference (``model/readouts.py``).

Both score every cohort's progenitors through the ``READOUT`` gating and its neurons through
``NEURON``, from the same equations; they may differ only by the order of floating-point additions.
"""

import numpy as np
import pytest

import ipscsim as ips
from ipscsim.engines.readouts import readout_counts as compiled
from ipscsim.engines.readouts import readout_counts_many
from ipscsim.model.readouts import CELL_TYPES, MARKERS
from ipscsim.model.readouts import readout_counts as reference


@pytest.mark.parametrize(
    ("preset", "nil"), [("maury2015", 0.0), ("hester2011", 1.0), ("du2015", 0.0)]
)
def test_compiled_readouts_match_the_numpy_reference(preset, nil):
    r = ips.simulate(preset)
    want = reference(r.records, r.params, r.n_cohorts, nil)
    got = compiled(r.records, r.params, r.n_cohorts, nil)
    for w, g in zip(want, got, strict=True):
        assert g.shape == w.shape
        assert np.max(np.abs(g - w)) <= 1e-13 * np.max(np.abs(w))
    # the neurons' markers are scored per class (ISL1 on MNs only, FOXP1 on the lateral column)
    assert np.max(got[1][:, MARKERS.index("FOXP1")]) > 0


def test_several_runs_score_as_each_alone_and_stacked_records_keep_their_axes():
    a, b = ips.simulate("maury2015"), ips.simulate("maury2015", days=10)
    many = readout_counts_many([a.records, b.records], a.params, a.n_cohorts)
    for rec, (types, markers) in zip((a.records, b.records), many, strict=True):
        alone = compiled(rec, a.params, a.n_cohorts)
        assert np.array_equal(types, alone[0])
        assert np.array_equal(markers, alone[1])
    stacked = np.stack([a.records[:5], a.records[5:10]])
    types, markers = compiled(stacked, a.params, a.n_cohorts)
    assert types.shape == (2, 5, len(CELL_TYPES))
    assert markers.shape == (2, 5, len(MARKERS))
    assert np.array_equal(types[1], compiled(a.records[5:10], a.params, a.n_cohorts)[0])


def test_result_fractions_come_from_the_compiled_readouts():
    r = ips.simulate("maury2015")
    counts = reference(r.records, r.params, r.n_cohorts)[0][-1]
    counts = np.where(counts * r.seeded < 1.0, 0.0, counts)
    want = counts[CELL_TYPES.index("MN")] / counts.sum()
    assert r.summary()["mn_fraction"] == pytest.approx(want, rel=1e-12)


def test_no_marker_counts_more_cells_than_the_culture_holds():
    # A marker is summed over every cell type; the reported counts drop a type's trace (less than one
    # cell per well), so its marker-positive share must go too. Before, maury2015's HOX+ read
    # 1.000004 of the cells (half a cell of a dropped type over 118,649).
    r = ips.simulate("maury2015")
    assert r.summary()["hox_fraction"] <= 1.0
    counts, markers = (x[0] for x in ips.ODE().run([ips.prepare("maury2015")]).readouts())
    assert np.all(markers <= counts.sum(axis=1)[:, None])
    # the case is real: the raw readouts, floored type by type only, break it
    types, raw = reference(r.records, r.params, r.n_cohorts)
    kept = np.where(types * r.seeded < 1.0, 0.0, types).sum(axis=1)
    assert np.any(raw[:, MARKERS.index("HOX")] > kept)
