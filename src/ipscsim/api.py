"""The public entry points: :func:`simulate` one protocol, :func:`simulate_batch` many at once."""

from __future__ import annotations

import math
import platform
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .errors import ParameterError, ProtocolError, SimulationError, is_real
from .model.cohorts import DEFAULT_COHORTS, cohort_nodes, initial_state
from .model.inputs import CompiledProtocol, compile_protocol
from .model.parameters import PARAM_NAMES, genotype_hazard, resolve_params
from .model.pharmacology import compound_table
from .protocols import Protocol, presets
from .results import Result

__all__ = [
    "ENGINES",
    "BatchOutput",
    "PreparedRun",
    "as_protocol",
    "integrate",
    "prepare_run",
    "simulate",
    "simulate_batch",
]

#: Engines :func:`simulate` knows.
ENGINES: tuple[str, ...] = ("ode", "abm")
_DEFAULTS = {"rtol": 1e-6, "atol": 1e-9, "record_every": 0.25, "max_steps": 200_000}


def as_protocol(protocol: Any) -> Protocol:
    """Accept a Protocol, a preset name, a path to a TOML/JSON file, or a dict."""
    if isinstance(protocol, Protocol):
        return protocol
    if isinstance(protocol, Mapping):
        return Protocol.from_dict(protocol)
    if isinstance(protocol, (str, Path)):
        s = str(protocol)
        if s.strip().lower() in presets.names():
            return presets.get(s)
        path = Path(s)
        if path.suffix.lower() == ".json" and path.is_file():
            return Protocol.from_json(path.read_text(encoding="utf-8"))
        if path.suffix.lower() == ".toml" or path.is_file():
            return Protocol.from_toml(path)
        from .errors import suggest

        raise ProtocolError(
            f"protocol {s!r} is not a preset or a file{suggest(s, presets.names())} (presets: "
            f"{', '.join(presets.names())})"
        )
    raise ProtocolError(
        f"protocol: expected a Protocol, a preset name or a file path, not {type(protocol).__name__}"
    )


def _record_days(days: float, every: float) -> np.ndarray:
    if not (is_real(every) and every > 0 and math.isfinite(every)):
        raise ParameterError(f"record_every: {every!r} must be a number of days > 0, e.g. 0.25")
    if days / every > 1_000_000:
        raise ParameterError(
            f"record_every: {every!r} records more than a million days; record less often"
        )
    n = math.floor(days / every + 1e-9)
    rec = np.arange(n + 1) * float(every)
    if days - rec[-1] > 1e-9:
        rec = np.append(rec, days)
    return rec


def _seed_value(seed: Any) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    raise ParameterError(f"seed: {seed!r} must be None, an int or a numpy Generator")


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise SimulationError(
            f"engine: unknown engine {engine!r}; choose one of {', '.join(ENGINES)}"
        )


def _solver_opts(opts: dict[str, Any]) -> dict[str, Any]:
    unknown = set(opts) - set(_DEFAULTS)
    if unknown:
        raise ParameterError(
            f"unknown option {sorted(unknown)[0]!r}; simulate() accepts {', '.join(_DEFAULTS)}"
        )
    out = {**_DEFAULTS, **opts}
    for key in ("rtol", "atol"):
        v = out[key]
        if not (is_real(v) and 0 < v < 1):
            raise ParameterError(f"{key}: {v!r} must be a number in (0, 1), e.g. 1e-6")
        out[key] = float(v)
    steps = out["max_steps"]
    if not (is_real(steps) and float(steps) == int(steps) and steps >= 1):
        raise ParameterError(
            f"max_steps: {steps!r} must be a positive whole number (the step budget of each segment)"
        )
    out["max_steps"] = int(steps)
    out["record_every"] = (
        float(out["record_every"]) if is_real(out["record_every"]) else out["record_every"]
    )
    return out


def _meta(
    protocol: Protocol, p: np.ndarray, seed, engine, genotype, n_cohorts, solver, line, wall, days
) -> dict[str, Any]:
    from .engines.threads import backend_version

    return {
        "version": __version__,
        "engine": engine,
        "protocol": protocol.to_dict(),
        "days": days,
        "genotype": genotype,
        "line": getattr(line, "number", line),
        "seed": seed,
        "n_cohorts": n_cohorts,
        "parameters": dict(zip(PARAM_NAMES, map(float, p), strict=True)),
        "solver": solver,
        "wall_time_s": wall,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "platform": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "numba": backend_version(),
        },
    }


def simulate(
    protocol: Protocol | str | Path | Mapping,
    engine: str = "ode",
    days: float | None = None,
    seed: int | np.random.Generator | None = None,
    genotype: str = "control",
    params: Any = None,
    *,
    line: Any = None,
    cohorts: int = DEFAULT_COHORTS,
    n_cells: int = 20_000,
    neighbours: str = "space",
    aggregate_size: int = 2000,
    dt: float = 0.05,
    snapshots: Sequence[float] | None = None,
    fields: bool = True,
    n_threads: int | None = None,
    **options: Any,
) -> Result:
    """Simulate a differentiation protocol.

    Args:
        protocol: A :class:`~ipscsim.protocols.Protocol`, a preset name (``ipscsim.protocols.names()``),
            a TOML/JSON file path, or a dict of the protocol-file shape.
        engine: ``"ode"``, the deterministic mean-field engine, or ``"abm"``, the agent-based engine
            (single cells with noise, neighbours and space; same biology, same :class:`Result`, plus
            :meth:`~ipscsim.results.Result.snapshot` and :meth:`~ipscsim.results.Result.field`).
        days: Days to simulate (default: the protocol's duration; longer runs continue in basal medium).
        seed: The agent-based engine's seed (``None``: drawn from the operating system and recorded
            in ``meta``); recorded for provenance by the deterministic ODE engine.
        genotype: ``control``, ``SOD1_A4V``, ``C9orf72``, ``TARDBP_M337V`` or ``FUS`` (MN survival).
        params: Parameter overrides: a dict of name to value, a TOML parameter file, a
            :class:`~ipscsim.ParameterSet`, or a full array.
        line: A cell line (a line number or :class:`~ipscsim.model.lines.CellLine`): line-level
            parameters drawn from the between-line distribution, applied on top of ``params``.
        cohorts: Heterogeneity cohorts of the ODE engine (more is smoother and slower).
        n_cells: Cells the agent-based engine simulates at day 0 (a sample of the well).
        neighbours: Agent-based: ``"space"`` (Notch, crowding and endogenous signals from actual
            neighbours) or ``"mean"`` (population means, as in the ODE engine).
        aggregate_size: Agent-based: cells per aggregate when aggregates form.
        dt: Agent-based: largest time step (days).
        snapshots: Agent-based: days at which to keep every cell (the last day is always kept).
        fields: Agent-based: solve fields (compound penetration into aggregates, endogenous signals on
            an adherent patch).
        n_threads: Threads of the compiled kernels (default: all cores).
        **options: ``record_every`` (0.25 day); ODE engine: ``rtol`` (1e-6), ``atol`` (1e-9),
            ``max_steps`` (the step budget of each segment between breakpoints, default 200,000).

    Returns:
        A :class:`~ipscsim.results.Result`.

    Raises:
        ProtocolError: for an invalid protocol. ParameterError: for an invalid parameter or option.
        SimulationError: when the integrator fails.
    """
    _check_engine(engine)
    if engine == "abm":
        unknown = set(options) - {"record_every"}
        if unknown:
            raise ParameterError(
                f"unknown option {sorted(unknown)[0]!r} for engine='abm'; it takes record_every"
            )
        return _simulate_abm(
            protocol,
            days,
            seed,
            genotype,
            params,
            line,
            n_cells,
            neighbours,
            aggregate_size,
            dt,
            snapshots,
            fields,
            n_threads,
            options.get("record_every", _DEFAULTS["record_every"]),
        )
    return simulate_batch(
        [protocol],
        params=[params],
        days=days,
        genotype=genotype,
        cohorts=cohorts,
        seed=seed,
        lines=None if line is None else [line],
        n_threads=n_threads,
        **options,
    )[0]


def _simulate_abm(
    protocol,
    days,
    seed,
    genotype,
    params,
    line,
    n_cells,
    neighbours,
    aggregate_size,
    dt,
    snapshots,
    fields,
    n_threads,
    record_every,
) -> Result:
    from .engines.abm.run import run_abm
    from .engines.threads import threads
    from .spatial import SpatialRecord

    run = prepare_run(protocol, params, days, genotype, DEFAULT_COHORTS, record_every, line)
    seed_v = _seed_value(seed)
    if seed_v is None:
        seed_v = int(np.random.SeedSequence().entropy % (2**63))
    if seed_v < 0:
        raise ParameterError(f"seed: {seed!r} must be >= 0")
    end = float(run.compiled.t[-1])
    snap_days = {end}
    for d in snapshots or ():
        if not (is_real(d) and 0 <= float(d) <= end):
            raise ParameterError(
                f"snapshots: day {d!r} is outside the run (0 to {end:g}); give days within it"
            )
        snap_days.add(float(d))
    rec = np.unique(np.concatenate([run.record_days, sorted(snap_days)]))
    t0 = time.perf_counter()
    with threads(n_threads):
        out = run_abm(
            run.compiled,
            run.protocol,
            run.params,
            n_cells,
            seed_v,
            rec,
            np.array(sorted(snap_days)),
            neighbours=neighbours,
            aggregate_size=aggregate_size,
            dt=dt,
            fields=fields,
        )
    wall = time.perf_counter() - t0
    solver = {
        "method": "stochastic Heun (agent-based)",
        "dt": dt,
        "n_cells": n_cells,
        "neighbours": neighbours,
        "aggregate_size": aggregate_size,
        "fields": fields,
        "record_every": record_every,
        **out.stats,
    }
    return Result(
        days=rec,
        records=out.globals,
        params=run.params,
        n_cohorts=0,
        seeded=run.compiled.seeded,
        meta=_meta(run.protocol, run.params, seed_v, "abm", genotype, 0, solver, line, wall, end),
        counts_by_type=out.types,
        counts_by_marker=out.markers,
        spatial=SpatialRecord(out.snapshots, out.fields, out.step_log, seed_v, out.stats),
    )


@dataclass(frozen=True)
class PreparedRun:
    """One run, ready for the engine: the protocol compiled to arrays, parameters, initial state."""

    protocol: Protocol
    params: np.ndarray
    compiled: CompiledProtocol
    y0: np.ndarray
    record_days: np.ndarray


def prepare_run(
    protocol: Any,
    params: Any = None,
    days: float | None = None,
    genotype: str = "control",
    cohorts: int = DEFAULT_COHORTS,
    record_every: float = _DEFAULTS["record_every"],
    line: Any = None,
) -> PreparedRun:
    """Validate and compile one run (raises :class:`ProtocolError`/:class:`ParameterError`)."""
    from .model.lines import apply_line

    prot = as_protocol(protocol)
    p = apply_line(resolve_params(params), line)
    cp = compile_protocol(prot, days, genotype_hazard(genotype))
    nodes = cohort_nodes(cohorts)
    rec = _record_days(float(cp.t[-1]), record_every)
    return PreparedRun(prot, p, cp, initial_state(nodes, cp.suspension), rec)


@dataclass
class BatchOutput:
    """Raw engine output of a batch: records per run, solver statistics and status codes."""

    records: list[np.ndarray]
    stats: np.ndarray
    status: np.ndarray
    wall_time_s: float

    def message(self, i: int) -> str:
        """The meaning of run ``i``'s status code."""
        from .engines.dopri5 import STATUS_MESSAGES

        return STATUS_MESSAGES.get(int(self.status[i]), "failed")


def integrate(
    runs: Sequence[PreparedRun],
    cohorts: int = DEFAULT_COHORTS,
    n_threads: int | None = None,
    **options: Any,
) -> BatchOutput:
    """Integrate prepared runs in one compiled call; failures are status codes, not exceptions."""
    from .engines import ode
    from .engines.threads import threads

    opts = _solver_opts(options)
    comp = compound_table()
    nodes = cohort_nodes(cohorts)
    t_start = time.perf_counter()
    if len(runs) == 1:
        r = runs[0]
        c = r.compiled
        rec, stats, status = ode.run(
            r.y0,
            r.params,
            c.t,
            c.u,
            c.op,
            c.op_count,
            comp,
            nodes,
            r.record_days,
            opts["rtol"],
            opts["atol"],
            opts["max_steps"],
        )
        records, stats, status = [rec], stats[None, :], np.array([status])
    else:
        seg_ptr = np.cumsum([0] + [len(r.compiled.t) - 1 for r in runs]).astype(np.int64)
        rec_ptr = np.cumsum([0] + [len(r.record_days) for r in runs]).astype(np.int64)
        with threads(n_threads):
            rec, stats, status = ode.run_many(
                np.stack([r.y0 for r in runs]),
                np.stack([r.params for r in runs]),
                seg_ptr,
                np.concatenate([r.compiled.t for r in runs]),
                np.concatenate([r.compiled.u for r in runs]),
                np.concatenate([r.compiled.op for r in runs]).astype(np.int64),
                np.concatenate([r.compiled.op_count for r in runs]),
                comp,
                nodes,
                rec_ptr,
                np.concatenate([r.record_days for r in runs]),
                opts["rtol"],
                opts["atol"],
                opts["max_steps"],
            )
        records = [rec[rec_ptr[i] : rec_ptr[i + 1]] for i in range(len(runs))]
    return BatchOutput(records, stats, status, time.perf_counter() - t_start)


def simulate_batch(
    protocols: Sequence[Any],
    params: Any = None,
    days: float | None = None,
    genotype: str = "control",
    *,
    cohorts: int = DEFAULT_COHORTS,
    seed: Any = None,
    n_threads: int | None = None,
    lines: Sequence[Any] | None = None,
    **options: Any,
) -> list[Result]:
    """Simulate many (protocol, parameters) pairs in one compiled call, in parallel threads.

    Args:
        protocols: Protocols (or preset names/paths/dicts). One protocol with several parameter sets
            is broadcast.
        params: One parameter override (dict/path/array) for all runs, or a sequence, one per run.
        days: Days to simulate (default: each protocol's duration).
        genotype: MN genotype for every run.
        cohorts: Heterogeneity cohorts.
        seed: Recorded in every result.
        n_threads: Threads to use (default: all cores).
        lines: One cell line per run (line numbers or CellLines), or ``None``.
        **options: As :func:`simulate`.

    Returns:
        One :class:`~ipscsim.results.Result` per run, equal to what :func:`simulate` returns for it.

    Raises:
        SimulationError: naming the first run that failed and why.
    """
    opts = _solver_opts(options)
    if isinstance(protocols, (str, Path, Mapping, Protocol)):
        raise ParameterError(
            "protocols: give a list of protocols (for one protocol, use simulate() or [protocol])"
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
    params = list(params)
    if len(protocols) == 1 and len(params) > 1:
        protocols = protocols * len(params)
    if len(params) != len(protocols):
        raise ParameterError(
            f"params: {len(params)} parameter sets for {len(protocols)} protocols; give one set, or "
            "one per protocol"
        )
    if not protocols:
        return []
    seed_v = _seed_value(seed)
    if lines is None:
        lines = [None] * len(protocols)
    lines = list(lines)
    if len(lines) != len(protocols):
        raise ParameterError(
            f"lines: {len(lines)} lines for {len(protocols)} runs; give one per run"
        )
    runs = [
        prepare_run(pr, pa, days, genotype, cohorts, opts["record_every"], ln)
        for pr, pa, ln in zip(protocols, params, lines, strict=True)
    ]
    out = integrate(runs, cohorts, n_threads, **options)
    results = []
    for i, run in enumerate(runs):
        if out.status[i] != 0:
            where = f"run {i} (protocol {run.protocol.name!r}" + (
                f", params {params[i]!r})" if isinstance(params[i], Mapping) else ")"
            )
            raise SimulationError(f"{where}: {out.message(i)}")
        solver = {
            "method": "dopri5",
            "rtol": opts["rtol"],
            "atol": opts["atol"],
            "nfev": int(out.stats[i, 0]),
            "n_accepted": int(out.stats[i, 1]),
            "n_rejected": int(out.stats[i, 2]),
            "segments": len(run.compiled.t) - 1,
            "max_steps": opts["max_steps"],
            "record_every": opts["record_every"],
        }
        results.append(
            Result(
                days=run.record_days,
                records=out.records[i],
                params=run.params,
                n_cohorts=cohorts,
                seeded=run.compiled.seeded,
                meta=_meta(
                    run.protocol,
                    run.params,
                    seed_v,
                    "ode",
                    genotype,
                    cohorts,
                    solver,
                    lines[i],
                    out.wall_time_s / len(runs),
                    float(run.compiled.t[-1]),
                ),
            )
        )
    return results
