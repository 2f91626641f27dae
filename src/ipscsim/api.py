"""The public entry points: :func:`simulate` one protocol, :func:`simulate_batch` many at once.

Both follow the one run pipeline: protocol -> :func:`~ipscsim.model.prepare.prepare_run` -> an engine
settings object's ``run`` (:class:`~ipscsim.ODE` or :class:`~ipscsim.ABM`) ->
:class:`~ipscsim.results.BatchOutput` -> :class:`~ipscsim.results.Result`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ParameterError, is_real, warn
from .model.parameters import warn_implausible
from .model.prepare import PreparedRun, prepare_run
from .protocols import Protocol
from .protocols.presets import as_protocol
from .results import BatchOutput, Result
from .solvers import ABM, ENGINES, ODE, Record, engine_settings, keywords_of

log = logging.getLogger("ipscsim")

__all__ = [
    "ENGINES",
    "BatchOutput",
    "PreparedRun",
    "as_protocol",
    "prepare",
    "prepare_run",
    "simulate",
    "simulate_batch",
]


def prepare(
    protocol: Any,
    days: float | None = None,
    genotype: str = "control",
    params: Any = None,
    *,
    line: Any = None,
    engine: ODE | ABM | None = None,
    record: Record | None = None,
) -> PreparedRun:
    """Prepare one run for an engine (:func:`~ipscsim.model.prepare.prepare_run` with settings objects).

    >>> run = ips.ABM(n_cells=5000).start(ips.prepare("chambers2009"), seed=1)  # doctest: +SKIP
    """
    eng, rec = engine_settings(engine, record, {}, "prepare")
    return prepare_run(
        protocol, params, days, genotype, eng.cohorts, rec.every, line,
        extra_days=rec.days, snapshots=rec.snapshots,
    )  # fmt: skip


def simulate(
    protocol: Protocol | str | Path | Mapping,
    engine: ODE | ABM | str | None = None,
    days: float | None = None,
    seed: int | np.random.Generator | None = None,
    genotype: str = "control",
    params: Any = None,
    *,
    line: Any = None,
    record: Record | None = None,
    n_threads: int | None = None,
    trackers: Any = None,
    progress: bool | None = None,
    uncertainty: int | None = None,
    **options: Any,
) -> Result:
    """Simulate a differentiation protocol.

    Args:
        protocol: A :class:`~ipscsim.protocols.Protocol`, a preset name (``ipscsim.protocols.names()``),
            a TOML/JSON file path, or a dict of the protocol-file shape.
        engine: :class:`~ipscsim.ODE` (default; deterministic, mean-field) or :class:`~ipscsim.ABM`
            (single cells with noise, neighbours and space; same biology, same :class:`Result`, plus
            :meth:`~ipscsim.results.Result.snapshot` and :meth:`~ipscsim.results.Result.field`).
        days: Days to simulate (default: the protocol's duration; then its medium, no steps).
        seed: The agent-based engine's seed (``None``: drawn from the operating system and recorded
            in ``meta``); recorded for provenance by the deterministic ODE engine.
        genotype: ``control``, ``SOD1_A4V``, ``C9orf72``, ``TARDBP_M337V`` or ``FUS`` (MN survival).
        params: Parameter overrides: a dict of name to value, a TOML parameter file, a
            :class:`~ipscsim.ParameterSet`, or a full array.
        line: A cell line (a line number or :class:`~ipscsim.model.lines.CellLine`): line-level
            parameters drawn from the between-line distribution, applied on top of ``params``.
        record: What to record: :class:`~ipscsim.Record` (``every`` 0.25 day, extra ``days``,
            agent-based ``snapshots``).
        n_threads: Threads of the compiled kernels (default: all cores).
        trackers: Trackers (:mod:`ipscsim.trackers`): progress, storage, early stopping.
        progress: Show a progress bar over days (default: for agent-based runs).
        uncertainty: Parameter sets to draw from the posterior and plausible ranges and simulate
            too (ODE engine; ``seed``): ``result.uncertainty`` (:mod:`ipscsim.results.ensemble`).
        **options: The old flat keywords (``engine="abm"``, ``n_cells``, ``cohorts``, ``rtol``,
            ``record_every``, ``snapshots``, ...), still accepted with a ``DeprecationWarning``.

    Returns:
        A :class:`~ipscsim.results.Result`.

    Raises:
        ProtocolError: for an invalid protocol. ParameterError: for an invalid parameter or setting.
        SimulationError: when the integrator fails.
    """
    eng, rec = engine_settings(engine, record, options, accepted=_SIMULATE_KEYWORDS)
    if uncertainty is not None:
        _check_uncertainty(uncertainty, eng)
    run = prepare(protocol, days, genotype, params, line=line, engine=eng, record=rec)
    warn_implausible(params)
    tc = _trackers(trackers, progress, eng, run.protocol.name)
    result = eng.run([run], seed, n_threads, tc).result(0)
    log.info("simulated %s: %s", run.protocol.name, result.meta.get("solver", {}))
    if uncertainty is not None:
        result.uncertainty = _ensemble(run, eng, params, uncertainty, seed, n_threads)
    return result


def _trackers(trackers: Any, progress: bool | None, eng: Any, name: str) -> Any:
    from .trackers import ProgressTracker, TrackerCollection

    tc = TrackerCollection(trackers)
    if progress or (progress is None and isinstance(eng, ABM)):
        tc.items.append(ProgressTracker(desc=f"{name} ({eng.name})"))
    return tc


def _check_uncertainty(n: Any, eng: Any) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= 100_000:
        raise ParameterError(
            f"uncertainty: {n!r} must be a number of draws from 2 to 100000, e.g. 200"
        )
    if not isinstance(eng, ODE):
        raise ParameterError("uncertainty: intervals need the ODE engine (engine=ips.ODE())")


def _ensemble(run: PreparedRun, eng: Any, params: Any, n: Any, seed: Any, n_threads: Any) -> Any:
    """Run ``n`` parameter sets drawn from the posterior and plausible ranges; keep their readouts."""
    import warnings

    from .errors import ExtrapolationWarning
    from .model.layout import PARAM_NAMES
    from .model.parameter_set import ParameterSet
    from .model.parameters import default_params, resolve_params
    from .results.ensemble import Ensemble

    if isinstance(params, ParameterSet):
        base, held = params, set()
    else:
        arr, ref = resolve_params(params), default_params()
        given = {name: float(arr[i]) for i, name in enumerate(PARAM_NAMES) if arr[i] != ref[i]}
        base, held = ParameterSet(values=given, ranges="posterior"), set(given)
    varied = tuple(x for x in PARAM_NAMES if base.distribution(x) != "fixed" and x not in held)
    draws = base.sample_arrays(int(n), seed=seed if isinstance(seed, (int, np.integer)) else 0,
                               names=varied)  # fmt: skip
    with warnings.catch_warnings():  # the point run has warned already
        warnings.simplefilter("ignore", ExtrapolationWarning)
        runs = [
            prepare_run(
                run.protocol, d, run.days, run.genotype, run.n_cohorts, run.record_every,
                run.line, extra_days=tuple(run.record_days),
            )
            for d in draws
        ]  # fmt: skip
    out = eng.run(runs, None, n_threads)
    ok = [i for i in range(len(runs)) if out.ok(i)]
    if len(ok) < len(runs):
        warn(
            f"uncertainty: {len(runs) - len(ok)} of {len(runs)} draws did not finish and are left "
            f"out of the intervals (first: {out.message(next(i for i in range(len(runs)) if i not in ok))})",
            RuntimeWarning,
        )
    return Ensemble.from_results(
        [out.result(i) for i in ok], varied, len(runs) - len(ok), _source(base)
    )


def _source(base: Any) -> str:
    """Where an ensemble's draws come from, for its provenance."""
    post = base.posterior
    if post is None:
        return "ranges of the ParameterSet (Latin hypercube)"
    return (
        f"posterior sample ({len(post)} draws of {', '.join(post.names)}; "
        f"{post.meta.get('sampler', 'sampler not recorded')}), the other parameters over their "
        "plausible ranges (Latin hypercube)"
    )


def _broadcast(protocols: Any, params: Any, lines: Any) -> tuple[list, list, list]:
    if isinstance(protocols, (str, Path, Mapping, Protocol)):
        raise ParameterError(
            "protocols: give a list of protocols (for one protocol, use simulate() or [protocol])"
        )
    if not isinstance(protocols, (list, tuple)):
        raise ParameterError(
            f"protocols: {protocols!r} must be a list of protocols (Protocol objects, preset names, "
            "files or dicts)"
        )
    protocols = list(protocols)
    if isinstance(params, (list, tuple)) and params and all(is_real(v) for v in params):
        raise ParameterError(
            "params: a list of numbers is ambiguous; pass a numpy array for one full parameter set, "
            "or a list of dicts (one per run)"
        )
    if (
        params is None
        or isinstance(params, (Mapping, str, Path))
        or (isinstance(params, np.ndarray) and params.ndim == 1)
    ):
        params = [params] * len(protocols)
    if not isinstance(params, (list, tuple)):
        raise ParameterError(
            f"params: {params!r} must be a dict of name = value (one set for every run), a "
            "ParameterSet, a TOML file, or a list of those (one per run)"
        )
    params = list(params)
    if len(protocols) == 1 and len(params) > 1:
        protocols = protocols * len(params)
    if len(params) != len(protocols):
        raise ParameterError(
            f"params: {len(params)} parameter sets for {len(protocols)} protocols; give one set, or "
            "one per protocol"
        )
    lines = [None] * len(protocols) if lines is None else list(lines)
    if len(lines) != len(protocols):
        raise ParameterError(
            f"lines: {len(lines)} lines for {len(protocols)} runs; give one per run"
        )
    return protocols, params, lines


def simulate_batch(
    protocols: Sequence[Any],
    params: Any = None,
    days: float | None = None,
    genotype: str = "control",
    *,
    engine: ODE | ABM | None = None,
    seed: Any = None,
    n_threads: int | None = None,
    lines: Sequence[Any] | None = None,
    record: Record | None = None,
    progress: bool | None = None,
    errors: str = "raise",
    **options: Any,
) -> list[Result | None]:
    """Simulate many (protocol, parameters) pairs in one compiled call, in parallel threads.

    Args:
        protocols: Protocols (or preset names/paths/dicts). One protocol with several parameter sets
            is broadcast.
        params: One parameter override (dict/path/array) for all runs, or a sequence, one per run.
        days: Days to simulate (default: each protocol's duration).
        genotype: MN genotype for every run.
        engine: :class:`~ipscsim.ODE` (default) or :class:`~ipscsim.ABM` (runs one after another).
        seed: Recorded in every result (agent-based: one seed, or one per run).
        n_threads: Threads to use (default: all cores).
        lines: One cell line per run (line numbers or CellLines), or ``None``.
        record: What to record (:class:`~ipscsim.Record`).
        progress: Show a progress bar (``None``: above :data:`PROGRESS_ABOVE` ODE runs).
        errors: What a failed run does once every run has ended: ``"raise"`` (a
            :class:`~ipscsim.errors.SimulationError` naming the failed runs and why, carrying every
            run's result on its ``results``, ``None`` for the failed) or ``"warn"`` (a
            ``RuntimeWarning`` naming them; their entries are ``None``). No run is lost either way.
        **options: The old flat keywords (``cohorts``, ``rtol``, ``atol``, ``max_steps``,
            ``record_every``), accepted with a ``DeprecationWarning``.

    Returns:
        One :class:`~ipscsim.results.Result` per run, equal to what :func:`simulate` returns for it
        (``None`` for a failed run with ``errors="warn"``).

    Raises:
        SimulationError: when a run failed (``errors="raise"``), naming each failed run and why.
    """
    eng, rec = engine_settings(engine, record, options, "simulate_batch", _BATCH_KEYWORDS)
    if errors not in ("raise", "warn"):
        raise ParameterError(f"errors: {errors!r} must be 'raise' or 'warn'")
    protocols, params, lines = _broadcast(protocols, params, lines)
    if not protocols:
        return []
    runs = [
        prepare(pr, days, genotype, pa, line=ln, engine=eng, record=rec)
        for pr, pa, ln in zip(protocols, params, lines, strict=True)
    ]
    results, failed = _collect(eng, runs, params, seed, n_threads, progress)
    if failed:
        _report_failures(failed, results, errors)
    return results


def _collect(eng: Any, runs: list, params: list, seed: Any, n_threads: Any, progress: Any):
    """Every run's result (``None`` where it failed) and a line on each failed run."""
    results: list[Result | None] = []
    failed: list[str] = []
    for start, out in _batches(eng, runs, seed, n_threads, progress):
        for j in range(len(out)):
            if out.ok(j):
                results.append(out.result(j))
                continue
            results.append(None)
            shown = (
                f", params {params[start + j]!r}" if isinstance(params[start + j], Mapping) else ""
            )
            name = runs[start + j].protocol.name
            failed.append(f"run {start + j} (protocol {name!r}{shown}): {out.message(j)}")
    return results, failed


def _report_failures(failed: list[str], results: list, errors: str) -> None:
    """Raise (the others' results on the error) or warn, naming the failed runs."""
    from .errors import SimulationError

    more = f"; and {len(failed) - 3} more" if len(failed) > 3 else ""
    text = f"{len(failed)} of {len(results)} runs failed: {'; '.join(failed[:3])}{more}"
    if errors == "warn":
        warn(f"{text}; their results are None", RuntimeWarning)
        return
    err = SimulationError(
        f"{text}. The other runs' results are on this error's .results (None where a run failed); "
        "errors='warn' returns them instead of raising"
    )
    err.results = results
    raise err


#: A batch of more ODE runs than this shows a progress bar (it runs in slices of :data:`SLICE`).
PROGRESS_ABOVE = 1000
SLICE = 250


def _batches(eng: Any, runs: list, seed: Any, n_threads: Any, progress: bool | None):
    """``(first run, BatchOutput)`` of the runs: in one call, or in slices under a progress bar.

    Only the ODE engine is sliced (its runs are independent and deterministic, so the slices give the
    results of one call); the agent-based engine shows each run's own progress.
    """
    from .solvers import ODE

    show = progress if progress is not None else len(runs) > PROGRESS_ABOVE
    if not (show and isinstance(eng, ODE) and len(runs) > SLICE):
        yield 0, eng.run(runs, seed, n_threads)
        return
    from tqdm.auto import tqdm

    per_run = isinstance(seed, (list, tuple, np.ndarray))
    with tqdm(total=len(runs), unit="run", desc="simulate_batch") as bar:
        for start in range(0, len(runs), SLICE):
            part = runs[start : start + SLICE]
            part_seed = list(seed[start : start + SLICE]) if per_run else seed
            yield start, eng.run(part, part_seed, n_threads)
            bar.update(len(part))


#: The keywords of the public functions, offered when a user misspells one (computed once).
_SIMULATE_KEYWORDS = keywords_of(simulate)
_BATCH_KEYWORDS = keywords_of(simulate_batch)
