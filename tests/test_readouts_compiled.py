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


def test_flog_is_log_to_three_ulp_and_reads_non_positive_input_as_the_smallest_normal():
    """The readouts' logarithm (rows form): straight-line arithmetic from the IEEE bits."""
    from ipscsim.engines.mathfns import flog

    rng = np.random.default_rng(1)
    x = np.concatenate(
        [
            10.0 ** rng.uniform(-307, 308, 20_000),
            rng.uniform(0.5, 2.0, 20_000),
            [1.0, 2.0, 0.5, np.sqrt(2.0), np.nextafter(np.sqrt(2.0), 2.0), 1e-300, 1e300],
        ]
    )
    got = np.array([flog(v) for v in x])
    want = np.log(x)
    assert np.max(np.abs(got - want) / np.spacing(np.abs(want) + (want == 0))) <= 3.0
    assert flog(1.0) == 0.0
    tiny = np.log(np.finfo(float).tiny)
    assert flog(0.0) == pytest.approx(tiny, rel=1e-15)
    assert flog(-1.0) == pytest.approx(tiny, rel=1e-15)


def test_fndtr_is_scipy_ndtr_to_1e15_and_fgate_is_the_gate():
    """The readouts' normal distribution function: absolute error at the rounding of 1 - q."""
    from scipy.special import ndtr

    from ipscsim.engines.mathfns import fgate, fndtr, gate

    rng = np.random.default_rng(2)
    z = np.concatenate([np.linspace(-40.0, 40.0, 200_001), rng.normal(0.0, 3.0, 20_000)])
    got = np.array([fndtr(v) for v in z])
    assert np.max(np.abs(got - ndtr(z))) <= 1e-15
    lower = ndtr(z) > 1e-300  # in the lower tail the error stays small relative to the value too
    assert np.max(np.abs(got[lower] - ndtr(z)[lower]) / ndtr(z)[lower]) <= 1e-13
    assert fndtr(0.0) == pytest.approx(0.5, abs=1e-15)
    assert fndtr(-50.0) == 0.0
    assert fndtr(50.0) == 1.0
    x = np.concatenate([10.0 ** rng.uniform(-6, 4, 5_000), [0.0, -1.0]])
    assert max(abs(fgate(v, 0.3, 0.4) - gate(v, 0.3, 0.4)) for v in x) <= 2e-15
    assert fgate(0.0, 0.3, 0.4) == 0.0
    assert fgate(-1.0, 0.3, 0.4) == 0.0


def test_rows_scored_in_lane_blocks_do_not_depend_on_their_neighbours():
    """A recorded day scores the same whatever rows share its block of lanes (or if it is alone)."""
    r = ips.simulate("maury2015")
    rows = r.records
    types, markers = compiled(rows, r.params, r.n_cohorts)
    for i in (0, 13, len(rows) - 1):
        alone = compiled(rows[i : i + 1], r.params, r.n_cohorts)
        assert np.array_equal(alone[0][0], types[i])
        assert np.array_equal(alone[1][0], markers[i])
    shifted = compiled(rows[3:], r.params, r.n_cohorts)  # every row in a different lane
    assert np.array_equal(shifted[0], types[3:])
    assert np.array_equal(shifted[1], markers[3:])


def test_fgate_row_gates_exactly_one_row_of_the_rows_form():
    """``fgate_row`` loops over a compile-time count that must be the rows form's lane count: it gates
    each value of its row as ``fgate`` does and leaves the next row alone."""
    from ipscsim.engines.mathfns import FGATE_ROW, fgate, fgate_row
    from ipscsim.engines.network_lanes import LANES

    assert FGATE_ROW == LANES
    x = np.linspace(0.05, 2.0, 2 * LANES)
    g = x.copy()
    fgate_row(g, 0.3, 0.35)
    assert np.array_equal(g[:LANES], [fgate(v, 0.3, 0.35) for v in x[:LANES]])
    assert np.array_equal(g[LANES:], x[LANES:])
