"""Why an explicit integrator: measure the model's stiffness on the preset protocols.

For each preset this prints, at the default tolerances:
* the spectral radius of the Jacobian (finite differences of the numpy reference) along the trajectory;
* the largest step scipy's RK45 took times that radius (the two maxima may come from different days, so
  this is an upper bound of the stability-relevant product; DOPRI5 is stable up to ~3.3 on the negative
  real axis);
* right-hand-side evaluations of ipscsim's DOPRI5 and of scipy's RK45, Radau and BDF (plus Jacobians).
The decisive comparison is the evaluation count: if an implicit method needs as many evaluations as the
explicit one before counting its Jacobians, stiffness is not what limits the steps. Usage:
``python benchmarks/stiffness.py``.
"""

import numpy as np
from scipy.integrate import solve_ivp

import ipscsim as ips
from ipscsim.engines import ode
from ipscsim.engines.ode import apply_operation
from ipscsim.model.cohorts import cohort_nodes, initial_state
from ipscsim.model.inputs import compile_protocol
from ipscsim.model.layout import n_state
from ipscsim.model.parameters import default_params
from ipscsim.model.pharmacology import compound_table
from ipscsim.model.reference import rhs

RTOL, ATOL = 1e-6, 1e-9


def jacobian_radius(t, y, p, u, comp, nodes):
    f0 = rhs(t, y, p, u, comp, nodes)
    n = y.size
    jac = np.empty((n, n))
    for i in range(n):
        dy = 1e-7 * max(1.0, abs(y[i]))
        yp = y.copy()
        yp[i] += dy
        jac[:, i] = (rhs(t, yp, p, u, comp, nodes) - f0) / dy
    return float(np.max(np.abs(np.linalg.eigvals(jac))))


def measure(name, n_cohorts=12):
    cp = compile_protocol(ips.protocols.get(name))
    nodes = cohort_nodes(n_cohorts)
    p, comp = default_params(), compound_table()
    y0 = initial_state(nodes, cp.suspension)
    days = np.arange(0, cp.t[-1] + 1e-9, 0.5)
    rec, stats, _ = ode.run(
        y0, p, cp.t, cp.u, cp.op, cp.op_count, comp, nodes, days, RTOL, ATOL, 10**6
    )
    seg = np.searchsorted(cp.t, days, side="right") - 1
    seg = np.clip(seg, 0, len(cp.t) - 2)
    rho = max(jacobian_radius(d, rec[i], p, cp.u[seg[i]], comp, nodes) for i, d in enumerate(days))
    counts = {}
    for method in ("RK45", "Radau", "BDF"):
        y = y0.copy()
        nfev = njev = 0
        hmax = 0.0
        for s in range(len(cp.t) - 1):
            apply_operation(y, cp.op[s], cp.op_count[s], n_cohorts)
            sol = solve_ivp(
                rhs,
                (cp.t[s], cp.t[s + 1]),
                y,
                method=method,
                rtol=RTOL,
                atol=ATOL,
                args=(p, cp.u[s], comp, nodes),
            )
            nfev += sol.nfev
            njev += sol.njev
            if sol.t.size > 1:
                hmax = max(hmax, float(np.max(np.diff(sol.t))))
            y = sol.y[:, -1].copy()
        counts[method] = (nfev, njev, hmax)
    return stats, rho, counts


if __name__ == "__main__":
    print(
        f"{'protocol':<14}{'rho(J) 1/day':>14}{'RK45 h_max*rho':>16}  DOPRI5 nfev | RK45 nfev | "
        "Radau nfev+njev*n | BDF nfev+njev*n"
    )
    for name in ("maury2015", "du2015", "hester2011", "li2008"):
        stats, rho, c = measure(name)
        n = n_state(12)
        print(
            f"{name:<14}{rho:14.1f}{c['RK45'][2] * rho:16.2f}  {stats[0]:11d} | {c['RK45'][0]:9d} | "
            f"{c['Radau'][0]} + {c['Radau'][1]}*{n} | {c['BDF'][0]} + {c['BDF'][1]}*{n}"
        )
