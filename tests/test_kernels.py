"""The compiled kernel against the plain-numpy reference (the same equations written twice)."""

import numpy as np
import pytest

from helpers import run_arrays
from ipscsim.engines import kernels
from ipscsim.model import layout as L
from ipscsim.model.gates import gate
from ipscsim.model.parameters import param_table
from ipscsim.model.reference import rhs as rhs_reference


def _random_params(rng):
    table = param_table()
    lo = np.array([t.lower for t in table.values()])
    hi = np.array([t.upper for t in table.values()])
    return lo + (hi - lo) * rng.random(lo.size)


@pytest.mark.parametrize("name", ["maury2015", "du2015", "hester2011", "chambers2009", "li2008"])
def test_kernel_matches_reference_on_random_states(name, rng):
    cp, nodes, p, comp, y0 = run_arrays(name, n_cohorts=7)
    work = kernels.make_work(nodes.shape[0])
    for trial in range(25):
        params = p if trial == 0 else _random_params(rng)
        kernels.prepare_work(params, nodes, work)
        y = y0 + rng.uniform(0.0, 1.2, y0.size)
        s = rng.integers(cp.u.shape[0])
        t = rng.uniform(cp.t[s], cp.t[s + 1])
        out = np.empty_like(y)
        kernels.rhs(t, y, params, cp.u[s], comp, nodes, work, out)
        ref = rhs_reference(t, y, params, cp.u[s], comp, nodes)
        np.testing.assert_allclose(out, ref, rtol=1e-11, atol=1e-13)


def test_kernel_gate_matches_numpy_gate(rng):
    for _ in range(200):
        x, th, sd = rng.uniform(-0.1, 2), rng.uniform(0.1, 0.6), rng.uniform(0.1, 0.8)
        assert kernels.gate(x, th, sd) == pytest.approx(
            float(gate(x, th, sd)), rel=1e-12, abs=1e-15
        )


def test_layout_constants_match_parameter_names():
    for i, name in enumerate(L.PARAM_NAMES):
        assert getattr(L, f"P_{name}") == i
    assert list(param_table()) == list(L.PARAM_NAMES)
    assert kernels.EXPECTED_LAYOUT_HASH == L.LAYOUT_HASH


def test_zero_state_is_a_fixed_point_of_the_counts(rng):
    """With no cells there is nothing to divide, die or differentiate."""
    cp, nodes, p, comp, y0 = run_arrays("maury2015", n_cohorts=5)
    y = np.zeros_like(y0)
    out = np.empty_like(y)
    work = kernels.make_work(5)
    kernels.prepare_work(p, nodes, work)
    kernels.rhs(3.0, y, p, cp.u[2], comp, nodes, work, out)
    k = nodes.shape[0]
    prog = out[[i * L.N_GENES + L.G_PROG for i in range(k)]]
    assert np.all(prog == 0.0)
    assert np.all(out[k * L.N_GENES + np.array(L.NEURON_GLOBALS)] == 0.0)
