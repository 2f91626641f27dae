"""Protocol compilation checked by hand, independently of the engine that consumes it."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ipscsim as ips
from ipscsim.model import layout as L
from ipscsim.model.inputs import compile_protocol
from ipscsim.model.pharmacology import compound_table, concentrations
from ipscsim.protocols.compounds import registry

REG = registry()


def conc(cp, seg, name):
    return cp.u[seg, L.U_CONC + REG.index(name)]


def test_maury2015_compiles_to_its_schedule():
    cp = compile_protocol(ips.protocols.get("maury2015"))
    np.testing.assert_array_equal(cp.t, [0, 1, 2, 4, 7, 9, 10, 12, 14])
    seg = {t: i for i, t in enumerate(cp.t[:-1])}
    assert conc(cp, seg[0], "Y27632") == 10_000.0
    assert conc(cp, seg[1], "Y27632") == 0.0
    assert conc(cp, seg[0], "SB431542") == 40_000.0
    assert conc(cp, seg[2], "SB431542") == 0.0
    retinoid = 0.04  # nM: the 'neural' medium's B27 retinyl acetate, as RA (media.csv)
    assert conc(cp, seg[2], "RA") == pytest.approx(100.0 + retinoid, rel=1e-12)
    assert conc(cp, seg[2], "SAG") == 500.0
    assert conc(cp, seg[9], "DAPT") == 10_000.0
    # BDNF 10 ng/ml of a 26,984 g/mol dimer = 1e-5 g/l / 26984 g/mol = 0.3706 nM
    assert conc(cp, seg[7], "BDNF") == pytest.approx(1e-5 / 26984 * 1e9, rel=1e-12)
    assert conc(cp, seg[7], "RA") == pytest.approx(100.0 + retinoid, rel=1e-12)
    assert conc(cp, seg[9], "RA") == pytest.approx(retinoid, rel=1e-12)
    assert list(cp.u[:, L.U_T_CHANGE]) == list(cp.t[:-1])  # every boundary is a media change here
    assert cp.op[seg[10]] == L.OP_REPLATE
    assert cp.op_count[seg[10]] == pytest.approx(
        60000 / 100000
    )  # same well, in day-0 seeding units
    assert cp.u[0, L.U_FORMAT] == 1.0  # suspension ...
    assert cp.u[seg[10], L.U_FORMAT] == 0.0  # ... then adherent after replating
    assert cp.seeded == 100000 * 9.5


def test_compounds_decay_between_media_changes_at_their_half_life():
    p = ips.Protocol(
        name="decay",
        days=4,
        media_changes=[0.0],
        steps=[ips.protocols.Step("RA", 1, "uM", 0, 4), ips.protocols.Step("SAG", 1, "uM", 0, 4)],
    )
    cp = compile_protocol(p)
    comp = compound_table()
    c = concentrations(1.5, cp.u[0], comp)
    assert c[REG.index("RA")] == pytest.approx(1000 * 0.5 ** (36 / 6), rel=1e-12)  # 6 h half-life
    assert c[REG.index("SAG")] == pytest.approx(1000 * 0.5 ** (36 / 72), rel=1e-12)


def test_days_past_the_protocol_run_in_its_basal_medium_fed_at_its_rhythm():
    # du2015 runs in N2B27: past its end only the medium's insulin and retinoid remain, no step
    cp = compile_protocol(ips.protocols.get("du2015"), days=40)
    after = cp.t[:-1] >= 28
    conc_after = cp.u[after, L.U_CONC :]
    medium = [REG.index("insulin"), REG.index("RA")]
    others = np.delete(conc_after, medium, axis=1)
    assert np.all(others == 0.0)
    insulin_nm = 10e-3 / REG.get("insulin").molar_mass * 1e9  # 10 ug/ml
    np.testing.assert_allclose(conc_after[:, medium[0]], insulin_nm, rtol=1e-12)
    np.testing.assert_allclose(conc_after[:, medium[1]], 0.02, rtol=1e-12)  # nM, B27's retinoid
    np.testing.assert_array_equal(cp.t[cp.t >= 28], [28, 30, 32, 34, 36, 38, 40])


def test_running_past_the_protocol_warns_and_its_own_days_do_not():
    """Past its last day a protocol is not validated: the user is told (a Python warning), once per run."""
    with pytest.warns(ips.ExtrapolationWarning, match=r"'maury2015' ends on day 14.*day 20"):
        ips.simulate("maury2015", days=20)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ips.ExtrapolationWarning)
        ips.simulate("maury2015")
        ips.simulate("maury2015", days=10)
        ips.simulate(ips.protocols.get("maury2015").with_days(20))  # an extension the user wrote


@pytest.mark.parametrize(
    ("every", "start", "end"), [(0.1, 0.3, 2.1), (0.7, 0.2, 2.1), (4 / 24, 20 / 24, 5)]
)
def test_rounding_errors_never_make_a_sliver_segment(every, start, end):
    p = ips.Protocol(
        name="r",
        days=6,
        media_change_every=every,
        steps=[ips.protocols.Step("RA", 1, "uM", start, end)],
    )
    cp = compile_protocol(p)
    assert np.min(np.diff(cp.t)) > 1e-6
    assert ips.simulate(p).meta["solver"]["n_accepted"] > 0


@settings(max_examples=25, deadline=None)
@given(
    every=st.sampled_from([0.1, 1 / 3, 0.7, 1.0, 2.0]),
    shift=st.sampled_from([-0.3, 0.1, 0.25, 1 / 3]),
    scale=st.floats(0.1, 10),
)
def test_edited_protocols_simulate(every, shift, scale):
    """Any feeding rhythm, DAPT window and SAG dose runs, and cells are conserved (live = seeded +
    born - died + added by replating, as test_engine.py checks for the presets)."""
    p = ips.protocols.get("maury2015").with_media_changes(every=every).shift("DAPT", -1 + shift)
    r = ips.simulate(p.scale("SAG", scale))
    assert np.isfinite(r.records).all()
    k = r.n_cohorts
    g = r.records[:, k * L.N_COHORT :]
    balance = 1.0 + g[:, L.X_CUM_DIV] - g[:, L.X_CUM_DEATH] + g[:, L.X_CUM_REPLATED]
    np.testing.assert_allclose(r.records[:, L.count_indices(k)].sum(axis=1), balance, rtol=1e-9)


def test_replating_rescales_to_the_seeded_number_and_tracks_the_lineage():
    r = ips.simulate("maury2015")
    k = r.n_cohorts
    i10 = int(np.flatnonzero(r.days == 10.0)[0])
    before = r.records[i10]  # recorded at the end of the segment before the operation

    def live(y):
        return y[L.count_indices(k)].sum()

    after = r.records[i10 + 1]
    assert after[k * L.N_COHORT + L.X_LINEAGE] == pytest.approx(live(before) / 0.6, rel=1e-12)
    assert after[k * L.N_COHORT + L.X_STRESS] < 1.0
    last = r.records[-1]
    mn = last[L.count_indices(k, ("MMC", "MMC_CHAT", "LMC", "LMC_CHAT"))].sum()
    assert r.summary()["mn_yield"] == pytest.approx(mn * live(before) / 0.6, rel=1e-12)


def test_recording_does_not_change_the_trajectory():
    coarse = ips.simulate("maury2015", record=ips.Record(every=1.0))
    fine = ips.simulate("maury2015", record=ips.Record(every=0.1))
    idx = [int(np.argmin(abs(fine.days - d))) for d in coarse.days]
    np.testing.assert_array_equal(fine.records[idx], coarse.records)
    assert coarse.meta["solver"]["nfev"] == fine.meta["solver"]["nfev"]


def test_a_protocol_without_steps_is_maintenance_free_differentiation():
    """A bare protocol is basal medium without growth factors: nothing holds pluripotency, and with
    no TGF-beta, FGF2 or BMP the cells take the neural default, as in E6 (Lippmann et al. 2014,
    F30: > 90% PAX6+ in 6 days; here 0.99 neural by day 6)."""
    r = ips.simulate(ips.Protocol(name="empty", days=6))
    assert r.markers["OCT4"].iloc[0] > 0.95 > 0.05 > r.markers["OCT4"].iloc[-1]
    last = r.fractions.iloc[-1]
    assert last["neuroectoderm"] + last["rostral_progenitor"] + last["rostral_neuron"] > 0.85
    assert math.isnan(r.summary()["day_mn_half"])  # no MNs, no day at which half of them exist


def test_culture_numbers_no_vessel_holds_warn():
    """1e12 cells/cm^2 (cells per well written as a density) or 100 ml on one well ran silently."""
    from dataclasses import replace

    p = ips.protocols.get("maury2015")
    with pytest.warns(
        ips.ExtrapolationWarning, match=r"seeding_density: 1e\+12 cells/cm\^2 is more"
    ):
        ips.simulate(replace(p, seeding_density=1e12), days=0.5)
    with pytest.warns(ips.ExtrapolationWarning, match=r"medium_volume: 100 ml on 9\.5 cm\^2"):
        ips.simulate(replace(p, medium_volume=100.0), days=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ips.simulate(replace(p, seeding_density=3e5, medium_volume=3.0), days=0.5)


def test_schedules_that_never_feed_or_replate_into_a_solid_block_warn():
    """every=1000 on a 14-day protocol silently never changed the medium; a replate at 1e12
    cells/cm^2 ran silently; a reference key that is not text failed later, in to_toml."""
    p = ips.protocols.get("maury2015")
    with pytest.warns(ips.ExtrapolationWarning, match="1000 days on a 14-day protocol means the"):
        ips.prepare(p.with_media_changes(every=1000))
    with pytest.warns(ips.ExtrapolationWarning, match=r"the replate on day 5 seeds 1e\+12 cells"):
        ips.prepare(p.with_operation("replate", 5, 1e12))
    with pytest.raises(ips.ProtocolError, match="keys and values must be text"):
        ips.Protocol.from_dict({"name": "x", "medium": "N2B27", "reference": {5: "y"}})
