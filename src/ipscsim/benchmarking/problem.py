"""The benchmark problem: one protocol as arrays, its parameters, and ensembles of parameter sets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PROTOCOL", "Problem", "parameter_sets", "problem"]

#: The protocol every comparison integrates.
PROTOCOL = "maury2015"


@dataclass(frozen=True)
class Problem:
    """One protocol compiled to arrays with the default parameters (the ODE engine's inputs).

    Attributes:
        name: Preset name.
        cp: Compiled protocol (segments, inputs, operations).
        nodes: Cohort table.
        p: Parameter array.
        comp: Compound table.
        y0: Initial state.
        rtol: Relative tolerance every integrator gets.
        atol: Absolute tolerance every integrator gets.
    """

    name: str
    cp: object
    nodes: np.ndarray
    p: np.ndarray
    comp: np.ndarray
    y0: np.ndarray
    rtol: float = 1e-6
    atol: float = 1e-9

    @property
    def days(self) -> float:
        """Simulated days."""
        return float(self.cp.t[-1])


def problem(name: str = PROTOCOL, cohorts: int = 12) -> Problem:
    """The benchmark problem for a preset."""
    from .. import protocols
    from ..model.cohorts import cohort_nodes, initial_state
    from ..model.inputs import compile_protocol
    from ..model.parameters import param_table
    from ..model.pharmacology import compound_table
    from ..protocols.delivery import delivery_groups

    prot = protocols.get(name)
    cp, nodes = compile_protocol(prot), cohort_nodes(cohorts)
    p = np.array([row.value for row in param_table().values()])
    y0 = initial_state(nodes, cp.suspension, delivery_groups(prot))
    return Problem(name, cp, nodes, p, compound_table(), y0)


def parameter_sets(prob: Problem, n: int, seed: int = 0, spread: float = 0.1) -> np.ndarray:
    """``n`` parameter sets around the defaults: every parameter times ``exp(spread * z)``.

    The design of an uncertainty-propagation ensemble (each parameter log-normal around its value),
    kept within each parameter's profile range so that every set is valid.
    """
    from ..model.parameters import param_table

    rows = list(param_table().values())
    lo = np.array([r.profile_lower for r in rows])
    hi = np.array([r.profile_upper for r in rows])
    rng = np.random.default_rng(seed)
    return np.clip(prob.p[None, :] * np.exp(spread * rng.standard_normal((n, prob.p.size))), lo, hi)
