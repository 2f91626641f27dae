"""Evaluate validation targets for one or many parameter sets, in batch.

Every distinct run the targets need (a protocol, a perturbation, a genotype, a number of days) is
simulated once per parameter set, all in as few batch-engine calls as there are genotypes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ExtrapolationWarning, ParameterError, is_real
from ..model import layout as L
from ..model.cohorts import DEFAULT_COHORTS
from ..model.prepare import prepare_run
from ..model.readouts import (
    CELL_TYPES,
    SUMMARY_FIELDS,
    select_share,
    summary_values,
    timing_day,
    timing_kind,
)
from ..protocols.presets import as_protocol
from ..solvers import as_engine
from .perturbations import apply_perturbation
from .targets import Target, resolve_targets

__all__ = ["Evaluation", "evaluate"]


@dataclass
class Evaluation:
    """Model values of targets for each parameter set.

    Attributes:
        targets: The targets, in column order.
        values: ``(n_sets, n_targets)`` model value of each target's readout.
        references: ``(n_sets, n_targets)`` reference value (directions; NaN for outcomes).
        met: ``(n_sets, n_targets)`` whether each target is met.
        results: For one parameter set, the time courses of every run (for plots), keyed by
            ``(protocol, perturbation)``; empty for several sets.
    """

    targets: list[Target]
    values: np.ndarray
    references: np.ndarray
    met: np.ndarray
    results: dict[tuple[str, str], Any]

    def table(self, i: int = 0):
        """A DataFrame: one row per target for parameter set ``i``."""
        import pandas as pd

        n = len(self.values)
        if not (is_real(i) and float(i).is_integer() and -n <= int(i) < n):
            raise ParameterError(
                f"i: {i!r} is not a parameter set of this evaluation, which has {n} (i from 0 to "
                f"{n - 1}, or negative from the end)"
            )

        rows = []
        for j, t in enumerate(self.targets):
            rows.append(
                {
                    "id": t.id,
                    "kind": t.kind,
                    "protocol": t.protocol,
                    "perturbation": t.perturbation,
                    "readout": t.readout,
                    "day": t.day,
                    "relation": t.relation,
                    "published": t.value if t.kind == "outcome" else math.nan,
                    "model": self.values[i, j],
                    "reference": self.references[i, j],
                    "met": bool(self.met[i, j]),
                    "source": t.source,
                    "note": t.note,
                }
            )
        return pd.DataFrame(rows)


def check_protocols(protocols: Any) -> dict[str, Any]:
    """The protocols targets may name beside presets and files, as a dict (name to Protocol).

    Raises:
        ParameterError: for anything but a mapping of names (a list of protocols is the usual slip).
    """
    if protocols is None:
        return {}
    if not isinstance(protocols, Mapping) or not all(isinstance(k, str) for k in protocols):
        raise ParameterError(
            f"protocols: {protocols!r} must map the names targets use to protocols, e.g. "
            "{'mine': protocol} (presets and protocol files need no entry)"
        )
    return dict(protocols)


def target_runs(t: Target) -> list[tuple[str, str]]:
    """The (protocol, perturbation) runs a target reads: its own and, for a direction, the reference."""
    runs = [(t.protocol, t.perturbation)]
    if t.kind == "direction":
        runs.append((t.reference_protocol or t.protocol, t.reference_perturbation))
    return runs


def _run_keys(targets: Sequence[Target]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(key for t in targets for key in target_runs(t)))


def _readout(t: Target, out, i: int, counts, markers) -> float:
    run = out.runs[i]
    days = out.days(i)
    total = counts.sum(axis=1)
    r = t.readout
    day = t.day if math.isfinite(t.day) else float(days[-1])
    if day > days[-1] + 1e-9:
        return math.nan
    if r in SUMMARY_FIELDS:
        return summary_values(days, counts, markers, out.lineage(i), run.compiled.seeded)[r]
    if kind := timing_kind(r):
        with np.errstate(invalid="ignore", divide="ignore"):
            share = select_share(r.split(":", 1)[1], counts, markers) / total
        return timing_day(kind, days, share)
    if r.startswith("count:"):
        name = r.split(":", 1)[1]
        series = total if name == "total" else counts[:, CELL_TYPES.index(name)]
        return float(np.interp(day, days, series * run.compiled.seeded))
    with np.errstate(invalid="ignore", divide="ignore"):
        if "/" in r:  # a ratio of two readouts, e.g. MN/neurons
            num, den = (select_share(name, counts, markers) for name in r.split("/", 1))
            return float(np.interp(day, days, num / den))
        return float(np.interp(day, days, select_share(r, counts, markers) / total))


def _check_days(targets: Sequence[Target], perturbed: dict) -> None:
    """A target's day lies in its run: a day past the run's end has no value to compare."""
    for t in targets:
        for key in target_runs(t):
            pert = perturbed[key]
            last = pert.days if pert.days is not None else pert.protocol.days
            if math.isfinite(t.day) and not 0.0 <= t.day <= last + 1e-9:
                raise ParameterError(
                    f"target {t.id}: day {t.day:g} is outside its run ({key[0]}, days 0 to "
                    f"{last:g}); read a day inside it, or add 'days {t.day:g}' to the run's "
                    "perturbation"
                )


def _prepare(targets, sets, keys, named, cohorts) -> tuple[list, dict]:
    """Every run the targets need, for every parameter set, and each run's index by (set, key)."""
    from ..model.parameters import resolve_params

    perturbed = {k: apply_perturbation(as_protocol(named.get(k[0], k[0])), k[1]) for k in keys}
    _check_days(targets, perturbed)
    extra_days = sorted({t.day for t in targets if math.isfinite(t.day)})
    prepared, index = [], {}
    for s in range(sets.shape[0]):
        for k in keys:
            pert = perturbed[k]
            p = sets[s].copy()
            if pert.params:
                over = resolve_params(pert.params)
                for name in pert.params:
                    p[L.PARAM_INDEX[name]] = over[L.PARAM_INDEX[name]]
            run = prepare_run(pert.protocol, p, pert.days, pert.genotype, cohorts)
            index[(s, k)] = len(prepared)
            prepared.append(run.recording(extra_days))
    return prepared, index


def _parameter_sets(params: Any) -> np.ndarray:
    """``(n_sets, n_params)``: a stack of arrays as it is, or one set resolved."""
    from ..model.parameters import resolve_params

    if isinstance(params, np.ndarray) and params.ndim == 2:
        return np.atleast_2d(np.asarray(params, dtype=np.float64))
    return resolve_params(params)[None, :]


def evaluate(
    targets: str | Sequence[Target] | None,
    params: Any = None,
    cohorts: int = DEFAULT_COHORTS,
    n_threads: int | None = None,
    keep_results: bool | None = None,
    protocols: dict[str, Any] | None = None,
    engine: Any = None,
    **options: Any,
) -> Evaluation:
    """Evaluate targets for one parameter set (dict, file, array, ParameterSet) or a stack of arrays.

    Every run the targets need goes to the engine in one batch.

    Args:
        targets: Targets to evaluate: a list, a CSV path, or ``None`` (the published outcomes).
        params: One parameter set, or a 2-D array ``(n_sets, n_params)``.
        cohorts: Heterogeneity cohorts (of the default ODE engine).
        n_threads: Threads of the batch engine.
        keep_results: Keep every run's :class:`~ipscsim.results.Result` (default: for one set only).
        protocols: Protocols the targets name that are neither presets nor files (name to Protocol).
        engine: The engine, :class:`~ipscsim.ODE` or :class:`~ipscsim.ABM` (or their names;
            default: the ODE engine with ``cohorts`` and ``options``).
        **options: Solver options of the default engine (``rtol``, ``atol``, ``max_steps``).
    """
    named_ode = isinstance(engine, str) and engine.strip().lower() == "ode"
    eng = (
        as_engine("ode", cohorts=cohorts, **options)
        if engine is None or named_ode
        else as_engine(engine, **options)
    )
    targets = resolve_targets(targets, allow_empty=True)
    protocols = check_protocols(protocols)
    sets = _parameter_sets(params)
    n_sets = sets.shape[0]
    keys = _run_keys(targets)
    with warnings.catch_warnings():  # a target that runs past a protocol's end says so itself
        warnings.simplefilter("ignore", ExtrapolationWarning)
        prepared, index = _prepare(targets, sets, keys, protocols, eng.cohorts)
    out = eng.run(prepared, None, n_threads)
    counts, markers = out.readouts()
    values = np.full((n_sets, len(targets)), np.nan)
    refs = np.full((n_sets, len(targets)), np.nan)
    met = np.zeros((n_sets, len(targets)), dtype=bool)
    for s in range(n_sets):
        for j, t in enumerate(targets):
            i = index[(s, (t.protocol, t.perturbation))]
            if out.ok(i):
                values[s, j] = _readout(t, out, i, counts[i], markers[i])
            if t.kind == "direction":
                ir = index[(s, (t.reference_protocol or t.protocol, t.reference_perturbation))]
                if out.ok(ir):
                    refs[s, j] = _readout(t, out, ir, counts[ir], markers[ir])
            met[s, j] = t.met(values[s, j], refs[s, j])
    results = {}
    if keep_results if keep_results is not None else n_sets == 1:
        results = {k: out.result(index[(0, k)]) for k in keys if out.ok(index[(0, k)])}
    return Evaluation(targets, values, refs, met, results)
