"""The gene network's published behaviour, on the numpy reference (the equations of model/network.py
evaluated by the interpreter; the compiled kernels are tested against it in test_codegen.py)."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ipscsim.model import layout as L
from ipscsim.model.cohorts import cohort_nodes
from ipscsim.model.network import ENV, GENES
from ipscsim.model.parameters import default_params
from ipscsim.model.reference import cell_env, shared
from ipscsim.protocols.compounds import PATHWAYS

P = default_params()
G = {g: i for i, g in enumerate(GENES)}


def _signals(*, agonist=None, inhibited=None, params=P, **env):
    """SHARED names for a culture given pathway agonist inputs and inhibited shares (0-1)."""
    a = np.zeros(len(PATHWAYS))
    f = np.ones(len(PATHWAYS))
    z = np.ones(len(PATHWAYS))
    for q, v in (agonist or {}).items():
        a[PATHWAYS.index(q)] = v
    for q, v in (inhibited or {}).items():
        f[PATHWAYS.index(q)] = 1.0 - v
    base = dict.fromkeys(ENV, 0.0)
    base.update(occ=0.2, density=5e4, agg=2000.0, mn_hazard=1.0, mn_deprivation=1.0)
    base.update(env)
    return shared(a, f, z, base, params)


def _rates(y, sh, hold=()):
    d = cell_env(sh, y[None, :], np.ones(1), np.ones(1))
    out = np.array([float(np.ravel(d[f"d.{g}"])[0]) for g in GENES])
    for g in hold:
        out[G[g]] = 0.0
    return out


def _run(y0, sh, days, hold=()):
    sol = solve_ivp(
        lambda t, y: _rates(y, sh, hold), (0, days), y0, method="LSODA", rtol=1e-8, atol=1e-11
    )
    assert sol.success
    return sol.y[:, -1]


#: What the PONI tests hold fixed: the GLI level (and PTCH1) and the cell's neural age (``CLOCK``, 10
#: days): the published network is the young progenitor's; later (``clock_preopc``) OLIG2 and NKX2.2
#: stop excluding each other (pre-OPCs, tested below).
YOUNG = ("GLI", "PTCH1", "CLOCK")


def _neural_cell(gli):
    """A neural cell past the floor-plate window, with the PONI pre-pattern (Cohen et al. 2014)."""
    y = np.zeros(len(GENES))
    y[G["NEURAL"]] = y[G["SOX1"]] = 1.0
    y[G["CLOCK"]] = 10.0
    y[G["PAX6"]] = y[G["IRX3"]] = 0.95
    y[G["GLI"]] = gli
    y[G["GLI3"]] = 1.0  # neural induction without RA has switched GLI3 on (Calder et al. 2015)
    return y


def _identity(y):
    levels = {"p3": y[G["NKX2_2"]], "pMN": y[G["OLIG2"]], "p2": min(y[G["PAX6"]], y[G["IRX3"]])}
    return max(levels, key=levels.get)


#: The PONI network's published defaults (Cohen et al. 2014 Development 141:3868; berberto/NeuralTube
#: poni.cc), written out here so that the test below runs the published equations independently of
#: the model's parameter table and equation language.
_COHEN = dict(
    Pol=(4.8, 47.8, 27.4, 23.4), Gli_Oli=18.0, Gli_Nkx=373.0, Oli_Pax=1.9, Nkx_Pax=26.7,
    Oli_Nkx=27.1, Nkx_Oli=60.6, Pax_Nkx=4.8, Irx_Oli=28.4, Oli_Irx=58.8, Irx_Nkx=47.1,
    Nkx_Irx=76.2, alpha=2.0, delta=2.0, fA=10.0, CPol=0.8,
)  # fmt: skip


def _published_identity(gli, t_end):
    """Cohen et al. 2014's four genes at a held GLI activator level, GLI activator and repressor
    summing to one (so each enhancer's occupancy is (1 + fA K g) / (1 + K)), from the p2 pre-pattern."""
    k = _COHEN
    pol = [x * k["CPol"] for x in k["Pol"]]
    act_o = (1 + k["fA"] * k["Gli_Oli"] * gli) / (1 + k["Gli_Oli"])
    act_n = (1 + k["fA"] * k["Gli_Nkx"] * gli) / (1 + k["Gli_Nkx"])

    def rates(t, y):
        p, o, n, i = y
        prod = (
            pol[0] / ((1 + k["Oli_Pax"] * o) * (1 + k["Nkx_Pax"] * n)) ** 2,
            pol[1] * act_o / ((1 + k["Nkx_Oli"] * n) * (1 + k["Irx_Oli"] * i)) ** 2,
            pol[2]
            * act_n
            / ((1 + k["Pax_Nkx"] * p) * (1 + k["Oli_Nkx"] * o) * (1 + k["Irx_Nkx"] * i)) ** 2,
            pol[3] / ((1 + k["Oli_Irx"] * o) * (1 + k["Nkx_Irx"] * n)) ** 2,
        )
        return [k["alpha"] * x / (1 + x) - k["delta"] * v for x, v in zip(prod, y, strict=True)]

    y0 = [0.95, 0.0, 0.0, 0.95]
    p, o, n, i = solve_ivp(rates, (0, t_end), y0, method="LSODA", rtol=1e-8, atol=1e-11).y[:, -1]
    levels = {"p3": n, "pMN": o, "p2": min(p, i)}
    return max(levels, key=levels.get)


def _switch(identity_at, lo, hi, below):
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if identity_at(mid) == below else (lo, mid)
    return 0.5 * (lo + hi)


def test_poni_reads_the_gli_level_as_published():
    """The model's patterning genes in a young neural progenitor (GLI3 on, as after neural induction
    without RA: the GLI repressor takes what the activator leaves) are the published network: at
    each GLI level a cell settles where Cohen et al. 2014's equations, run independently here, put
    it. The published switch points (p2 to pMN at GLI 0.035, pMN to p3 at 0.33) are found by
    bisection, and the model is read 2% either side of each. The model runs the network at
    lambda_poni published time units per day, so 40 days are 40 * lambda_poni units. The pre-OPC
    relaxation (clock_preopc), which starts to loosen OLIG2 and NKX2.2's exclusion by day 10, is
    pushed out of reach: it is the model's own, later addition (tested below)."""
    t_end = 40.0 * P[L.PARAM_INDEX["lambda_poni"]]
    low = _switch(lambda g: _published_identity(g, t_end), 0.0, 0.2, "p2")
    high = _switch(lambda g: _published_identity(g, t_end), 0.1, 1.0, "pMN")
    assert (low, high) == pytest.approx((0.035, 0.33), abs=0.002)
    params = P.copy()
    params[L.PARAM_INDEX["clock_preopc"]] = 1e6
    sh = _signals(params=params)
    for gli in (0.0, 0.98 * low, 1.02 * low, 0.98 * high, 1.02 * high, 1.0):
        model = _identity(_run(_neural_cell(gli), sh, 40.0, hold=YOUNG))
        assert model == _published_identity(gli, t_end), gli


def test_poni_is_hysteretic():
    """A p3 cell keeps NKX2.2 when GLI falls to pMN levels; it reverts only near zero."""
    p3 = _run(_neural_cell(1.0), _signals(), 40.0, hold=YOUNG)
    assert _identity(p3) == "p3"
    p3[G["GLI"]] = 0.1
    assert _identity(_run(p3, _signals(), 40.0, hold=YOUNG)) == "p3"
    p3[G["GLI"]] = 0.0
    assert _identity(_run(p3, _signals(), 80.0, hold=YOUNG)) == "p2"


def test_olig2_comes_before_nkx22_at_high_signal():
    """Dessaud et al. 2007: at high SHH, cells pass through OLIG2 before NKX2.2."""
    sh = _signals()
    sol = solve_ivp(
        lambda t, y: _rates(y, sh, YOUNG),
        (0, 20),
        _neural_cell(1.0),
        method="LSODA",
        rtol=1e-9,
        atol=1e-12,
        dense_output=True,
    )
    days = np.linspace(0, 20, 2001)
    traj = sol.sol(days)
    t_olig = days[np.argmax(traj[G["OLIG2"]] > 0.5)]
    t_nkx = days[np.argmax(traj[G["NKX2_2"]] > 0.5)]
    assert 0 < t_olig < t_nkx


def _smo_activity(**doses_nm):
    """Smoothened activity (s_hh) of a neural cell under registry compounds at the given doses (nM)."""
    from ipscsim.model.pharmacology import compound_table, pathway_inputs
    from ipscsim.protocols.compounds import registry

    names = list(registry().names)
    c = np.zeros(len(names))
    for name, dose in doses_nm.items():
        c[names.index(name)] = dose
    a, f, z = pathway_inputs(c, compound_table())
    base = dict.fromkeys(ENV, 0.0)
    base.update(occ=0.2, density=5e4, agg=2000.0, mn_hazard=1.0, mn_deprivation=1.0)
    env = cell_env(shared(a, f, z, base, P), _neural_cell(0.0)[None, :], np.ones(1), np.ones(1))
    return float(np.ravel(env["s_hh"])[0])


def test_cyclopamine_competes_with_sag_but_caps_the_response_to_shh():
    """Cyclopamine binds Smoothened's heptahelical site (Chen et al. 2002 Genes Dev), where SAG binds and
    'antagonizes cyclopamine action' (Chen et al. 2002 PNAS); its action is 'independent of Hh-protein
    ligand and of the Hh receptor Ptc' (Frank-Kamenetsky et al. 2002). So against SAG it shifts the dose
    response by 1 + c/K (Gaddum; surmountable), and against SHH protein it scales the maximum by
    1/(1 + c/K) (more SHH cannot overcome it). A ligand trap would pass the first check too; the cap
    is what tells a Smoothened-site inhibitor from one."""
    from ipscsim.protocols.compounds import lookup

    k = lookup("cyclopamine").potency_nm
    cyc = 3000.0
    shift = 1 + cyc / k
    for sag in (30.0, 300.0, 3000.0):
        assert _smo_activity(SAG=sag * shift, cyclopamine=cyc) == pytest.approx(
            _smo_activity(SAG=sag), rel=1e-9
        )
    shh_max = _smo_activity(SHH=1e9)  # nM, far above saturation
    assert _smo_activity(SHH=1e9, cyclopamine=cyc) == pytest.approx(shh_max / shift, rel=1e-6)
    assert _smo_activity(SHH=1e9, cyclopamine=cyc) < 0.5 * _smo_activity(SHH=10.0)  # 200 ng/ml


@pytest.mark.parametrize("free", [1.0, 0.3, 1e-6])
def test_tankyrase_inhibition_blocks_ligand_wnt_but_only_part_of_gsk3_inhibition(free):
    """A tankyrase inhibitor (XAV939) stabilises Axin, which 'completely' blocks ligand-driven WNT
    signalling but only about half of the signalling that arises below the destruction complex (Lau
    et al. 2013: ~50% of APC-mutation-driven signalling), where GSK3 inhibition (CHIR99021) acts.
    Stated as facts, not as the formula: with no inhibitor the two inputs add inside one Hill-2
    function; with the ligand alone the inhibitor's free share scales the activity; a saturating
    inhibitor leaves 1 - tnks_gsk3 of what GSK3 inhibition alone gives, whatever ligand is present;
    and the activity never falls when the ligand, GSK3 inhibition or the free share rises."""
    t = P[L.P_tnks_gsk3]
    basal = P[L.P_wnt_basal]

    def s_w(f, **agonist):
        inh = {"inhibited": {"WNT": 1 - f}} if f < 1 else {}
        d = cell_env(
            _signals(agonist=agonist, **inh), np.zeros((1, len(GENES))), np.ones(1), np.ones(1)
        )
        return float(np.ravel(d["s_w"])[0])

    def sat2(x):
        return x * x / (1 + x * x)

    g = 1.5
    assert s_w(1.0, WNT=2.0, GSK3=g) == pytest.approx(sat2(2.0 + basal + g), rel=1e-12)
    assert s_w(free, WNT=2.0) == pytest.approx(free * sat2(2.0 + basal), rel=1e-9, abs=0)
    if free < 1e-3:  # saturating: the ligand no longer counts, GSK3 inhibition keeps 1 - t
        for lig in (0.0, 2.0, 20.0):
            assert s_w(free, WNT=lig, GSK3=g) == pytest.approx((1 - t) * sat2(g), rel=1e-4)
    grid = [0.0, 0.5, 2.0, 8.0]
    for a in grid:
        on_g = [s_w(free, WNT=a, GSK3=x) for x in grid]
        on_l = [s_w(free, WNT=x, GSK3=a) for x in grid]
        assert np.all(np.diff(on_g) >= 0)
        assert np.all(np.diff(on_l) >= 0)
        assert s_w(free, WNT=a, GSK3=g) <= s_w(1.0, WNT=a, GSK3=g)


def test_smoothened_signalling_adapts_through_ptch1():
    """Dessaud et al. 2007: GLI activity rises, then falls under constant SHH as PTCH1 accumulates."""
    y0 = _neural_cell(0.0)
    sh = _signals(agonist={"SHH": 5.0})
    sol = solve_ivp(
        lambda t, y: _rates(y, sh),
        (0, 12),
        y0,
        method="LSODA",
        rtol=1e-9,
        atol=1e-12,
        dense_output=True,
    )
    gli = sol.sol(np.linspace(0, 12, 1201))[G["GLI"]]
    peak = gli.max()
    assert 0 < np.argmax(gli) < 1200
    assert gli[-1] < 0.9 * peak


def _oct4_after(start, sh, days=20.0):
    y = np.zeros(len(GENES))
    y[G["OCT4"]] = start
    return _run(y, sh, days)[G["OCT4"]]


def test_pluripotency_is_a_bistable_switch():
    """Activin/Nodal + FGF with insulin keep OCT4 high (E8: TGF-beta1, FGF2 and insulin at about 20,
    20 and 30 times their EC50s), and OCT4 activates itself, so one input holds two states: a cell
    that starts above the threshold (measured between 0.05 and 0.1) returns to the pluripotent state
    (0.92), one below it falls to none. The high branch needs support: at the EC50s it is gone
    (hysteresis), and with SMAD2/3 blocked OCT4 collapses (Chambers 2009)."""
    e8 = _signals(agonist={"TGFB": 20.0, "FGF": 20.0, "IGF1R": 30.0})
    assert _oct4_after(0.3, e8) > 0.85
    assert _oct4_after(1.0, e8) == pytest.approx(_oct4_after(0.3, e8), abs=1e-3)  # one high state
    assert _oct4_after(0.05, e8) < 0.01
    assert _oct4_after(1.0, _signals(agonist={"TGFB": 1.0, "FGF": 1.0, "IGF1R": 1.5})) < 0.01
    assert _oct4_after(1.0, _signals(inhibited={"TGFB": 0.99})) < 0.01


def test_high_smad2_3_without_pi3k_makes_mesendoderm_not_pluripotency():
    """McLean et al. 2007: PI3K antagonises Activin/Nodal-driven differentiation, and without it
    hESCs become mesendoderm and definitive endoderm. The E8 signals of the test above, less insulin:
    OCT4 falls and the mesendoderm programme takes over, without any WNT."""
    y = np.zeros(len(GENES))
    y[G["OCT4"]] = 1.0
    end = _run(y, _signals(agonist={"TGFB": 20.0, "FGF": 20.0}), 20.0)
    assert end[G["OCT4"]] < 0.5 < end[G["ME"]]
    assert end[G["ME"]] > max(end[G["NEURAL"]], end[G["NNE"]], end[G["NC"]])


def test_dual_smad_inhibition_makes_neuroectoderm_and_bmp_makes_non_neural_ectoderm():
    """Chambers 2009: SB431542 + Noggin gives PAX6+ neuroectoderm; BMP4 instead gives TFAP2A+/GATA3+
    non-neural (surface) ectoderm (Tchieu et al. 2017)."""
    y = np.zeros(len(GENES))
    y[G["OCT4"]] = 0.2
    dual = _run(y, _signals(inhibited={"TGFB": 0.98, "BMP": 0.98}), 8.0)
    bmp = _run(y, _signals(inhibited={"TGFB": 0.98}, agonist={"BMP": 10.0}), 8.0)
    assert dual[G["NEURAL"]] > 0.5 > dual[G["NNE"]]
    assert bmp[G["NNE"]] > 0.5 > bmp[G["NEURAL"]]


@pytest.mark.parametrize(("k", "tol"), [(12, 0.01), (400, 1e-3)])
def test_the_cells_bmp_gains_average_to_one(k, tol):
    """Each cell's SMAD1/5/8 is the culture's mean activity times its gain exp(b ln(phi) - (b
    sigma)^2 / 2), which averages to 1 over the lognormal sensitivities phi = exp(sigma z): the
    cohorts' mean is a quadrature of that integral (0.9935 at the default 12 cohorts), and the spread
    of the gains is lognormal with log-SD b x sigma."""
    sh = _signals(agonist={"BMP": 0.5})
    z = cohort_nodes(k)[:, 0]
    phi = np.exp(P[L.P_sigma_sensitivity] * z)
    d = cell_env(sh, np.zeros((k, len(GENES))), phi, np.ones(k))
    gain = np.asarray(d["s_b"]) / float(np.ravel(sh["s_bm"])[0])
    assert gain.mean() == pytest.approx(1.0, abs=tol)
    spread = P[L.P_bmp_sensitivity] * P[L.P_sigma_sensitivity]
    np.testing.assert_allclose(np.log(gain), spread * z - spread**2 / 2, atol=1e-12)


def test_wnt_with_low_bmp_makes_neural_crest():
    """Leung et al. 2016 / Tchieu 2017: WNT activation with SMAD2/3 blocked and intermediate BMP
    gives SOX10+ neural crest."""
    y = np.zeros(len(GENES))
    y[G["OCT4"]] = 0.2
    nc = _run(y, _signals(inhibited={"TGFB": 0.98}, agonist={"WNT": 3.0, "BMP": 0.3}), 8.0)
    assert nc[G["NC"]] > max(nc[G["NEURAL"]], nc[G["NNE"]], nc[G["ME"]])


def test_the_pre_neural_border_state_carries_a_wnt_pulse_into_crest():
    """Leung et al. 2016 (abstract): 'a novel pre-neural border state characterized by early
    WNT/beta-catenin signaling targets', and WNT launches crest 'while blocking placodal and surface
    ectoderm fates'; Gomez et al. 2019 (PMC6685424): a 2-day WNT pulse suffices. Two days of WNT with
    the intermediate BMP the cells make set the state in a cell leaving pluripotency while OCT4 is
    still high; four days of BMP afterwards, without WNT, make that cell crest, and a cell that had
    the same BMP but no WNT surface ectoderm. SMAD2/3 holds the state back (Funa et al. 2015), and so
    does blocking BMP (dual SMAD inhibition with CHIR99021 makes caudal neuroepithelium)."""
    y = np.zeros(len(GENES))
    y[G["OCT4"]] = 1.0
    no_nodal = {"TGFB": 0.98}  # ALK4/5/7 blocked: the cells' own Nodal
    pulse = _run(y, _signals(inhibited=no_nodal, agonist={"WNT": 3.0, "BMP": 0.3}), 2.0)
    assert pulse[G["OCT4"]] > 0.2
    assert pulse[G["PNB"]] > 1.0
    assert max(pulse[G["NC"]], pulse[G["NNE"]], pulse[G["NEURAL"]]) < 0.1
    bmp = _signals(inhibited=no_nodal, agonist={"BMP": 1.0})
    pulsed = _run(pulse, bmp, 4.0)
    never = _run(_run(y, _signals(inhibited=no_nodal, agonist={"BMP": 0.3}), 2.0), bmp, 4.0)
    assert pulsed[G["NC"]] > 0.5 > max(pulsed[G["NNE"]], never[G["NC"]])
    assert never[G["NNE"]] > 0.5
    smad = _run(y, _signals(agonist={"WNT": 3.0, "TGFB": 5.0, "BMP": 0.3}), 2.0)
    dual = _run(y, _signals(inhibited={"TGFB": 0.98, "BMP": 0.98}, agonist={"WNT": 3.0}), 2.0)
    assert max(smad[G["PNB"]], dual[G["PNB"]]) < 0.02 * pulse[G["PNB"]]


def test_gli3_is_switched_on_at_neural_induction_unless_ra_is_already_there():
    """Calder et al. 2015: neural induction switches GLI3 on; RA present before it prevents the switch,
    RA given after it does not undo it (the switch keeps itself on)."""
    y = np.zeros(len(GENES))
    y[G["OCT4"]] = 0.3  # cells leaving pluripotency
    dual = {"TGFB": 0.98, "BMP": 0.98}
    plain = _run(y, _signals(inhibited=dual), 5.0)
    early_ra = _run(y, _signals(inhibited=dual, agonist={"RA": 20.0}), 5.0)
    assert plain[G["GLI3"]] > 0.9
    assert early_ra[G["GLI3"]] < 0.05
    late_ra = _run(plain, _signals(inhibited=dual, agonist={"RA": 20.0}), 10.0)
    assert late_ra[G["GLI3"]] > 0.9


def test_the_gli3_switch_is_set_at_neural_induction_for_good():
    """Calder et al. 2015: RA present as the cells become neural keeps GLI3 off, and withdrawing it
    once they are neural (neural age past ``clock_gli3``) does not turn GLI3 on; without RA the same
    cells switch it on within those days."""
    y = np.zeros(len(GENES))
    y[G["OCT4"]] = 0.3
    dual = {"TGFB": 0.98, "BMP": 0.98}
    early_ra = _run(y, _signals(inhibited=dual, agonist={"RA": 20.0}), 6.0)
    assert early_ra[G["CLOCK"]] > 2 * P[L.PARAM_INDEX["clock_gli3"]]
    withdrawn = _run(early_ra, _signals(inhibited=dual), 20.0)
    assert withdrawn[G["GLI3"]] < 0.05
    assert _run(y, _signals(inhibited=dual), 6.0)[G["GLI3"]] > 0.9


def test_without_gli3_repressor_motor_neuron_progenitors_need_no_gli_activator():
    """Litingtung & Chiang 2000 (Shh;Gli3 double mutants) and Calder et al. 2015: without GLI3 the
    class II genes are de-repressed, so OLIG2 (pMN) forms at zero GLI activity, while NKX2.2 (p3)
    still needs GLI activator; with GLI3 the same cell stays p2."""
    with_gli3 = _run(_neural_cell(0.0), _signals(), 40.0, hold=(*YOUNG, "GLI3"))
    cell = _neural_cell(0.0)
    cell[G["GLI3"]] = 0.0
    without = _run(cell, _signals(), 40.0, hold=(*YOUNG, "GLI3"))
    assert _identity(with_gli3) == "p2"
    assert _identity(without) == "pMN"
    assert without[G["NKX2_2"]] < 0.1 * without[G["OLIG2"]]


@pytest.mark.parametrize("gli", [0.25, 0.5, 1.0])
def test_late_progenitors_coexpress_olig2_and_nkx22(gli):
    """Pre-OPCs (Hu et al. 2009 Development 136:1443; Zhou et al. 2001): past the neurogenic phase
    OLIG2+ progenitors turn NKX2.2 on under SHH and keep OLIG2. A pMN cell aged 40 days of neural
    age (``clock_preopc`` 15) co-expresses both at every GLI level of pMN and p3, where the young
    cell (test above) is pMN or p3, one or the other; without GLI activator it makes no NKX2.2."""
    young = _run(_neural_cell(gli), _signals(), 40.0, hold=YOUNG)
    cell = young.copy()
    cell[G["CLOCK"]] = 40.0
    old = _run(cell, _signals(), 40.0, hold=YOUNG)
    assert min(young[G["OLIG2"]], young[G["NKX2_2"]]) < P[L.PARAM_INDEX["gate_threshold"]]
    assert old[G["OLIG2"]] > 0.5
    assert old[G["NKX2_2"]] > 0.5
    cell[G["GLI"]] = 0.0
    assert _run(cell, _signals(), 40.0, hold=YOUNG)[G["NKX2_2"]] < 0.05


@pytest.mark.parametrize("rock", [0.0, 1.0])
def test_one_dissociation_kills_as_the_parameter_table_defines(rock):
    """A replate sets the stress to 1 and it decays at ``stress_recovery``, so the integrated hazard is
    the excess rate at stress 1 over ``stress_recovery``. Without ROCK inhibitor a pluripotent cell then
    survives ``dissociation_survival``, a neural progenitor that to the power ``fragility_np`` and a
    neuron to the power ``fragility_np * neuron_dissociation_factor`` (parameters.csv: neurons die more
    than the progenitors they came from); ROCK inhibition removes ``rock_efficacy`` of each hazard."""
    p = dict(zip(L.PARAM_NAMES, P, strict=True))
    hi, lo = (_signals(inhibited={"ROCK": rock}, stress=s) for s in (1.0, 0.0))

    def excess(name, genes):
        if name.startswith("mu_"):
            return (float(hi[name]) - float(lo[name])) / p["stress_recovery"]
        rates = [cell_env(sh, genes[None, :], np.ones(1), np.ones(1)) for sh in (hi, lo)]
        return (
            float(np.ravel(rates[0][name])[0] - np.ravel(rates[1][name])[0]) / p["stress_recovery"]
        )

    pluripotent = np.zeros(len(GENES))
    pluripotent[G["OCT4"]] = 1.0
    base = np.log(1 / p["dissociation_survival"]) * (1 - p["rock_efficacy"] * rock)
    assert np.exp(-excess("rate.death", pluripotent)) == pytest.approx(np.exp(-base), rel=1e-9)
    np_survival = np.exp(-base * p["fragility_np"])
    assert np.exp(-excess("rate.death", _neural_cell(0.1))) == pytest.approx(np_survival, rel=1e-9)
    neuron = np_survival ** p["neuron_dissociation_factor"]
    for name in ("mu_n", "mu_mn"):
        assert np.exp(-excess(name, None)) == pytest.approx(neuron, rel=1e-9)
    assert neuron < np_survival


def test_olig2_nkx22_progenitors_make_motor_neurons_not_v3():
    """Human OLIG2+/NKX2.2+ progenitors are ventral MN progenitors: lineage tracing shows they make
    spinal MNs (Jang, Gumnit and Wichterle 2024 Nat Neurosci 27:1945). NKX2.2 without OLIG2 makes
    V3 interneurons, and a HOX+ cell's fates sum to one."""
    from ipscsim.model.network import FATES
    from ipscsim.model.reference import fate_table

    sh = _signals()
    cells = np.stack([_neural_cell(0.5) for _ in range(3)])
    cells[:, G["LEVEL"]] = 6.0  # spinal (HOX+)
    cells[:, G["OLIG2"]] = [1.0, 1.0, 0.0]
    cells[:, G["NKX2_2"]] = [0.0, 1.0, 1.0]
    pat, _ = fate_table(cell_env(sh, cells, np.ones(3), np.ones(3)))
    mn = pat[:, FATES.index("MMC")] + pat[:, FATES.index("LMC")]
    v3 = pat[:, FATES.index("V3")]
    assert mn[1] == pytest.approx(mn[0], rel=1e-12)  # NKX2.2 beside OLIG2 diverts no MN
    assert mn[0] > 0.99  # the rest: the HOX gate's tail at level 6 (hill 8 about level_hox 3)
    assert v3[0] == 0.0
    assert v3[1] < 1e-4  # the OLIG2 gate's tail (hill 8 of 1 about 0.3): was all of it, as p3
    assert v3[2] > 0.99
    assert mn[2] == 0.0
    np.testing.assert_allclose(pat.sum(axis=1), 1.0, atol=1e-12)


def test_fgf_caudalises_young_neural_cells_only_without_ra_and_short_of_lumbar():
    """FGF's caudal target (model/network.py, lv_fgf): exogenous FGF moves a young neural cell far
    (Patani et al. 2011's RA-independent MNs are caudal), the cells' own FGF hardly (dual-SMAD cultures
    stay rostral), an old cell not at all (Erceg et al. 2008: late FGF2 leaves rostral cells), RA
    takes its place as far as it has set its own level (RA with FGF2 gives brachial, FGF2 alone
    thoracic cells), and without GDF11 no target passes level_stall (lumbar HOX10 needs GDF11:
    Lippmann et al. 2015)."""
    k = {n: P[L.PARAM_INDEX[n]] for n in ("k_level", "level_fgf", "level_stall", "level_thoracic")}

    def target(agonist, clock=0.0, level=0.0):
        y = np.zeros(len(GENES))
        y[G["NEURAL"]], y[G["CLOCK"]], y[G["LEVEL"]] = 1.0, clock, level
        rate = _rates(y, _signals(agonist=agonist))[G["LEVEL"]]
        return rate, level + rate / k["k_level"]  # the target the cell climbs to, at comp near 1

    own, fgf = target({})[1], target({"FGF": 100.0})[1]
    assert own < 0.25 + 0.05 * k["level_fgf"]  # smax's floor (0.25) and the own FGF's Hill-4 tail
    assert fgf > 0.8 * k["level_fgf"]  # brachial-thoracic
    ra = target({"RA": 100.0})[1]
    both = target({"RA": 100.0, "FGF": 100.0})[1]
    assert ra + 1.0 < both < fgf - 1.0  # RA takes FGF's place as far as it has set its own level
    assert both < k["level_thoracic"] < fgf  # with RA brachial at most, without it thoracic
    old_rate = target({"FGF": 100.0}, clock=10.0, level=own)[0]
    assert old_rate < 1e-3 * target({"FGF": 100.0}, level=own)[0]
    capped = target({"FGF": 100.0, "WNT": 100.0}, level=k["level_stall"] + 0.01)[0]
    assert capped == 0.0  # WNT's hindbrain level plus FGF's would pass it; no NMP clock here
