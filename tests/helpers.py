"""Helpers shared by the numerical tests: a run's arrays, and scipy integration of the reference."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

import ipscsim as ips
from ipscsim.model.cohorts import cohort_nodes, initial_state
from ipscsim.model.inputs import compile_protocol
from ipscsim.model.parameters import default_params
from ipscsim.model.pharmacology import compound_table
from ipscsim.model.reference import rhs as rhs_reference


def run_arrays(name: str, n_cohorts: int = 12, params=None):
    protocol = ips.protocols.get(name) if isinstance(name, str) else name
    cp = compile_protocol(protocol)
    nodes = cohort_nodes(n_cohorts)
    p = default_params() if params is None else params
    return cp, nodes, p, compound_table(), initial_state(nodes, cp.suspension)


def scipy_trajectory(cp, nodes, p, comp, y0, days, method="Radau", rtol=1e-10, atol=1e-12):
    """Integrate the numpy reference segment by segment with scipy, recording at ``days``."""
    from ipscsim.engines.ode import apply_operation

    y = y0.copy()
    out = np.full((len(days), y.size), np.nan)
    for i, d in enumerate(days):
        if d <= cp.t[0]:
            out[i] = y
    for s in range(len(cp.t) - 1):
        apply_operation(y, cp.op[s], cp.op_count[s], nodes.shape[0])
        t0, t1 = cp.t[s], cp.t[s + 1]
        sel = np.nonzero((days > t0) & (days <= t1))[0]
        sol = solve_ivp(
            rhs_reference,
            (t0, t1),
            y,
            method=method,
            rtol=rtol,
            atol=atol,
            dense_output=True,
            args=(p, cp.u[s], comp, nodes),
        )
        assert sol.success, sol.message
        for i in sel:
            out[i] = sol.sol(days[i])
        y = sol.y[:, -1].copy()
    return out
