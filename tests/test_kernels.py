"""The compiled kernels (generated from model/network.py) against the numpy interpreter of the same
equations, and the generated file against its source."""

import numpy as np
import pytest

from helpers import run_arrays
from ipscsim.engines import kernels
from ipscsim.engines.network_cohorts import LANES, cell_cohorts
from ipscsim.model import layout as L
from ipscsim.model.parameters import param_table
from ipscsim.model.reference import rhs as rhs_reference


def _random_params(rng):
    table = param_table()
    lo = np.array([t.lower for t in table.values()])
    hi = np.array([t.upper for t in table.values()])
    return lo + (hi - lo) * rng.random(lo.size)


def _random_case(trial, cp, nodes, p, y0, work, rng):
    """Parameters (the defaults first, then random ones), a perturbed state and a time in a segment."""
    params = p if trial == 0 else _random_params(rng)
    kernels.prepare_work(params, nodes, work)
    y = y0 + rng.uniform(0.0, 1.2, y0.size)
    s = rng.integers(cp.u.shape[0])
    return params, y, s, rng.uniform(cp.t[s], cp.t[s + 1])


@pytest.mark.parametrize("name", ["maury2015", "du2015", "hester2011", "chambers2009", "li2008"])
def test_kernel_matches_reference_on_random_states(name, rng):
    cp, nodes, p, comp, y0 = run_arrays(name, n_cohorts=7)
    work = kernels.make_work(nodes.shape[0])
    for trial in range(25):
        params, y, s, t = _random_case(trial, cp, nodes, p, y0, work, rng)
        out = np.empty_like(y)
        kernels.rhs(t, y, params, cp.u[s], comp, nodes, work, out)
        ref = rhs_reference(t, y, params, cp.u[s], comp, nodes)
        np.testing.assert_allclose(out, ref, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("n_cohorts", [1, 5, 6, 8, 12, 17])
def test_both_forms_of_the_kernel_match_the_reference_at_every_cohort_count(n_cohorts, rng):
    """Below BLOCK_MIN_COHORTS the kernel runs cohort by cohort, from it on in blocks of eight (the
    last block padded): both forms, and every way of filling the last block, give the reference's
    derivatives; the blocks also match the cohort-by-cohort form, compiled from the same equations."""
    cp, nodes, p, comp, y0 = run_arrays("maury2015", n_cohorts=n_cohorts)
    work = kernels.make_work(n_cohorts)
    for trial in range(6):
        params, y, s, t = _random_case(trial, cp, nodes, p, y0, work, rng)
        out = np.full_like(y, np.nan)
        kernels.rhs(t, y, params, cp.u[s], comp, nodes, work, out)
        ref = rhs_reference(t, y, params, cp.u[s], comp, nodes)
        np.testing.assert_allclose(out, ref, rtol=1e-11, atol=1e-13)
        each = np.full_like(y, np.nan)
        kernels.rhs_each(t, y, params, cp.u[s], comp, n_cohorts, work, each)
        np.testing.assert_allclose(out, each, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(
    "name", ["sat", "hill", "hill2", "hill4", "hill8", "rep2", "rep4", "rep8", "smax", "gate"]
)
def test_compiled_functions_match_the_languages_numpy_definitions(name, rng):
    """Each function of the equation language, compiled, against its numpy definition (model/expr)."""
    from ipscsim.engines import mathfns
    from ipscsim.model.expr import FUNCTIONS

    n, ref = FUNCTIONS[name]
    fn = getattr(mathfns, name)
    for _ in range(200):
        x = rng.uniform(-0.1, 3.0)
        args = (x, rng.uniform(0.1, 2.0), rng.uniform(0.1, 0.8))[:n]
        if name not in ("gate", "smax", "sat"):
            args = (abs(x), *args[1:])
        assert fn(*args) == pytest.approx(float(ref(*args)), rel=1e-12, abs=1e-15)


def test_layout_constants_match_parameter_names():
    """The kernels index parameters by the rows of data/parameters.csv, read here with the standard
    library, independently of the package's loader."""
    import csv
    from importlib.resources import files

    text = files("ipscsim.model").joinpath("data/parameters.csv").read_text(encoding="utf-8")
    names = [row["name"] for row in csv.DictReader(text.splitlines())]
    assert names == list(L.PARAM_NAMES)
    assert [getattr(L, f"P_{name}") for name in names] == list(range(len(names)))
    assert kernels.EXPECTED_LAYOUT_HASH == L.LAYOUT_HASH


@pytest.mark.parametrize("n_cohorts", [5, 12])
def test_zero_state_is_a_fixed_point_of_the_counts(n_cohorts):
    """With no cells there is nothing to divide, die or differentiate (both forms of the kernel)."""
    cp, nodes, p, comp, y0 = run_arrays("maury2015", n_cohorts=n_cohorts)
    y = np.zeros_like(y0)
    out = np.empty_like(y)
    work = kernels.make_work(n_cohorts)
    kernels.prepare_work(p, nodes, work)
    kernels.rhs(3.0, y, p, cp.u[2], comp, nodes, work, out)
    k = nodes.shape[0]
    counts = out[: k * L.N_COHORT].reshape(k, L.N_COHORT)[:, L.N_GENES :]
    assert np.all(counts == 0.0)
    glob = out[k * L.N_COHORT :]
    assert glob[L.X_CUM_DIV] == 0.0
    assert glob[L.X_CUM_DEATH] == 0.0


def test_generated_kernels_are_current():
    """engines/network.py is what the codegen writes from model/network.py today."""
    from ipscsim.model import codegen

    assert codegen.target_path().read_text() == codegen.generate(), (
        "regenerate with: python -m ipscsim.model.codegen"
    )


def test_equations_check_and_a_broken_equation_is_named():
    """The model's equations pass their checks; an unknown name or a missing rate is named."""
    import dataclasses

    from ipscsim.model.expr import parse_block
    from ipscsim.model.network import network
    from ipscsim.model.network_check import check_network

    net = check_network()
    bad = dataclasses.replace(net, emit=tuple(parse_block("emit.nodal = OCT4 * no_such_name")))
    with pytest.raises(ValueError, match=r"EMIT line 1: unknown name 'no_such_name'"):
        check_network(bad)
    cell = tuple(e for e in network().cell if e.target != "d.GLI")
    with pytest.raises(ValueError, match=r"CELL: rates d\.X must be given once"):
        check_network(dataclasses.replace(net, cell=cell))


def test_needed_keeps_what_a_name_reads_through_other_equations_in_order():
    """``needed`` (codegen's MEDIUM inlining, the survival assay's SHARED slice): the equations that
    define the names or what those read, transitively, in their order; nothing else."""
    from ipscsim.model.expr import needed, parse_block
    from ipscsim.model.network import network

    eqs = parse_block("a = p\nb = a * 2\nc = q\nd = b + c\ne = a")
    assert [e.target for e in needed(eqs, {"d"})] == ["a", "b", "c", "d"]
    assert [e.target for e in needed(eqs, {"e", "zzz"})] == ["a", "e"]
    net = network()
    assert [e.target for e in needed(net.medium, {"s_f", "erk"})] == ["erk"]
    assert [e.target for e in needed(net.medium, {"wnt_on"})] == ["wnt_lig_m", "wnt_on"]
    assert [e.target for e in needed(net.medium, {"bmp_wnt_m", "wnt_on"})] == [
        "wnt_lig_m",
        "erk",
        "wnt_on",
        "bmp_wnt_m",
    ]


def _cell_block(ys, os, th, ph, a, f, z, env, sh, p, ip, dp, rl):
    cell_cohorts(LANES, ys, 0, os, 0, th, ph, a, f, z, env, sh, p, ip, dp, rl)


def test_the_cohort_form_compiles_to_vector_instructions():
    """What the blocks are for: called as ``kernels.rhs`` calls it (the lane count the module constant,
    a compile-time 8), the generated cohort form of a cell's equations compiles to packed
    double-precision arithmetic (any register width), not to one lane at a time. Compiled afresh,
    since numba shows no machine code for cached functions."""
    import re

    from ipscsim.engines._jit import jit
    from ipscsim.engines.network import N_RATES, N_SHARED
    from ipscsim.model.network import ENV

    probe = jit(_cell_block, noalias=True, cache=False)
    S = LANES
    zeros = np.zeros
    probe(
        zeros(L.N_COHORT * S), zeros(L.N_COHORT * S), zeros(S), zeros(S), zeros(L.N_PATHWAYS),
        zeros(L.N_PATHWAYS), zeros(L.N_PATHWAYS), zeros(len(ENV)), zeros(N_SHARED),
        zeros(L.N_PARAMS), zeros(L.N_PARAMS), zeros(64), zeros(N_RATES * S),
    )  # fmt: skip
    asm = probe.inspect_asm(probe.signatures[0])
    ops = r"\tv?(?:add|sub|mul|div|fmadd\w*|fmsub\w*|fnmadd\w*|max|min)"
    packed = len(re.findall(ops + r"pd\s", asm))
    scalar = len(re.findall(ops + r"sd\s", asm))
    assert packed > 10 * scalar, (packed, scalar)
