"""The benchmark's peers run the same model: numbalsoda's C callback and libRoadRunner's parameter sets."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

import ipscsim as ips
from ipscsim.benchmarking import format_table, machine, peers
from ipscsim.benchmarking.problem import parameter_sets, problem
from ipscsim.engines.kernels import rhs, work_size
from ipscsim.model.parameters import param_table


def test_parameter_sets_stay_within_the_profile_ranges_and_are_reproducible():
    prob = problem()
    ps = parameter_sets(prob, 500)
    rows = list(param_table().values())
    assert np.all(ps >= np.array([r.profile_lower for r in rows]))
    assert np.all(ps <= np.array([r.profile_upper for r in rows]))
    # log-normal spread 0.1 around each value (parameters away from their range limits)
    ratio = np.log(ps[:, prob.p > 0] / prob.p[prob.p > 0])
    assert 0.08 < np.median(ratio.std(axis=0)) < 0.12
    # a larger ensemble begins with a smaller one (the benchmark reuses measurements on that)
    np.testing.assert_array_equal(parameter_sets(prob, 1000)[:500], ps)


def test_missing_peer_is_reported_with_how_to_install_it(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda m, *a: None if m == "numbalsoda" else real(m, *a)
    )
    why = peers.availability()["numbalsoda"]
    assert "not installed (numbalsoda)" in why
    assert "gfortran" in why


def test_targets_table_marks_what_is_not_met():
    result = {
        "machine": machine(),
        "quick": True,
        "rows": [
            {"section": "s", "tool": "a", "seconds": 0.002, "x_ipscsim": 1.0, "note": ""},
        ],
        "speedup_vs_scipy_lsoda": 150.0,
        "speedup_vs_numbalsoda": 1.5,
        "speedup_vs_roadrunner": None,
        "x_lower_bound": 1.2,
        "thread_scaling": 1.9,
        "ensemble_speedup_vs_numbalsoda": 3.1,
        "first_sim_s": 0.4,
        "states": 401,
    }
    lines = "\n".join(format_table(result))
    assert "12 cohorts (401 states)" in lines
    assert "| speed-up over scipy LSODA | >= 300 | 150 | NO |" in lines
    assert "| speed-up over numbalsoda (fastest method) | >= 1.6 | 1.5 | NO |" in lines
    assert "| ensemble over numbalsoda, all cores | >= 5 | 3.1 | NO |" in lines
    assert "| import + first simulation, warm cache (s) | <= 0.5 | 0.4 | yes |" in lines
    assert "libRoadRunner (fastest method) | >= 10 | not measured" in lines
    assert "| time / lower bound | <= 2 | 1.2 | yes |" in lines
    assert "| a | 2 ms | 1 |  |" in lines


def test_c_callback_is_the_engines_right_hand_side():
    """The C callback that C/Fortran solvers call (numbalsoda's) evaluates the engine's kernel: bit
    for bit, with its evaluation counter. Needs numba only, so it runs wherever the engine does."""
    from ipscsim.engines import c_callback as cb
    from ipscsim.engines.kernels import prepare_work

    prob = problem()
    r = ips.simulate(prob.name, record=ips.Record(every=5.0))
    s = 3  # a segment with compounds in the medium
    data, _ = cb.pack(prob.p, prob.cp.u[s], prob.comp, prob.nodes)
    y = r.records[2].copy()
    t = float(prob.cp.t[s]) + 0.3
    dy = np.zeros_like(y)
    ptr = ctypes.POINTER(ctypes.c_double)
    cb.rhs_cfunc.ctypes(t, y.ctypes.data_as(ptr), dy.ctypes.data_as(ptr), data.ctypes.data_as(ptr))
    work = np.zeros(work_size(12))
    prepare_work(prob.p, prob.nodes, work)
    ref = np.zeros_like(y)
    rhs(t, y, prob.p, prob.cp.u[s], prob.comp, prob.nodes, work, ref)
    np.testing.assert_array_equal(dy, ref)
    assert data[cb.HEAD - 1] == 1.0  # the evaluation counter


def test_numbalsoda_integrating_the_callback_lands_on_the_engines_state():
    pytest.importorskip(
        "numbalsoda", reason="numbalsoda is not installed (needs gfortran): pip install numbalsoda"
    )
    prob = problem()
    r = ips.simulate(prob.name, record=ips.Record(every=5.0))
    final, nfev = peers.numbalsoda_run(prob, "lsoda")
    np.testing.assert_allclose(final, r.records[-1], rtol=1e-3, atol=1e-6)
    assert nfev > 100


def test_roadrunner_runs_a_parameter_set_as_ipscsim_does():
    pytest.importorskip(
        "roadrunner", reason="libroadrunner is not installed: pip install libroadrunner"
    )
    pytest.importorskip(
        "libsbml", reason="python-libsbml is not installed: pip install python-libsbml"
    )
    # 3 cohorts and CVODE's non-stiff method: the fact under test is that parameter sets reach the
    # model as ipscsim sets them (test_export checks the 12-cohort translation); 2.8 s, not 137 s
    prob = problem(cohorts=3)
    ps = parameter_sets(prob, 2, seed=3)
    doc = ips.export.sbml(prob.name, cohorts=3)
    rr = peers.roadrunner_model(doc, 1e-8, 1e-11, stiff=False, quick=True)
    engine = ips.ODE(cohorts=3, rtol=1e-09, atol=1e-12)
    for p in ps:  # the second run also checks that the first left nothing behind
        ours = ips.simulate(prob.name, engine=engine, params=p).records[-1]
        theirs = peers.roadrunner_run(rr, prob, p)
        np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-8)
