"""Global sensitivity analysis with SALib: Sobol indices and Morris screening, also day by day.

``target`` is a protocol (or preset name), run through a :class:`~ipscsim.sweep.Sweep` over ``space``,
or any callable ``f(X) -> Y`` mapping an ``(n, d)`` array of inputs to an ``(n,)`` or ``(n, k)`` array
(for analytic test functions). With ``days``, each readout given as a cell type or marker (``"MN"``,
``"OLIG2"``) is analysed at every day: time-resolved indices, which SALib alone does not give.

Returns tidy DataFrames: one row per (readout, day, parameter) with the indices and their confidence
intervals (bootstrap, 95%).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError, check_int
from .space import ParameterSpace

__all__ = ["SensitivityResult", "morris", "sobol"]


@dataclass
class SensitivityResult:
    """Indices of a sensitivity analysis.

    Attributes:
        method: ``"sobol"`` or ``"morris"``.
        indices: Tidy table: ``readout``, ``day``, ``parameter`` and the indices (Sobol: ``S1``,
            ``S1_conf``, ``ST``, ``ST_conf``; Morris: ``mu``, ``mu_star``, ``mu_star_conf``, ``sigma``).
        problem: The SALib problem analysed.
        runs: The model evaluations (a SweepResult's table, or the inputs and outputs of ``f``).
    """

    method: str
    indices: Any
    problem: dict[str, Any]
    runs: Any

    def plot(self, readout: str | None = None, ax: Any = None, kind: str = "auto"):
        """Bars with confidence intervals (one day), or indices against day (time-resolved).

        See :func:`ipscsim.plot.sensitivity.plot_sensitivity` (``kind``: ``"auto"``, ``"bars"``,
        ``"days"``, ``"scatter"``); returns the Figure.
        """
        from ..plot.sensitivity import plot_sensitivity

        return plot_sensitivity(self, readout=readout, ax=ax, kind=kind)


def _problem(space: Mapping[str, Any], target: Any) -> dict[str, Any]:
    """The SALib problem of a space (validated against the model unless the target is a function)."""
    if callable(target):
        if "names" in space and "bounds" in space:
            problem = {
                "num_vars": len(space["names"]),
                "names": list(space["names"]),
                "bounds": [list(b) for b in space["bounds"]],
            }
            if "dists" in space:
                problem["dists"] = list(space["dists"])
            return problem
        names = list(space)
        bounds = []
        for name in names:
            b = space[name]
            b = b["bounds"] if isinstance(b, Mapping) else b
            if not (isinstance(b, (list, tuple)) and len(b) == 2 and b[0] < b[1]):
                raise ParameterError(f"space {name!r}: give bounds (low, high) with low < high")
            bounds.append([float(b[0]), float(b[1])])
        return {"num_vars": len(names), "names": names, "bounds": bounds}
    from ..protocols.presets import as_protocol

    return ParameterSpace(space, as_protocol(target).compounds).to_salib()


def _evaluate(target, space, X, readouts, days, seed, sweep_kwargs):
    """Model outputs for the sample ``X``: a dict of output name to ``(n,)`` array, and the runs."""
    import pandas as pd

    if callable(target):
        Y = np.asarray(target(X), dtype=np.float64)
        if Y.ndim == 1:
            Y = Y[:, None]
        names = list(readouts) if readouts is not None else [f"y{j}" for j in range(Y.shape[1])]
        if len(names) != Y.shape[1]:
            raise ParameterError(
                f"readouts: {len(names)} names for {Y.shape[1]} outputs of the function"
            )
        runs = pd.DataFrame(np.column_stack([X, Y]), columns=[*space["names"], *names])
        return {n: Y[:, j] for j, n in enumerate(names)}, runs
    from .sweep import Sweep

    wanted = _expand(readouts, days)
    sweep = Sweep(
        target,
        space,
        design=X,
        seed=seed,
        readouts=wanted,
        **{
            k: v
            for k, v in sweep_kwargs.items()
            if k not in ("executor", "n_jobs", "store", "progress", "chunk_size")
        },
    )
    result = sweep.run(
        **{
            k: v
            for k, v in sweep_kwargs.items()
            if k in ("executor", "n_jobs", "store", "progress", "chunk_size")
        }
    )
    table = result.to_dataframe()
    bad = table[table["status"] != "ok"]
    if len(bad):
        raise ParameterError(
            f"{len(bad)} of {len(table)} runs failed (first: {bad['message'].iloc[0]}); sensitivity "
            "indices need every run: narrow the space"
        )
    return {n: table[n].to_numpy(dtype=float) for n in wanted}, table


def _expand(readouts, days):
    if readouts is None:
        readouts = ["mn_fraction", "mn_yield", "residual_pluripotent"]
    if isinstance(readouts, str):
        readouts = [readouts]
    if days is None:
        return list(readouts)
    return [f"{r}@{float(d):g}" for r in readouts for d in days]


def _split(name: str) -> tuple[str, float]:
    if "@" in name:
        field, _, day = name.partition("@")
        return field, float(day)
    return name, float("nan")


def sobol(
    target: Any,
    space: Mapping[str, Any],
    readouts: Sequence[str] | str | None = None,
    n: int = 512,
    seed: int | None = None,
    days: Sequence[float] | None = None,
    second_order: bool = False,
    **sweep_kwargs: Any,
) -> SensitivityResult:
    """Sobol indices (first order and total) with SALib's Saltelli/Sobol sampling.

    Args:
        target: A protocol or preset name, or a function ``f(X) -> Y``.
        space: The inputs (a space mapping or a SALib problem; bounds, uniform).
        readouts: Outputs to analyse (readout names; for a function, names of its output columns).
        n: Base sample size (a power of 2); the model runs ``n * (d + 2)`` times
            (``n * (2d + 2)`` with ``second_order``).
        seed: Seed of the sample and the bootstrap.
        days: Analyse cell-type or marker readouts at each of these days (time-resolved indices).
        second_order: Also compute second-order indices (reported in ``runs``' attrs).
        **sweep_kwargs: Passed to the Sweep (``executor``, ``n_jobs``, ``store``, ``params``, ...).
    """
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    problem = _problem(space, target)
    X = sample.sample(problem, n, calc_second_order=second_order, seed=seed)
    outputs, runs = _evaluate(target, problem, X, readouts, days, seed, sweep_kwargs)
    rows = []
    for name, y in outputs.items():
        res = analyze.analyze(
            problem, y, calc_second_order=second_order, seed=seed, print_to_console=False
        )
        field, day = _split(name)
        for j, pname in enumerate(problem["names"]):
            rows.append(
                {
                    "readout": field,
                    "day": day,
                    "parameter": pname,
                    "S1": res["S1"][j],
                    "S1_conf": res["S1_conf"][j],
                    "ST": res["ST"][j],
                    "ST_conf": res["ST_conf"][j],
                }
            )
    import pandas as pd

    return SensitivityResult("sobol", pd.DataFrame(rows), problem, runs)


def morris(
    target: Any,
    space: Mapping[str, Any],
    readouts: Sequence[str] | str | None = None,
    trajectories: int = 20,
    levels: int = 4,
    seed: int | None = None,
    days: Sequence[float] | None = None,
    **sweep_kwargs: Any,
) -> SensitivityResult:
    """Morris elementary-effects screening with SALib (``trajectories * (d + 1)`` runs)."""
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    # one trajectory has no spread (sigma is NaN); one level has no step (a division by zero)
    trajectories = check_int("trajectories", trajectories, 2, 100_000)
    levels = check_int("levels (grid levels of each input; even, usually 4)", levels, 2, 1000)
    problem = _problem(space, target)
    X = sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    outputs, runs = _evaluate(target, problem, X, readouts, days, seed, sweep_kwargs)
    rows = []
    for name, y in outputs.items():
        res = analyze.analyze(problem, X, y, num_levels=levels, seed=seed, print_to_console=False)
        field, day = _split(name)
        for j, pname in enumerate(problem["names"]):
            rows.append(
                {
                    "readout": field,
                    "day": day,
                    "parameter": pname,
                    "mu": res["mu"][j],
                    "mu_star": res["mu_star"][j],
                    "mu_star_conf": res["mu_star_conf"][j],
                    "sigma": res["sigma"][j],
                }
            )
    import pandas as pd

    return SensitivityResult("morris", pd.DataFrame(rows), problem, runs)
