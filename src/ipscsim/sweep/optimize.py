"""Protocol optimisation: find the schedule that maximises a readout under constraints.

:func:`optimize` searches the knobs of a protocol (and, if asked, model parameters) with scipy's
differential evolution. Every generation's whole population is evaluated in one call to the batch engine
(``vectorized=True``), so a search of a few thousand simulations takes seconds to minutes.

Constraints are ``{name: (relation, bound)}`` with relation ``"<="`` or ``">="``, on any readout
(``"residual_pluripotent"``, ``"MN@14"``, ...) or on a property of the protocol:

* ``"media_changes"``: the number of media changes;
* ``"compound_cost"``: the cost of the compounds fed over the protocol, given ``prices`` in currency per
  mg of each compound (see :func:`protocol_cost`).

An infeasible candidate is penalised by how far it violates its constraints, so the search moves towards
the feasible region; the result says whether the best candidate satisfies every constraint.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from ..errors import ParameterError, ProtocolError, check_int, is_real, warn
from ..trackers import ProgressLog
from ..units import to_nanomolar

__all__ = ["OptimizationResult", "optimize", "protocol_cost"]

_PROTOCOL_PROPERTIES = ("media_changes", "compound_cost")


def protocol_cost(protocol, prices: Mapping[str, float]) -> float:
    """Cost of the compounds a protocol feeds, in the currency of ``prices``.

    Each media change during a step feeds ``concentration x medium_volume`` of the compound; ``prices``
    maps a compound (any alias) to its price per mg. Compounds without a price cost nothing.
    """
    from ..protocols.compounds import registry

    reg = registry()
    price = {reg.get(k).name: float(v) for k, v in prices.items()}
    changes = protocol.media_change_days()
    total = 0.0
    for s in protocol.steps:
        if s.compound not in price:
            continue
        c = reg.get(s.compound)
        feeds = sum(1 for d in changes if s.start <= d < s.end)
        nmol = to_nanomolar(s.concentration, s.unit, c.molar_mass) * protocol.medium_volume * 1e-3
        mg = nmol * 1e-9 * c.molar_mass * 1e3
        total += feeds * mg * price[s.compound]
    return total


@dataclass
class OptimizationResult:
    """The outcome of :func:`optimize`.

    Attributes:
        protocol: The best Protocol found (a real protocol: save it with ``to_toml``).
        knobs: The best knob (and parameter) values.
        value: The objective at the best point.
        readouts: The readouts of the best run.
        feasible: Whether the best point meets every constraint (it is the best feasible evaluation
            whenever one was found).
        trace: Every evaluation (generation, inputs, objective, penalty, readouts).
        n_evaluations: Simulations run.
        message: scipy's termination message.
    """

    protocol: Any
    knobs: dict[str, float]
    value: float
    readouts: dict[str, float]
    feasible: bool
    trace: Any
    n_evaluations: int
    message: str


def optimize(
    protocol: Any,
    knobs: Mapping[str, tuple[float, float]],
    objective: str | Callable[[Mapping[str, float]], float] = "mn_fraction",
    constraints: Mapping[str, tuple[str, float]] | None = None,
    budget: int = 2000,
    maximize: bool = True,
    seed: int | None = None,
    prices: Mapping[str, float] | None = None,
    popsize: int = 15,
    n_jobs: int | None = None,
    evaluate: Callable[[np.ndarray], list[dict[str, float]]] | None = None,
    progress: bool = True,
    **sweep_kwargs: Any,
) -> OptimizationResult:
    """Find the knob values that maximise (or minimise) an objective under constraints.

    Args:
        protocol: The base protocol (Protocol, preset name or file).
        knobs: Names (``"DAPT.start"``, ``"SAG.scale"``, or model parameters) to ``(low, high)``.
        objective: A readout name, or a function of a run's readouts (a dict) returning a number.
        constraints: ``{name: ("<=" or ">=", bound)}`` on readouts, ``media_changes`` or
            ``compound_cost``.
        budget: Maximum number of simulations.
        maximize: Maximise (default) or minimise the objective.
        seed: Seed of the search.
        prices: Price per mg of each compound, for ``compound_cost``.
        popsize: Population size multiplier of differential evolution (population ``popsize * d``).
        n_jobs: Threads of the batch engine.
        evaluate: Replace the simulator by a function of the ``(n, d)`` candidates returning one dict
            of readouts per candidate (for tests and custom models).
        progress: Show a progress bar over the evaluations (tqdm).
        **sweep_kwargs: Passed to the Sweep that evaluates each generation (``params``, ``days``, ...).

    Returns:
        An :class:`OptimizationResult`.
    """
    import pandas as pd

    from .search import population_search

    if not isinstance(maximize, (bool, np.bool_)):
        raise ParameterError(f"maximize: {maximize!r} must be True or False")
    budget = check_int("budget", budget, 1, 10_000_000)
    popsize = check_int("popsize", popsize, 1, 10_000)
    seed = None if seed is None else check_int("seed", seed, 0, 2**32 - 1)
    problem = _problem(protocol, knobs, objective, constraints, maximize, prices)
    if evaluate is None:
        _check_sweep(problem, sweep_kwargs)
        simulate = partial(_simulate, problem, seed=seed, n_jobs=n_jobs, sweep_kwargs=sweep_kwargs)
    else:
        simulate = partial(_call_evaluate, evaluate)
    trace = ProgressLog(budget, "optimize", enabled=progress)
    cost = partial(_cost, problem=problem, simulate=simulate, trace=trace)
    try:
        res = population_search(cost, problem.bounds, budget, seed, popsize, tol=1e-8)
    finally:
        trace.close()
    return _result(problem, pd.DataFrame(trace), str(res.message))


@dataclass(frozen=True)
class _Problem:
    """What :func:`optimize` searches, checked and resolved.

    Attributes:
        base: The base Protocol.
        names: Knob (and parameter) names, in the order of the search's dimensions.
        bounds: ``(low, high)`` of each knob.
        objective: A readout name or a function of a run's readouts.
        constraints: ``{name: (relation, bound)}``.
        readouts: Readouts each simulation reports.
        maximize: Whether the objective is maximised.
        prices: Price per mg of each compound, or ``None``.
    """

    base: Any
    names: list[str]
    bounds: list[tuple[float, float]]
    objective: str | Callable[[Mapping[str, float]], float]
    constraints: dict[str, tuple[str, float]]
    readouts: list[str]
    maximize: bool
    prices: Mapping[str, float] | None


def _problem(
    protocol: Any,
    knobs: Mapping[str, tuple[float, float]],
    objective: str | Callable[[Mapping[str, float]], float],
    constraints: Mapping[str, tuple[str, float]] | None,
    maximize: bool,
    prices: Mapping[str, float] | None,
) -> _Problem:
    """Check and resolve the arguments of :func:`optimize` into a :class:`_Problem`.

    Raises:
        ParameterError: A knob's bounds or a constraint is malformed.
    """
    from ..protocols.presets import as_protocol

    base = as_protocol(protocol)
    if not (isinstance(objective, str) or callable(objective)):
        raise ParameterError(
            f"objective: {objective!r} must be a readout name (e.g. 'mn_fraction') or a function "
            "of a run's readouts"
        )
    names, bounds = _check_knobs(knobs)
    checked = _check_constraints(constraints, prices)
    readouts = sorted(
        {
            *(c for c in checked if c not in _PROTOCOL_PROPERTIES),
            *([objective] if isinstance(objective, str) else []),
            "mn_fraction",
        }
    )
    return _Problem(base, names, bounds, objective, checked, readouts, maximize, prices)


def _check_knobs(
    knobs: Mapping[str, tuple[float, float]],
) -> tuple[list[str], list[tuple[float, float]]]:
    """Knob names and their ``(low, high)`` bounds as floats.

    Raises:
        ParameterError: No knob, or bounds that are not ``(low, high)`` with ``low < high``.
    """
    if not isinstance(knobs, Mapping):
        raise ParameterError(
            f"knobs: {knobs!r} must map knob names to (low, high) bounds, e.g. "
            "{'SAG.scale': (0.3, 3.0)}"
        )
    if not knobs:
        raise ParameterError("knobs: give at least one knob with (low, high) bounds")
    names = list(knobs)
    bounds = []
    for name in names:
        b = knobs[name]
        if not (
            isinstance(b, (list, tuple))
            and len(b) == 2
            and all(is_real(v) and math.isfinite(float(v)) for v in b)
            and float(b[0]) < float(b[1])
        ):
            raise ParameterError(f"knobs {name!r}: {b!r} must be (low, high) with low < high")
        bounds.append((float(b[0]), float(b[1])))
    return names, bounds


def _check_constraints(
    constraints: Mapping[str, tuple[str, float]] | None,
    prices: Mapping[str, float] | None,
) -> dict[str, tuple[str, float]]:
    """The constraints as a dict, their relations and needs checked.

    Raises:
        ParameterError: A relation other than ``"<="``/``">="``, or ``compound_cost`` without prices.
    """
    if constraints is not None and not isinstance(constraints, Mapping):
        raise ParameterError(
            f"constraints: {constraints!r} must map readouts to (relation, bound), e.g. "
            "{'mn_fraction': ('>=', 0.5)}"
        )
    constraints = dict(constraints or {})
    for name, c in constraints.items():
        if not (
            isinstance(c, (list, tuple))
            and len(c) == 2
            and isinstance(c[0], str)
            and c[0] in ("<=", ">=")
            and is_real(c[1])
            and math.isfinite(float(c[1]))
        ):
            raise ParameterError(
                f"constraints {name!r}: {c!r} must be (relation, bound) with relation '<=' or '>=' "
                "and a finite bound"
            )
        if name == "compound_cost" and not prices:
            raise ParameterError(
                "constraints 'compound_cost' needs prices={compound: price per mg}"
            )
    return constraints


def _sweep(problem: _Problem, sweep_kwargs: Mapping[str, Any], **kwargs: Any) -> Any:
    """A Sweep of the problem's knobs and readouts (``kwargs`` give the design and seed)."""
    from .sweep import Sweep

    return Sweep(
        problem.base,
        {n: b for n, b in zip(problem.names, problem.bounds, strict=True)},
        readouts=problem.readouts,
        **kwargs,
        **sweep_kwargs,
    )


def _check_sweep(problem: _Problem, sweep_kwargs: Mapping[str, Any]) -> None:
    """Validate the space and readouts before the search starts (by building a one-run Sweep)."""
    _sweep(problem, sweep_kwargs, design="random", n=1, seed=0)


def _simulate(
    problem: _Problem,
    X: np.ndarray,
    seed: int | None,
    n_jobs: int | None,
    sweep_kwargs: Mapping[str, Any],
) -> list[dict[str, float]]:
    """Simulate the candidates ``X`` in one batch; a failed run's readouts are all NaN.

    Args:
        problem: The problem.
        X: Candidates ``(n, d)``.
        seed: Seed of the sweep (0 when ``None``).
        n_jobs: Threads of the batch engine.
        sweep_kwargs: Further arguments of the Sweep.

    Returns:
        One dict of readouts per candidate.
    """
    sweep = _sweep(problem, sweep_kwargs, design=X, seed=seed if seed is not None else 0)
    table = sweep.run(n_jobs=n_jobs, progress=False).to_dataframe()
    readouts = problem.readouts
    rows = []
    for _, r in table.iterrows():
        rows.append(
            {k: float(r[k]) for k in readouts}
            if r["status"] == "ok"
            else {k: math.nan for k in readouts}
        )
    return rows


def _call_evaluate(
    evaluate: Callable[[np.ndarray], list[dict[str, float]]], X: np.ndarray
) -> list[dict[str, float]]:
    """The readouts of the candidates ``X`` from a user's ``evaluate``, as a list."""
    return list(evaluate(X))


def _properties(problem: _Problem, x: np.ndarray) -> dict[str, float]:
    """The protocol properties constrained (media changes, compound cost) at the candidate ``x``.

    Empty when no constraint names a property; infinite when the knobs make an invalid protocol.
    """
    from .knobs import apply_knobs

    out: dict[str, float] = {}
    if not any(c in _PROTOCOL_PROPERTIES for c in problem.constraints):
        return out
    knob_values = {n: float(v) for n, v in zip(problem.names, x, strict=True) if "." in n}
    try:
        p = apply_knobs(problem.base, knob_values)
    except ProtocolError:
        return {"media_changes": math.inf, "compound_cost": math.inf}
    out["media_changes"] = float(len(p.media_change_days()))
    if problem.prices:
        out["compound_cost"] = protocol_cost(p, problem.prices)
    return out


def _penalty(constraints: Mapping[str, tuple[str, float]], r: Mapping[str, float]) -> float:
    """Sum of the relative violations of the constraints by the readouts ``r`` (1e6 per unknown)."""
    penalty = 0.0
    for name, (rel, bound) in constraints.items():
        v = r.get(name, math.nan)
        viol = (v - bound) if rel == "<=" else (bound - v)
        scale = max(abs(bound), 1e-12)
        penalty += max(0.0, viol) / scale if math.isfinite(viol) else 1e6
    return penalty


def _cost(
    X: np.ndarray,
    problem: _Problem,
    simulate: Callable[[np.ndarray], list[dict[str, float]]],
    trace: list[dict[str, Any]],
) -> np.ndarray:
    """Costs of one generation of candidates (to minimise), each evaluation appended to ``trace``.

    Args:
        X: Candidates ``(n, d)``.
        problem: The problem.
        simulate: Readouts of candidates, one dict per row of ``X``.
        trace: The evaluations so far; this generation's are appended.

    Returns:
        The signed objective plus ten times the penalty, per candidate (1e6 for a non-finite objective).
    """
    generation = trace[-1]["generation"] + 1 if trace else 0  # every generation adds rows
    rows = simulate(X)
    objective = problem.objective
    out = np.empty(len(rows))
    for i, (x, r) in enumerate(zip(X, rows, strict=True)):
        r = {**r, **_properties(problem, x)}
        val = objective(r) if callable(objective) else r.get(objective, math.nan)
        penalty = _penalty(problem.constraints, r)
        score = -val if problem.maximize else val
        score = 1e6 if not math.isfinite(score) else score
        out[i] = score + 10.0 * penalty
        trace.append(
            {
                "generation": generation,
                **dict(zip(problem.names, map(float, x), strict=True)),
                "objective": val,
                "penalty": penalty,
                **r,
            }
        )
    return out


def _result(problem: _Problem, trace_df: Any, message: str) -> OptimizationResult:
    """Assemble the result from the best evaluation in the trace.

    The answer is the best evaluation that meets every constraint (the search itself may end a hair
    past a constraint's boundary, where the penalty is still smaller than the gain); when none does,
    the one that violates them least, with a warning.

    Raises:
        ParameterError: No evaluation produced a finite objective.
    """
    from .knobs import apply_knobs

    names = problem.names
    finite = trace_df[np.isfinite(trace_df["objective"])]
    if finite.empty:
        raise ParameterError("optimize: no evaluation produced a finite objective; check the knobs")
    ok = finite[finite["penalty"] == 0]
    if ok.empty:  # none feasible: the evaluation that violates the constraints least
        best = finite["penalty"].idxmin()
    else:
        best = ok["objective"].idxmax() if problem.maximize else ok["objective"].idxmin()
    best_x = trace_df.loc[best, names].to_numpy(dtype=float)
    best_row = {
        k: float(v)
        for k, v in trace_df.loc[best].items()
        if k not in ("generation", "objective", "penalty", *names)
    }
    value = float(trace_df.loc[best, "objective"])
    feasible = bool(trace_df.loc[best, "penalty"] == 0)
    if not feasible:
        _warn_infeasible(problem, best_row, len(trace_df))
    knob_values = dict(zip(names, map(float, best_x), strict=True))
    best_protocol = apply_knobs(problem.base, {k: v for k, v in knob_values.items() if "." in k})
    best_protocol = best_protocol.renamed(f"{problem.base.name}_optimised")
    return OptimizationResult(
        best_protocol,
        knob_values,
        float(value),
        best_row,
        bool(feasible),
        trace_df,
        len(trace_df),
        message,
    )


def _warn_infeasible(problem: _Problem, best_row: dict[str, float], n: int) -> None:
    """Say that no evaluation met the constraints, with where the least-violating one stood."""
    fractions = any(  # mn_fraction, residual_pluripotent, a cell type or marker (MN@14)
        c.endswith("_fraction") or c == "residual_pluripotent" or c[:1].isupper()
        for c in problem.constraints
    )
    stood = ", ".join(
        f"{name} {rel} {bound:g} (it gave {best_row.get(name, float('nan')):.4g})"
        for name, (rel, bound) in problem.constraints.items()
    )
    warn(
        f"optimize: none of {n} evaluations met the constraints; the result (feasible=False) is the "
        f"one closest to them: {stood}. Loosen a bound, widen the knobs or raise the budget"
        + (" (fractions lie between 0 and 1)" if fractions else ""),
        UserWarning,
    )
