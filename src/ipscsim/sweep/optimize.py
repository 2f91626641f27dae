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
from typing import Any

import numpy as np

from ..errors import ParameterError, ProtocolError
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
        **sweep_kwargs: Passed to the Sweep that evaluates each generation (``params``, ``days``, ...).

    Returns:
        An :class:`OptimizationResult`.
    """
    import pandas as pd
    from scipy.optimize import differential_evolution

    from ..api import as_protocol
    from .knobs import apply_knobs
    from .sweep import Sweep

    base = as_protocol(protocol)
    if not knobs:
        raise ParameterError("knobs: give at least one knob with (low, high) bounds")
    names = list(knobs)
    bounds = []
    for name in names:
        b = knobs[name]
        if not (isinstance(b, (list, tuple)) and len(b) == 2 and float(b[0]) < float(b[1])):
            raise ParameterError(f"knobs {name!r}: {b!r} must be (low, high) with low < high")
        bounds.append((float(b[0]), float(b[1])))
    constraints = dict(constraints or {})
    for name, (rel, _bound) in constraints.items():
        if rel not in ("<=", ">="):
            raise ParameterError(f"constraints {name!r}: relation {rel!r} must be '<=' or '>='")
        if name == "compound_cost" and not prices:
            raise ParameterError(
                "constraints 'compound_cost' needs prices={compound: price per mg}"
            )
    readouts = sorted(
        {
            *(c for c in constraints if c not in _PROTOCOL_PROPERTIES),
            *([objective] if isinstance(objective, str) else []),
            "mn_fraction",
        }
    )
    if evaluate is None:
        # validate the space and readouts before the search starts
        Sweep(
            base,
            {n: b for n, b in zip(names, bounds, strict=True)},
            design="random",
            n=1,
            seed=0,
            readouts=readouts,
            **sweep_kwargs,
        )
    d = len(names)
    pop = popsize * d
    maxiter = max(1, budget // pop - 1)
    trace: list[dict[str, Any]] = []
    generation = [0]

    def props(x: np.ndarray) -> dict[str, float]:
        out: dict[str, float] = {}
        if not any(c in _PROTOCOL_PROPERTIES for c in constraints):
            return out
        knob_values = {n: float(v) for n, v in zip(names, x, strict=True) if "." in n}
        try:
            p = apply_knobs(base, knob_values)
        except ProtocolError:
            return {"media_changes": math.inf, "compound_cost": math.inf}
        out["media_changes"] = float(len(p.media_change_days()))
        if prices:
            out["compound_cost"] = protocol_cost(p, prices)
        return out

    def run(X: np.ndarray) -> list[dict[str, float]]:
        if evaluate is not None:
            return list(evaluate(X))
        sweep = Sweep(
            base,
            {n: b for n, b in zip(names, bounds, strict=True)},
            design=X,
            seed=seed if seed is not None else 0,
            readouts=readouts,
            **sweep_kwargs,
        )
        table = sweep.run(n_jobs=n_jobs, progress=False).to_dataframe()
        rows = []
        for _, r in table.iterrows():
            rows.append(
                {k: float(r[k]) for k in readouts}
                if r["status"] == "ok"
                else {k: math.nan for k in readouts}
            )
        return rows

    def f(xt: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(xt.T) if xt.ndim == 2 else xt[None, :]
        rows = run(X)
        out = np.empty(len(rows))
        for i, (x, r) in enumerate(zip(X, rows, strict=True)):
            r = {**r, **props(x)}
            val = objective(r) if callable(objective) else r.get(objective, math.nan)
            penalty = 0.0
            for name, (rel, bound) in constraints.items():
                v = r.get(name, math.nan)
                viol = (v - bound) if rel == "<=" else (bound - v)
                scale = max(abs(bound), 1e-12)
                penalty += max(0.0, viol) / scale if math.isfinite(viol) else 1e6
            score = -val if maximize else val
            score = 1e6 if not math.isfinite(score) else score
            out[i] = score + 10.0 * penalty
            trace.append(
                {
                    "generation": generation[0],
                    **dict(zip(names, map(float, x), strict=True)),
                    "objective": val,
                    "penalty": penalty,
                    **r,
                }
            )
        generation[0] += 1
        return out

    res = differential_evolution(
        f,
        bounds,
        popsize=popsize,
        maxiter=maxiter,
        seed=seed,
        vectorized=True,
        updating="deferred",
        polish=False,
        tol=1e-8,
    )
    trace_df = pd.DataFrame(trace)
    # the answer is the best evaluation that meets every constraint (the search itself may end a hair
    # past a constraint's boundary, where the penalty is still smaller than the gain)
    ok = trace_df[(trace_df["penalty"] == 0) & np.isfinite(trace_df["objective"])]
    pool = ok if len(ok) else trace_df[np.isfinite(trace_df["objective"])]
    if pool.empty:
        raise ParameterError("optimize: no evaluation produced a finite objective; check the knobs")
    best = pool["objective"].idxmax() if maximize else pool["objective"].idxmin()
    best_x = trace_df.loc[best, names].to_numpy(dtype=float)
    best_row = {
        k: float(v)
        for k, v in trace_df.loc[best].items()
        if k not in ("generation", "objective", "penalty", *names)
    }
    value = float(trace_df.loc[best, "objective"])
    feasible = bool(trace_df.loc[best, "penalty"] == 0)
    knob_values = dict(zip(names, map(float, best_x), strict=True))
    best_protocol = apply_knobs(base, {k: v for k, v in knob_values.items() if "." in k})
    best_protocol = best_protocol.renamed(f"{base.name}_optimised")
    return OptimizationResult(
        best_protocol,
        knob_values,
        float(value),
        best_row,
        bool(feasible),
        trace_df,
        len(trace_df),
        str(res.message),
    )
