"""Sensitivity analysis against analytic answers, and the optimiser on constructed optima."""

import numpy as np
import pytest

import ipscsim as ips
from ipscsim import ParameterError
from ipscsim.sweep.knobs import apply_knobs
from ipscsim.sweep.optimize import protocol_cost


def ishigami(X, a=7.0, b=0.1):
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


ISHIGAMI = {"names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
# analytic indices for a = 7, b = 0.1 (Ishigami & Homma 1990; Sobol' & Levitan 1999)
S1 = [0.3139, 0.4424, 0.0]
ST = [0.5576, 0.4424, 0.2437]


def test_sobol_indices_of_ishigami_match_the_analytic_values():
    r = ips.sensitivity.sobol(ishigami, ISHIGAMI, n=2**13, seed=1)
    np.testing.assert_allclose(r.indices["S1"], S1, atol=0.03)
    np.testing.assert_allclose(r.indices["ST"], ST, atol=0.03)
    assert (r.indices["S1_conf"] < 0.05).all()


def test_morris_effects_of_a_linear_model_are_its_coefficients_times_the_range():
    """For f = sum a_i x_i every elementary effect is a_i (hi_i - lo_i) and the spread is zero."""

    def linear(X):
        return 2.0 * X[:, 0] + 0.5 * X[:, 1] - 3.0 * X[:, 2]

    problem = {"names": ["a", "b", "c"], "bounds": [[0, 1], [0, 10], [-1, 1]]}
    r = ips.sensitivity.morris(linear, problem, trajectories=20, seed=1).indices
    np.testing.assert_allclose(r["mu"], [2.0, 5.0, -6.0], rtol=1e-12)
    np.testing.assert_allclose(r["mu_star"], [2.0, 5.0, 6.0], rtol=1e-12)
    np.testing.assert_allclose(r["sigma"], 0.0, atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"levels": 1}, "levels (grid levels of each input; even, usually 4): 1 must be"),
        ({"levels": 2.5}, "levels (grid levels of each input; even, usually 4): 2.5 must be"),
        ({"trajectories": 1}, "trajectories: 1 must be a whole number at least 2"),
    ],
)
def test_a_morris_design_without_a_step_or_a_spread_is_refused_by_name(kwargs, words):
    """One level has no step (SALib divided by zero); one trajectory has no spread (sigma NaN)."""
    with pytest.raises(ParameterError) as err:
        ips.sensitivity.morris(lambda X: X[:, :1], {"names": ["a"], "bounds": [[0, 1]]}, **kwargs)
    assert words in str(err.value)


def test_time_resolved_sobol_on_the_model():
    r = ips.sensitivity.sobol(
        "maury2015",
        {"SAG.scale": (0.5, 2.0), "k_neurogenesis": (1.0, 2.0)},
        readouts=["MN"],
        days=[10, 14],
        n=32,
        seed=3,
        progress=False,
    )
    df = r.indices
    assert set(df["day"]) == {10.0, 14.0}
    assert len(df) == 4
    # Half to twice maury2015's SAG keeps the cells in the pMN band (MNX1+ on day 14: 0.963, 0.965
    # and 0.966 at 0.5, 1 and 2 times), so the MN share on days 10 and 14 is decided by how fast
    # progenitors become neurons: measured ST 0.95 against 0.0003 (day 10) and 0.88 against 0.03
    # (day 14). The margin 0.5 is above the estimator's confidence half-width at n = 32 (about 0.35).
    for day in (10, 14):
        st = df[df["day"] == day].set_index("parameter")["ST"]
        assert st["k_neurogenesis"] - st["SAG.scale"] > 0.5, day
    assert len(r.runs) == 32 * 4
    fig = r.plot()
    assert fig.axes[0].get_xlabel().startswith("day")


def test_optimiser_finds_a_constructed_optimum():
    def evaluate(X):
        return [{"mn_fraction": -((x[0] - 2.0) ** 2) - (x[1] - 1.0) ** 2} for x in X]

    r = ips.optimize(
        "maury2015",
        {"SAG.scale": (0.0, 5.0), "RA.scale": (0.0, 3.0)},
        evaluate=evaluate,
        budget=3000,
        seed=0,
    )
    assert r.knobs["SAG.scale"] == pytest.approx(2.0, abs=0.02)
    assert r.knobs["RA.scale"] == pytest.approx(1.0, abs=0.02)
    assert r.protocol.steps_of("SAG")[0].concentration == pytest.approx(1.0, abs=0.01)


def test_optimiser_respects_a_constraint_that_binds():
    def evaluate(X):  # unconstrained optimum at 4, constraint value <= 2.5
        return [
            {"mn_fraction": -((x[0] - 4.0) ** 2), "residual_pluripotent": x[0] / 1000} for x in X
        ]

    r = ips.optimize(
        "maury2015",
        {"SAG.scale": (0.0, 5.0)},
        evaluate=evaluate,
        budget=1500,
        seed=1,
        constraints={"residual_pluripotent": ("<=", 0.0025)},
    )
    assert r.feasible
    assert r.knobs["SAG.scale"] == pytest.approx(2.5, abs=0.05)


def test_an_infeasible_search_warns_and_returns_the_point_nearest_the_constraint():
    """residual = x/1000 >= 0.01 needs x >= 10, beyond the knob's 0-5: the answer is the evaluated
    point with the least violation, the largest x (not the best objective, at x = 1)."""

    def evaluate(X):
        return [
            {"mn_fraction": -((x[0] - 1.0) ** 2), "residual_pluripotent": x[0] / 1000} for x in X
        ]

    with pytest.warns(
        UserWarning,
        match=r"none of \d+ evaluations met the constraints.*"
        r"residual_pluripotent >= 0.01 \(it gave 0.00\d+\)",
    ):
        r = ips.optimize(
            "maury2015",
            {"SAG.scale": (0.0, 5.0)},
            evaluate=evaluate,
            budget=300,
            seed=1,
            constraints={"residual_pluripotent": (">=", 0.01)},
            progress=False,
        )
    assert not r.feasible
    assert r.knobs["SAG.scale"] == r.trace["SAG.scale"].max()
    assert r.knobs["SAG.scale"] > 2.0


def test_optimiser_runs_the_model_and_returns_a_real_protocol(tmp_path):
    r = ips.optimize(
        "maury2015",
        {"DAPT.start": (6.0, 12.0)},
        objective="MN@12",
        budget=120,
        seed=4,
        constraints={"residual_pluripotent": ("<=", 1e-3)},
    )
    assert r.feasible
    assert 6.0 <= r.knobs["DAPT.start"] <= 12.0
    assert len(r.trace) == r.n_evaluations
    # the optimum is at least as good as either end of the range and the preset's own start (day 9):
    # Notch inhibition should start once OLIG2 progenitors are there, not before or long after
    for start in (6.0, 9.0, 12.0):
        edge = apply_knobs(ips.protocols.get("maury2015"), {"DAPT.start": start})
        assert r.value >= ips.simulate(edge).fractions["MN"].loc[12.0] - 1e-9
    path = tmp_path / "best.toml"
    r.protocol.to_toml(path)
    assert ips.Protocol.from_toml(path) == r.protocol
    assert r.value == pytest.approx(ips.simulate(r.protocol).fractions["MN"].loc[12.0], rel=1e-6)


def test_compound_cost_counts_every_feed():
    p = ips.protocols.get("maury2015")
    # SAG 0.5 uM x 2 ml = 1 nmol = 0.49 ug per feed; fed on days 2, 4 and 7 within [2, 9)
    assert protocol_cost(p, {"SAG": 1000.0}) == pytest.approx(
        3 * 1e-9 * 490.07 * 1e3 * 1000, rel=1e-9
    )
    with pytest.raises(ParameterError, match="needs prices"):
        ips.optimize(p, {"SAG.scale": (0.5, 2)}, constraints={"compound_cost": ("<=", 1.0)})
