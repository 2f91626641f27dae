"""Neuroprotective factors: culture medium books, tissue diffusion, MN survival assays, transplants."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ipscsim as ips
from ipscsim.engines import tissue as T
from ipscsim.model import secretion as S
from ipscsim.model import tissue_reference as R
from ipscsim.model.survival import trophic_support, trophic_support_array

# ----------------------------------------------------------------------------- culture medium


def _books_close(medium) -> float:
    b = medium.balance_frame()
    lhs = b.supplied + b.secreted
    rhs = b.present + b.decayed + b.taken_up + b.removed
    return float(((lhs - rhs).abs() / lhs.where(lhs > 0, 1.0)).max())


def test_medium_books_balance_ode():
    """Secreted + supplied = present + decayed + taken up + removed by media changes (ODE engine)."""
    r = ips.simulate("maury2015", days=28)
    m = r.culture_medium()
    assert _books_close(m) < 1e-6
    b = m.balance_frame()
    # maury2015 adds BDNF and GDNF at 10 ng/ml and the cells secrete VEGF: every term is in play
    assert b.loc["GDNF", "supplied"] > 0
    assert b.loc["VEGF", "secreted"] > 0
    assert (b.loc["VEGF", ["decayed", "taken_up", "removed"]] > 0).all()
    f = r.factors
    assert list(f.columns.levels[1]) == ["ng/ml", "pM"]
    # 10 ng/ml GDNF = 329 pM (30.36 kDa); decays towards the next media change
    gd = f[("GDNF", "pM")]
    assert gd.max() <= 10e3 / 30.36 * 1.0001 + 1.0
    assert np.allclose(f[("GDNF", "ng/ml")], gd * 30.36e-3, rtol=1e-12)


def test_medium_books_balance_abm():
    """The same books from the agent-based engine's counts."""
    r = ips.simulate("chambers2009", engine=ips.ABM(n_cells=2000), seed=3, days=6)
    m = r.culture_medium()
    assert _books_close(m) < 1e-6
    assert m.balance["VEGF"]["secreted"] > 0


def test_medium_matches_analytic_constant_population():
    """Constant cells, no supply: A(t) = S/r (1 - exp(-r t)), r = k + qN/V, reset at media changes."""
    days = np.linspace(0, 4, 17)
    n = 2e6
    counts = np.full((len(days), 1), n)
    s = 500e-6  # pg per cell per day
    k, q, v = 0.7, 2e-7, 2.0
    conc, books = S.medium_balance(
        days,
        counts,
        np.array([[s]]),
        np.array([k]),
        np.array([q]),
        v,
        np.array([0.0, 2.0]),
        np.zeros((2, 1)),
    )
    rate = k + q * n / v
    t_since = np.where(days < 2.0 + 1e-12, days, days - 2.0)
    expected = s * n / rate * (1 - np.exp(-rate * t_since)) / v
    expected[days == 2.0] = (
        s * n / rate * (1 - math.exp(-rate * 2.0)) / v
    )  # collected at the change
    assert np.allclose(conc[:, 0], expected, rtol=1e-8, atol=0)
    _supplied, secreted, _present, decayed, taken, _removed = books[:, 0]
    assert secreted == pytest.approx(s * n * 4.0, rel=1e-12)
    assert taken / decayed == pytest.approx(q * n / v / k, rel=1e-9)


def test_factor_doses_and_errors():
    assert S.to_picomolar(30.36, "pg/ml", "GDNF") == pytest.approx(1.0)
    assert S.factor("gdnf").name == "GDNF"
    with pytest.raises(ips.ParameterError, match=r"GDFN.*GDNF"):
        S.factor("GDFN")
    with pytest.raises(ips.ParameterError, match="a mass"):
        S.to_picomolar(1, "ng", "GDNF")
    with pytest.raises(ips.ParameterError, match="producer"):
        S.secretion_rate("astrocytes", "GDNF")
    # every secretion row names a known factor and a source
    tab = S.secretion_table()
    assert set(tab.factor) <= set(S.FACTORS)
    assert tab.source.str.len().min() > 20


# ----------------------------------------------------------------------------- tissue kernels


@pytest.mark.parametrize("shape", [(21, 17, 9), (23, 19, 1)])
@pytest.mark.parametrize("neumann", [False, True])
def test_tissue_kernels_match_numpy(shape, neumann):
    rng = np.random.default_rng(0)
    c, src = rng.random(shape), rng.random(shape)
    out = np.empty_like(c)
    T.step(c, out, src, 0.3, 0.5, 0.1, neumann)
    assert np.abs(out - R.step_np(c, src, 0.3, 0.5, 0.1, neumann)).max() < 1e-14
    T.helmholtz(c, out, 0.3, 0.5, neumann)
    assert np.abs(out - R.helmholtz_np(c, 0.3, 0.5, neumann)).max() < 1e-14
    many = T.diffuse(c, src, 1.0, 0.5, 1.0, T.stable_dt(shape, 1.0, 0.5, 1.0), 5, neumann)
    ref = c.copy()
    for _ in range(5):
        ref = R.step_np(ref, src, 1.0, 0.5, T.stable_dt(shape, 1.0, 0.5, 1.0), neumann)
    assert np.abs(many - ref).max() < 1e-13


def _point_source(ndim: int, h: float, size: float):
    n = round(size / h) | 1
    shape = (n, n, n) if ndim == 3 else (n, n)
    src = np.zeros(shape)
    c = n // 2
    src[(c,) * ndim] = 1.0 / h**ndim
    u = T.steady_state(src, 1.0, 1.0, h)
    return u, c


@pytest.mark.parametrize("shape", [(12, 9, 7), (40, 30, 1), (17, 1, 1)])
@pytest.mark.parametrize("neumann", [False, True])
def test_spectral_steady_state_solves_the_compiled_operator(shape, neumann):
    """The fast transforms solve exactly the discrete operator the conjugate gradients solve."""
    rng = np.random.default_rng(3)
    s = rng.random(shape)
    fast = T.steady_state(s, 2.0, 0.5, 0.1, neumann=neumann)
    slow = T.steady_state(s, 2.0, 0.5, 0.1, neumann=neumann, method="cg", rtol=1e-13)
    assert np.max(np.abs(fast - slow)) <= 1e-11 * np.max(np.abs(slow))
    out = np.empty(shape)
    T.helmholtz(np.ascontiguousarray(fast), out, 2.0 / 0.01, 0.5, neumann)
    assert np.max(np.abs(out - s)) <= 1e-11 * np.max(s)  # the residual of (k - D lap) c = s


def test_steady_state_3d_point_source():
    """exp(-r/lambda) / (4 pi D r): within 2% from 6 cells out to 3 decay lengths; second order."""
    u, c = _point_source(3, 1 / 6, 12.0)
    for i in (6, 9, 12, 18):
        r = i / 6
        assert u[c + i, c, c] / R.point_source_3d(r, 1, 1, 1) == pytest.approx(1.0, abs=0.02)
    coarse, cc = _point_source(3, 1 / 3, 12.0)
    err_fine = abs(u[c + 6, c, c] / R.point_source_3d(1.0, 1, 1, 1) - 1)
    err_coarse = abs(coarse[cc + 3, cc, cc] / R.point_source_3d(1.0, 1, 1, 1) - 1)
    assert err_fine < err_coarse / 3  # halving h cuts the error ~4x


def test_steady_state_2d_point_source():
    """K0(r/lambda) / (2 pi D) in 2-D: within 1% from 3 cells out to 3 decay lengths."""
    u, c = _point_source(2, 0.1, 20.0)
    for i in (3, 5, 10, 20, 30):
        r = i * 0.1
        assert u[c + i, c] / R.point_source_2d(r, 1, 1, 1) == pytest.approx(1.0, abs=0.01)


def test_explicit_steps_reach_the_steady_state():
    rng = np.random.default_rng(1)
    src = rng.random((15, 13, 11))
    dt = T.stable_dt(src.shape, 0.8, 0.6, 0.5)
    late = T.diffuse(np.zeros_like(src), src, 0.8, 0.6, 0.5, dt, int(40 / 0.6 / dt) + 1)
    steady = T.steady_state(src, 0.8, 0.6, 0.5)
    assert np.abs(late - steady).max() / steady.max() < 1e-6
    with pytest.raises(ValueError, match="stability"):
        T.diffuse(np.zeros_like(src), src, 0.8, 0.6, 0.5, 2 * dt, 1)


# ----------------------------------------------------------------------------- survival


def test_trophic_support_array_is_the_scalar_one():
    for g, b in [(0.0, 0.0), (1e-3, 0.0), (5e-3, 2e-3), (1.0, 0.3)]:
        v = trophic_support_array({"GDNF": np.array([g]), "BDNF": np.array([b])})[0]
        assert v == pytest.approx(trophic_support({"GDNF": g, "BDNF": b}), rel=1e-14)


def test_assay_death_rate_is_the_differentiation_models():
    """The assay evaluates the engines' own mu_mn / mu_n: the same numbers as the numpy reference."""
    from ipscsim.model import layout as L
    from ipscsim.model.pharmacology import compound_table, pathway_inputs
    from ipscsim.model.reference import shared
    from ipscsim.model.survival import mn_death_rate
    from ipscsim.protocols.compounds import registry

    p = ips.model.resolve_params({"receptor_trkb": 0.5, "trophic_share_ret": 0.7})
    reg = registry()
    doses = {"GDNF": 2e-3, "BDNF": 1e-3, "insulin": 700.0, "forskolin": 1000.0}
    c = np.zeros(len(reg))
    for k, v in doses.items():
        c[reg.index(k)] = v
    a, f, z = pathway_inputs(c, compound_table())
    env = {n: 0.0 for n in ("nodal_src", "bmp_src", "delta", "occ", "density", "stress")}
    env.update(fmt=0.0, agg=1.0, cassette_nil=0.0, cassette_ngn2=0.0)
    env.update(mn_hazard=1.7, mn_deprivation=2.3)
    sh = shared(a, f, z, env, p)
    assert mn_death_rate(doses, p, 1.7, 2.3) == pytest.approx(sh["mu_mn"], rel=1e-14)
    assert mn_death_rate(doses, p, cell="interneuron") == pytest.approx(sh["mu_n"], rel=1e-14)
    assert trophic_support(doses, p) == pytest.approx(sh["trophic"], rel=1e-14)
    assert p[L.P_receptor_trkb] == 0.5


def test_factor_survival_ec50_is_its_receptors():
    from ipscsim.model.secretion import factor

    assert factor("GDNF").survival_ec50_pM == pytest.approx(1.0)  # Lamas et al. 2014
    assert factor("IGF1").survival_ec50_pM == pytest.approx(260.0)
    assert math.isnan(factor("VEGF").survival_ec50_pM)  # not a survival factor in the model


def test_trophic_factors_act_through_their_own_receptors():
    """Each receptor saturates on its own; factors on different receptors are not additive; losing a
    receptor removes its factor's effect and only its factor's (GDNF on GFRA1/RET: Rakowicz et al.
    2002; single factors rescue part of the MNs and several add: Hanson et al. 1998)."""
    from ipscsim.model.survival import trophic_support as support

    p = ips.model.resolve_params(None)
    sat = {"GDNF": 10.0, "BDNF": 10.0, "CNTF": 10.0, "IGF1": 1000.0}  # nM: far above each EC50
    shares = {
        "GDNF": p[ips.model.layout.P_trophic_share_ret],
        "BDNF": p[ips.model.layout.P_trophic_share_trkb],
        "CNTF": p[ips.model.layout.P_trophic_share_gp130],
        "IGF1": p[ips.model.layout.P_trophic_share_igf1r],
    }
    for f, dose in sat.items():
        assert support({f: dose}) == pytest.approx(shares[f], rel=1e-3)  # saturates at its share
        assert support({f: 10 * dose}) - support({f: dose}) < 1e-3  # more of the same adds nothing
    two = support({"GDNF": 10.0, "BDNF": 10.0})
    gdnf, bdnf = support({"GDNF": 10.0}), support({"BDNF": 10.0})
    assert max(gdnf, bdnf) < two < gdnf + bdnf
    assert two == pytest.approx(1 - (1 - shares["GDNF"]) * (1 - shares["BDNF"]), rel=1e-3)
    # losing RET: GDNF does nothing, BDNF is untouched
    q = ips.model.resolve_params({"receptor_ret": 0.0})
    assert support({"GDNF": 10.0}, q) == 0.0
    assert support({"BDNF": 10.0}, q) == support({"BDNF": 10.0}, p)
    # a receptor at half its level needs twice the ligand (the same occupancy)
    h = ips.model.resolve_params({"receptor_trkb": 0.5})
    assert support({"BDNF": 2e-3}, h) == pytest.approx(support({"BDNF": 1e-3}, p), rel=1e-12)


def test_survival_dose_response_lamas2014():
    """T7: survival rises monotonically with GDNF; half-maximal near 1-2 pM (Lamas et al. 2014)."""
    for day in (3.0, 7.0):
        d = ips.survival.dose_response("GDNF", day=day)
        assert np.all(np.diff(d.fraction_alive) > 0)
        assert 1.0 <= d.attrs["half_maximal_pM"] <= 2.0  # measured at most 1.44
    for f in ("BDNF", "CNTF"):
        assert 1.0 <= ips.survival.dose_response(f, day=3.0).attrs["half_maximal_pM"] <= 2.0


def test_survival_genotypes_stress_drugs():
    """T6 and the stressor/drug facts, on expected curves."""

    def alive(**kw):
        return ips.survival.assay(n_cells=None, days=28, **kw).summary()["fraction_alive"]

    gdnf = {"GDNF": (10, "ng/ml"), "BDNF": (10, "ng/ml")}
    ctrl = alive(genotype="control", factors=gdnf)
    assert alive(genotype="SOD1_A4V", factors=gdnf) < ctrl  # T6 (Kiskinis 2014; Chen 2014)
    assert alive(genotype="TARDBP_M337V", factors=gdnf) < ctrl  # Bilican 2012
    # glutamate kills C9orf72 MNs, not control ones (Shi et al. 2018)
    assert alive(genotype="control", factors=gdnf, stress="glutamate") == pytest.approx(ctrl)
    c9 = alive(genotype="C9orf72", factors=gdnf)
    full = {**gdnf, "CNTF": (10, "ng/ml")}  # Shi et al.'s BDNF, GDNF and CNTF
    assert alive(genotype="C9orf72", factors=full) > 0.9 * alive(genotype="control", factors=full)
    c9_glu = alive(genotype="C9orf72", factors=gdnf, stress="glutamate")
    assert c9_glu < 0.7 * c9
    # ALS astrocytes kill control MNs too (Di Giorgio 2008)
    assert alive(genotype="control", factors=gdnf, stress="als_astrocytes") < 0.7 * ctrl
    # drugs rescue the disease part only
    for drug in ("retigabine", "bosutinib", "ropinirole"):
        assert alive(genotype="SOD1_A4V", factors=gdnf, drug=drug) > alive(
            genotype="SOD1_A4V", factors=gdnf
        )
        assert alive(genotype="control", factors=gdnf, drug=drug) == pytest.approx(ctrl)
    assert alive(genotype="C9orf72", factors=gdnf, stress="glutamate", drug="retigabine") > c9_glu
    # factor withdrawal: C9orf72 MNs die faster than control MNs (Shi et al. 2018, Fig. 1g); the
    # medium's insulin keeps some support, none at all kills nearly every MN
    assert alive(genotype="C9orf72") < 0.5 * alive(genotype="control")
    assert alive(genotype="control", medium=None) < 0.01 < alive(genotype="control")
    # PI3K inhibition: TDP-43 M337V MNs are more vulnerable than control ones (Bilican et al. 2012)
    tdp, pi3k = "TARDBP_M337V", "pi3k_inhibition"
    ratio_pi3k = alive(genotype=tdp, factors=gdnf, stress=pi3k) / alive(factors=gdnf, stress=pi3k)
    assert ratio_pi3k < 0.5 * alive(genotype=tdp, factors=gdnf) / ctrl
    # ALS astrocytes kill MNs and spare interneurons (Di Giorgio et al. 2008)
    kw = {"factors": gdnf, "stress": "als_astrocytes"}
    assert alive(cell="interneuron", **kw) == pytest.approx(alive(cell="interneuron", factors=gdnf))
    assert alive(cell="interneuron", **kw) > 2 * alive(**kw)


def test_er_stress_kills_als_mns_more_and_a_map4k4_inhibitor_rescues_them():
    """Thapsigargin or tunicamycin 'recapitulated ALS-associated degeneration' in ALS patient iPSC
    MNs, exacerbating 'sensitivities conferred by ALS patient genetics', and MAP4K4 inhibition rescued
    it (Watts et al. 2024, abstract): ER stress takes a larger share of SOD1 A4V MNs than of control
    MNs, the inhibitor gives back part of it, and applying it to a genotype no source names warns."""

    def alive(**kw):
        return ips.survival.assay(n_cells=None, days=14, **kw).summary()["fraction_alive"]

    gdnf = {"GDNF": (10, "ng/ml"), "BDNF": (10, "ng/ml")}
    loss = {
        g: 1 - alive(genotype=g, factors=gdnf, stress="er_stress") / alive(genotype=g, factors=gdnf)
        for g in ("control", "SOD1_A4V")
    }
    assert 0 < loss["control"] < loss["SOD1_A4V"]
    sod1 = {"genotype": "SOD1_A4V", "factors": gdnf, "stress": "er_stress"}
    with pytest.warns(UserWarning, match="genotypes the sources retrieved do not name"):
        rescued = alive(drug="map4k4_inhibitor", **sod1)
    assert alive(**sod1) < rescued < alive(genotype="SOD1_A4V", factors=gdnf)


def test_survival_assay_sampling_and_seed():
    a = ips.survival.assay("SOD1_A4V", {"GDNF": (1, "pM")}, days=14, n_cells=20000, seed=5)
    b = ips.survival.assay("SOD1_A4V", {"GDNF": (1, "pM")}, days=14, n_cells=20000, seed=5)
    assert np.array_equal(a.alive, b.alive)
    assert a.meta["seed"] == 5
    se = np.sqrt(a.expected * (1 - a.expected) / 20000)
    assert np.all(np.abs(a.alive - a.expected) <= 5 * se + 1e-12)
    assert np.all(np.diff(a.alive) <= 0)
    curve = a.curve
    assert list(curve.columns) == ["day", "fraction_alive", "expected"]
    s = a.summary()
    assert s["fraction_alive"] == a.alive[-1]
    # median survival of an exponential: ln 2 / hazard
    rate = a.meta["hazard_per_day"][0]
    e = ips.survival.assay(
        "SOD1_A4V", {"GDNF": (1, "pM")}, days=60, n_cells=None, record_every=0.01
    )
    assert e.summary()["median_survival_days"] == pytest.approx(math.log(2) / rate, abs=0.01)
    fresh = ips.survival.assay(seed=None)
    assert isinstance(fresh.meta["seed"], int)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"genotype": "SOD1A4V"}, "genotype"),
        ({"factors": {"GDFN": (1, "pM")}}, "GDNF"),
        ({"factors": {"GDNF": 10}}, r"\(value, unit\)"),
        ({"factors": {"GDNF": (10, "ng")}}, "a mass"),
        ({"factors": {"GDNF": (-1, "pM")}}, ">= 0"),
        ({"stress": "glutamte"}, "glutamate"),
        ({"drug": "riluzole"}, "drug"),
        ({"n_cells": 0}, "n_cells"),
        ({"days": -1}, "days"),
        ({"medium": "Neurobasal B28"}, "medium: unknown medium"),
        ({"cell": "astrocyte"}, "cell: unknown cell"),
    ],
)
def test_survival_bad_input(kwargs, match):
    with pytest.raises(ips.ParameterError, match=match):
        ips.survival.assay(**kwargs)


# ----------------------------------------------------------------------------- transplant


@pytest.fixture(scope="module")
def rat():
    return ips.transplant.simulate("suzuki2007_rat", host="rat_SOD1_G93A", months=2)


def test_transplant_protects_near_the_graft(rat):
    s = rat.summary()
    assert s.mn_alive_near > s.mn_alive_far >= s.mn_alive_untreated - 1e-12
    assert s.mn_alive_untreated == pytest.approx(0.5, abs=1e-9)  # the host's end stage
    assert rat.meta["stopped_at_end_stage"]
    prof = rat.factor_profile.iloc[:, 0]
    # the factor falls with distance beyond the last site
    tail = prof[prof.index > 5.0]
    assert np.all(np.diff(tail.to_numpy()) < 0)
    assert "muscle" in rat.limitations


def test_transplant_without_secretion_protects_nothing():
    t = ips.transplant.simulate("suzuki2007_rat", months=2, secretion_scale=0.0)
    mn = t.mn_survival
    for col in ("near graft", "ipsilateral far", "contralateral"):
        assert np.allclose(mn[col], mn["untreated"], rtol=1e-12)
    half = ips.transplant.simulate("suzuki2007_rat", months=2, secretion_scale=0.1).summary()
    full = ips.transplant.simulate("suzuki2007_rat", months=2).summary()
    assert t.summary().mn_alive_near < half.mn_alive_near < full.mn_alive_near


def test_tumour_risk_never_falls_with_more_pluripotent_cells():
    prev = None
    for frac in (0.0, 1e-5, 1e-4, 1e-3, 1e-2):
        g = (
            ips.transplant.simulate(
                "CNS10-NPC-GDNF", months=12, residual_pluripotent=frac, grid_mm=1.0
            )
            .graft["tumour_probability"]
            .to_numpy()
        )
        assert np.all(np.diff(g) >= 0)  # over time, too
        if prev is not None:
            assert np.all(g >= prev)
        prev = g
    # 5 x 5e5 cells, half engraft, 1% pluripotent: 12,500 cells, one teratoma per 5,000 (tumour.csv);
    # a year is long past detection (~80 days), so the probability is the final one
    assert prev[-1] == pytest.approx(1 - math.exp(-12500 / 5000), rel=1e-6)


def test_graft_rejection_and_presets():
    base = dict(months=6, grid_mm=1.0)
    immune = ips.transplant.simulate("CNS10-NPC-GDNF", immunosuppression=True, **base)
    none = ips.transplant.simulate("CNS10-NPC-GDNF", immunosuppression=False, **base)
    auto = ips.transplant.simulate("CNS10-NPC-GDNF", origin="autologous", **base)
    cells = [x.graft["cells"].iloc[-1] for x in (none, immune, auto)]
    assert cells[0] < cells[1] < cells[2]
    assert set(ips.transplant.products().index) >= {"CNS10-NPC-GDNF", "NSI-566", "MSC-NTF"}
    r = ips.simulate("maury2015")
    t = ips.transplant.simulate(r, host="mouse_SOD1_G93A", months=1)
    assert t.meta["residual_pluripotent_cells"] == pytest.approx(
        t.meta["dose_per_site"] * t.meta["sites"] * 0.5 * r.summary()["residual_pluripotent"]
    )
    with pytest.raises(ips.ParameterError, match="host"):
        ips.transplant.simulate("NSI-566", host="rat")
    with pytest.raises(ips.ParameterError, match="graft"):
        ips.transplant.simulate("NSI566")
    with pytest.raises(ips.ParameterError, match="sites"):
        ips.transplant.simulate("NSI-566", sites=0)
    with pytest.raises(ips.ParameterError, match="secretion_scale"):
        ips.transplant.simulate("NSI-566", secretion_scale=-1)


def test_survival_and_transplant_plots(rat):
    import matplotlib

    matplotlib.use("Agg")
    a = ips.survival.assay("control", {"GDNF": (10, "pg/ml")}, days=10, seed=1)
    fig = a.plot()
    ax = fig.axes[0]
    assert ax.get_xlabel() == "day of assay"
    assert ax.get_ylabel() == "MNs alive (fraction)"
    step, expected = ax.lines[:2]
    assert np.array_equal(step.get_ydata(), a.alive)
    assert np.allclose(expected.get_ydata(), a.expected)
    fig = rat.plot()
    ax0, ax1 = fig.axes[:2]
    assert [ln.get_label() for ln in ax0.lines] == list(rat.mn_survival.columns)
    assert "months" in ax0.get_xlabel()
    assert "(pM)" in ax1.get_ylabel()
    assert np.allclose(ax0.lines[0].get_ydata(), rat.mn_survival["near graft"])


def test_point_sources_conserve_production():
    """Sources at cell positions: the grid holds each cell's production (sum x h^d = total rate)."""
    rng = np.random.default_rng(2)
    pos = rng.random((500, 3)) * 2.0
    rates = rng.random(500)
    src = T.point_sources((20, 20, 20), 0.1, pos, rates)
    assert src.sum() * 0.1**3 == pytest.approx(rates.sum(), rel=1e-12)
    # steady state: production = clearance (no-flux faces), k * integral of c = total rate
    c = T.steady_state(src, 0.5, 2.0, 0.1, neumann=True)
    assert 2.0 * c.sum() * 0.1**3 == pytest.approx(rates.sum(), rel=1e-8)
    with pytest.raises(ValueError, match="outside"):
        T.point_sources((20, 20, 20), 0.1, np.array([[3.0, 0.0, 0.0]]), [1.0])


def test_c9orf72_mns_die_of_withdrawal_in_a_differentiation_run_too():
    """The same hazard in a differentiation run: with BDNF, GDNF and CNTF, C9orf72 and control MNs
    survive alike; after withdrawal, C9orf72 MNs die faster (Shi et al. 2018, Fig. 1b and 1g).

    A week after BDNF and GDNF are withdrawn, C9orf72 MNs are 0.76 of control's (0.62 while
    maury2015 ran in a medium without insulin, until 2026-12-07: its N2/B27 insulin now gives the
    MNs part of their support through IGF1R, as in Shi et al.'s own medium)."""
    from ipscsim.validation.perturbations import apply_perturbation

    base = ips.protocols.get("maury2015")
    factors = "add BDNF 10 ng/ml 14 21; add GDNF 10 ng/ml 14 21; add CNTF 10 ng/ml 14 21"
    kept = apply_perturbation(base, f"extend 21; media 2; {factors}")  # Shi et al.'s three factors
    cut = apply_perturbation(base, "extend 21; media 2; without BDNF; without GDNF")

    def mns(p, genotype):
        r = ips.simulate(p.protocol, ips.ODE(cohorts=3), days=p.days, genotype=genotype)
        return float(r.counts["MN"].iloc[-1])

    assert mns(kept, "C9orf72") > 0.9 * mns(kept, "control")
    assert mns(cut, "C9orf72") < 0.8 * mns(cut, "control")


def test_a_drug_on_a_genotype_it_was_not_reported_to_rescue_warns():
    import warnings

    with pytest.warns(UserWarning, match="reported in SOD1_A4V, C9orf72, not in FUS"):
        ips.survival.assay("FUS", drug="retigabine", n_cells=None, days=7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ips.survival.assay("C9orf72", drug="retigabine", n_cells=None, days=7)  # Shi et al. 2018
        ips.survival.assay("control", drug="bosutinib", n_cells=None, days=7)  # no disease part


@pytest.mark.parametrize("name", ["VEGF", "HGF"])
def test_a_factor_without_a_survival_effect_has_no_dose_response_and_says_which_do(name):
    """factors.csv gives VEGF and HGF no survival EC50 (unquantified), so the curve is flat: it was a
    ZeroDivisionError when the effect was scaled by (saturated - untreated)."""
    with pytest.raises(ips.ParameterError, match=rf"factor: '{name}' does not change MN survival"):
        ips.survival.dose_response(name, doses_pM=[1.0, 10.0])


@pytest.mark.parametrize("age", [126.0, 1000.0, -50.0])
def test_a_graft_on_or_after_end_stage_or_before_birth_is_refused(age):
    """suzuki2007_rat's host (rat SOD1 G93A) reaches end stage on day 126: a graft then returned nine
    records all at month 0, with a note in meta only; a rat's negative age was accepted."""
    with pytest.raises(ips.ParameterError, match="before the host's end stage on day 126"):
        ips.transplant.simulate("suzuki2007_rat", months=2, age_at_transplant=age)


def test_a_day_outside_the_run_has_no_state_or_snapshot():
    """snapshot_state(100) of a 2-day run returned day 2 and snapshot_state(nan) day 0; an ABM
    snapshot at NaN returned the first one."""
    r = ips.simulate("maury2015", days=2)
    for day in (100, math.nan, "1", -1):
        with pytest.raises(ips.ParameterError, match="must be a day of the run, from 0 to 2"):
            r.snapshot_state(day)
    assert r.snapshot_state(1.0).name == 1.0
    a = ips.simulate("maury2015", engine=ips.ABM(n_cells=200), days=1, seed=1)
    for day in (math.nan, "1", 0.5):
        with pytest.raises(ips.ParameterError, match="day: "):
            a.snapshot(day)


def test_a_record_spacing_that_does_not_divide_the_curve_says_what_it_became():
    """3 days over a 7-day assay gave points 3.5 days apart without a word."""
    with pytest.warns(UserWarning, match=r"3 days does not divide the 7 days; the points are 3\.5"):
        a = ips.survival.assay(days=7, record_every=3)
    np.testing.assert_allclose(np.diff(a.days), 3.5)
