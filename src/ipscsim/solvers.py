"""Engine settings as small frozen objects (the diffrax way): :class:`ODE`, :class:`ABM`, :class:`Record`.

Each is plain validated data (no numba: importing this module loads no engine) composed by one call,
``ips.simulate(protocol, engine=ips.ODE(rtol=1e-8), record=ips.Record(every=0.5))``. An engine object
runs prepared runs with :meth:`ODE.run` / :meth:`ABM.run`, which import the compiled engine on first
use, and returns a :class:`~ipscsim.results.BatchOutput`. Settings objects pickle, compare and hash, so
a sweep ships them to its workers as they are and a sweep may use either engine.

>>> import ipscsim as ips
>>> ips.ODE(rtol=1e-8).rtol
1e-08
>>> ips.ABM(n_cells=5000).n_cells
5000
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .errors import ParameterError, check_int, is_real, suggest, warn
from .model.cohorts import DEFAULT_COHORTS
from .model.prepare import DEFAULT_RECORD_EVERY
from .model.streams import resolve_seed

__all__ = ["ABM", "ENGINES", "NEIGHBOURS", "ODE", "Record", "as_engine", "engine_settings"]

#: Engine names the string forms accept.
ENGINES: tuple[str, ...] = ("ode", "abm")
#: Neighbourhood modes of the agent-based engine.
NEIGHBOURS: tuple[str, ...] = ("space", "mean")


def _whole(name: str, value: Any, low: int, high: int, example: str) -> int:
    if isinstance(value, bool) or not is_real(value) or not math.isfinite(float(value)):
        raise ParameterError(f"{name}: {value!r} must be a whole number, e.g. {example}")
    if float(value) != int(value) or not low <= int(value) <= high:
        raise ParameterError(f"{name}: {value!r} must be a whole number from {low} to {high}")
    return int(value)


def _days(name: str, values: Any) -> tuple[float, ...]:
    if values is None:
        return ()
    if is_real(values) and not isinstance(values, bool):
        values = (values,)
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise ParameterError(f"{name}: {values!r} must be a list of days, e.g. [7, 14]")
    out = []
    for d in values:
        if isinstance(d, bool) or not is_real(d) or not 0 <= float(d) < math.inf:
            raise ParameterError(f"{name}: day {d!r} must be a number of days >= 0, e.g. [7, 14]")
        out.append(float(d))
    return tuple(sorted(set(out)))


def _check_abm(n_cells: Any, neighbours: Any, aggregate_size: Any, dt: Any) -> None:
    check_int("n_cells (cells simulated at day 0, e.g. 20000)", n_cells, 10, 50_000_000)
    if not isinstance(neighbours, str) or neighbours not in NEIGHBOURS:
        raise ParameterError(
            f"neighbours: {neighbours!r} must be 'space' (actual neighbours) or 'mean' (population "
            "means, as in the ODE engine)"
        )
    if aggregate_size is not None and (
        isinstance(aggregate_size, bool)
        or not isinstance(aggregate_size, (int, np.integer))
        or aggregate_size < 2
    ):
        raise ParameterError(
            f"aggregate_size: {aggregate_size!r} must be a whole number of cells per aggregate >= 2 "
            "(or None: the protocol's)"
        )
    if not (isinstance(dt, (int, float)) and not isinstance(dt, bool) and 0 < dt <= 0.25):
        raise ParameterError(f"dt: {dt!r} must be a step in days in (0, 0.25], e.g. 0.05")


@dataclass(frozen=True)
class Record:
    """What a run records (diffrax's ``SaveAt``).

    Args:
        every: Days between records (the last day is always recorded).
        days: More days to record (e.g. the days a readout is read on).
        snapshots: Days on which an agent-based run keeps every cell (the last day always).
    """

    every: float = DEFAULT_RECORD_EVERY
    days: tuple[float, ...] = ()
    snapshots: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        e = self.every
        if isinstance(e, bool) or not (is_real(e) and 0 < float(e) < math.inf):
            raise ParameterError(
                f"record_every (Record.every): {e!r} must be a number of days > 0, e.g. 0.25"
            )
        object.__setattr__(self, "every", float(e))
        object.__setattr__(self, "days", _days("record days", self.days))
        object.__setattr__(self, "snapshots", _days("snapshots", self.snapshots))


@dataclass(frozen=True)
class ODE:
    """The deterministic mean-field engine: cohorts of cells, adaptive Dormand-Prince 5(4).

    Args:
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        max_steps: Step budget of each segment between breakpoints.
        cohorts: Heterogeneity cohorts (more is smoother and slower).
        batch: How several runs are integrated: ``"lanes"`` (default: eight runs at a time in the
            CPU's vector units, :mod:`ipscsim.engines.lanes`; each run equals its single
            simulation to rounding: typically 1e-13, at most 2e-11 in 10,000 runs) or
            ``"threads"`` (one run per thread with the single-run
            integrator, bit-identical to :func:`~ipscsim.simulate`).
    """

    rtol: float = 1e-6
    atol: float = 1e-9
    max_steps: int = 200_000
    cohorts: int = DEFAULT_COHORTS
    batch: str = "lanes"
    name: ClassVar[str] = "ode"

    def __post_init__(self) -> None:
        for key in ("rtol", "atol"):
            v = getattr(self, key)
            if isinstance(v, bool) or not (is_real(v) and 0 < float(v) < 1):
                raise ParameterError(f"{key}: {v!r} must be a number in (0, 1), e.g. 1e-6")
            object.__setattr__(self, key, float(v))
        steps = _whole("max_steps", self.max_steps, 1, 10**9, "200000")
        object.__setattr__(self, "max_steps", steps)
        object.__setattr__(self, "cohorts", _whole("cohorts", self.cohorts, 1, 4096, "12"))
        if self.batch not in ("lanes", "threads"):
            raise ParameterError(
                f"batch: {self.batch!r} is not a batch mode; use 'lanes' (vector lanes, fastest) or "
                "'threads' (one run per thread, bit-identical to single runs)"
            )

    def solver(self, record_every: float) -> dict[str, Any]:
        """The settings part of a Result's ``meta["solver"]``."""
        return {
            "method": "dopri5",
            "rtol": self.rtol,
            "atol": self.atol,
            "max_steps": self.max_steps,
            "record_every": record_every,
            "batch": self.batch,
        }

    def run(
        self,
        runs: Sequence[Any],
        seed: Any = None,
        n_threads: int | None = None,
        trackers: Any = None,
    ) -> Any:
        """Integrate prepared runs; failures are status codes, not exceptions.

        One run is integrated alone (driven segment by segment when it has trackers); several in one
        compiled parallel call.

        Args:
            runs: Prepared runs (:func:`~ipscsim.model.prepare.prepare_run`) of this engine's cohorts.
            seed: Recorded in the results (the ODE engine is deterministic).
            n_threads: Threads (default: all cores).
            trackers: Trackers of a single run (:mod:`ipscsim.trackers`).

        Returns:
            A :class:`~ipscsim.results.BatchOutput`.
        """
        from .engines.dopri5 import STATUS_MESSAGES
        from .engines.threads import check_threads
        from .results import BatchOutput
        from .trackers import TrackerCollection

        runs = list(runs)
        for r in runs:
            if r.n_cohorts != self.cohorts:
                raise ParameterError(
                    f"cohorts: a run was prepared with {r.n_cohorts} cohorts, the engine has "
                    f"{self.cohorts}; prepare it with cohorts={self.cohorts}"
                )
        if n_threads is not None:
            check_threads(n_threads)  # a single run is not threaded, but the value must be sound
        tc = TrackerCollection(trackers)
        if tc and len(runs) != 1:
            raise ParameterError("trackers: give trackers to one run at a time (simulate)")
        t0 = time.perf_counter()
        records, stats, status, stopped = self._integrate(runs, n_threads, tc)
        wall = time.perf_counter() - t0
        if isinstance(seed, (list, tuple, np.ndarray)):
            if len(seed) != len(runs):
                raise ParameterError(
                    f"seed: {len(seed)} seeds for {len(runs)} runs; give one per run"
                )
            seeds = [resolve_seed(s) for s in seed]
        else:
            seeds = [resolve_seed(seed)] * len(runs)
        solver = []
        for i, r in enumerate(runs):
            s = self.solver(r.record_every)
            n_fev, n_acc, n_rej = (int(x) for x in stats[i])
            s.update(nfev=n_fev, n_accepted=n_acc, n_rejected=n_rej, segments=len(r.compiled.t) - 1)
            solver.append(s)
        messages = [STATUS_MESSAGES.get(int(st), "failed") for st in status]
        return BatchOutput(
            runs, "ode", records, status, messages, solver, seeds, wall, stopped=stopped
        )

    def _integrate(self, runs: list[Any], n_threads: int | None, tc: Any):
        from .engines import ode
        from .engines._cache import compile_notice
        from .engines.threads import threads
        from .model.cohorts import cohort_nodes
        from .model.pharmacology import compound_table

        if not runs:
            return [], np.zeros((0, 3), dtype=np.int64), np.zeros(0, dtype=np.int64), []
        if tc:
            rec, stats, status, why = ode.OdeRun(runs[0], self.rtol, self.atol, self.max_steps).run(
                tc
            )
            return [rec], stats[None, :], np.array([status]), [why]
        comp, nodes = compound_table(), cohort_nodes(self.cohorts)
        opts = (self.rtol, self.atol, self.max_steps)
        if len(runs) > 1 and self.batch == "lanes":
            return _integrate_lanes(runs, comp, nodes, opts, n_threads)
        compile_notice(ode.run if len(runs) == 1 else ode.run_many, "ODE engine", COLD_ODE_S)
        if len(runs) == 1:
            r, c = runs[0], runs[0].compiled
            rec, stats, status = ode.run(
                r.y0, r.params, c.t, c.u, c.op, c.op_count, comp, nodes, r.record_days, *opts
            )
            return [rec], stats[None, :], np.array([status]), [""]
        y0s, ps, seg_ptr, tb, u, op, opc, rec_ptr, rec_t = _batch_arrays(runs)
        with threads(n_threads):
            rec, stats, status = ode.run_many(
                y0s, ps, seg_ptr, tb, u, op, opc, comp, nodes, rec_ptr, rec_t, *opts
            )
        records = [rec[rec_ptr[i] : rec_ptr[i + 1]] for i in range(len(runs))]
        return records, stats, status, [""] * len(runs)


def _batch_arrays(runs: list[Any]) -> tuple[np.ndarray, ...]:
    """The concatenated inputs of many runs (the layout of ``ode.run_many`` and ``lanes.run_lanes``)."""
    seg_ptr = np.cumsum([0] + [len(r.compiled.t) - 1 for r in runs]).astype(np.int64)
    rec_ptr = np.cumsum([0] + [len(r.record_days) for r in runs]).astype(np.int64)
    cat = np.concatenate
    return (
        np.stack([r.y0 for r in runs]), np.stack([r.params for r in runs]), seg_ptr,
        cat([r.compiled.t for r in runs]), cat([r.compiled.u for r in runs]),
        cat([r.compiled.op for r in runs]).astype(np.int64),
        cat([r.compiled.op_count for r in runs]), rec_ptr, cat([r.record_days for r in runs]),
    )  # fmt: skip


def _integrate_lanes(runs: list[Any], comp: np.ndarray, nodes: np.ndarray, opts: tuple, n_threads):
    """Integrate several runs with the ensemble engine (bundles of vector lanes, one per thread)."""
    from .engines import lanes
    from .engines._cache import compile_notice
    from .engines.threads import get_threads, threads

    compile_notice(lanes.run_lanes, "ensemble engine", COLD_LANES_S)
    y0s, ps, seg_ptr, tb, u, op, opc, rec_ptr, rec_t = _batch_arrays(runs)
    with threads(n_threads):
        n_bundles = max(1, min(-(-len(runs) // lanes.LANES), get_threads()))
        rec, stats, status = lanes.run_lanes(
            y0s, ps, seg_ptr, tb, u, op, opc, comp, nodes, rec_ptr, rec_t, *opts, n_bundles
        )
    records = [rec[rec_ptr[i] : rec_ptr[i + 1]] for i in range(len(runs))]
    return records, stats, status, [""] * len(runs)


#: Seconds a cold compilation took on the two-core development machine (numba 0.68, Python 3.11).
COLD_ODE_S = 20
COLD_LANES_S = 30
COLD_ABM_S = 60


@dataclass(frozen=True)
class ABM:
    """The agent-based engine: single cells with noise, neighbours and space (same biology).

    Args:
        n_cells: Cells simulated at day 0 (a sample of the well).
        neighbours: ``"space"`` (Notch, crowding and endogenous signals from actual neighbours) or
            ``"mean"`` (population means, as in the ODE engine).
        aggregate_size: Cells per aggregate when aggregates form (``None``: the protocol's
            ``aggregate_size``).
        dt: Largest time step (days).
        fields: Solve fields (compound penetration into aggregates, endogenous signals on a patch).
    """

    n_cells: int = 20_000
    neighbours: str = "space"
    aggregate_size: int | None = None
    dt: float = 0.05
    fields: bool = True
    name: ClassVar[str] = "abm"
    #: The agent-based engine keeps no cohorts; runs are prepared with the default.
    cohorts: ClassVar[int] = DEFAULT_COHORTS

    def __post_init__(self) -> None:
        _check_abm(self.n_cells, self.neighbours, self.aggregate_size, self.dt)
        if not isinstance(self.fields, (bool, np.bool_)):
            raise ParameterError(f"fields: {self.fields!r} must be True or False")
        object.__setattr__(self, "n_cells", int(self.n_cells))
        if self.aggregate_size is not None:
            object.__setattr__(self, "aggregate_size", int(self.aggregate_size))
        object.__setattr__(self, "dt", float(self.dt))

    def settings(self) -> dict[str, Any]:
        """The settings as a dict (for a Result's ``meta["solver"]``)."""
        return {
            "n_cells": self.n_cells,
            "neighbours": self.neighbours,
            "aggregate_size": self.aggregate_size,
            "dt": self.dt,
            "fields": bool(self.fields),
        }

    def start(self, protocol: Any, seed: Any = None, **prepare: Any) -> Any:
        """An :class:`~ipscsim.engines.abm.run.AbmRun`, ready to :meth:`step` and look into.

        Args:
            protocol: A prepared run (:func:`ipscsim.prepare`), or a protocol (a Protocol, preset
                name, file or dict) to prepare.
            seed: The run's seed (``None``: drawn from the operating system).
            **prepare: How to prepare a protocol: ``days``, ``genotype``, ``params``, ``line``,
                ``record``.

        >>> run = ips.ABM(n_cells=5000).start("chambers2009", seed=1, days=4)  # doctest: +SKIP
        >>> run.step(); run.snapshot().head()                                  # doctest: +SKIP
        """
        from .engines._cache import compile_notice
        from .engines.abm.run import AbmRun
        from .engines.abm.step import step_cells
        from .model.prepare import PreparedRun, prepare_run

        if not isinstance(protocol, PreparedRun):
            rec = prepare.pop("record", None) or Record()
            if not isinstance(rec, Record):
                raise ParameterError(
                    f"record: {rec!r} must be an ips.Record(every=..., snapshots=...)"
                )
            protocol = prepare_run(
                protocol, prepare.pop("params", None), prepare.pop("days", None),
                prepare.pop("genotype", "control"), self.cohorts, rec.every,
                prepare.pop("line", None), extra_days=rec.days, snapshots=rec.snapshots,
            )  # fmt: skip
        if prepare:
            raise ParameterError(
                f"{sorted(prepare)[0]}: start() takes days, genotype, params, line and record"
            )
        self._check_steps(float(protocol.compiled.t[-1]))
        compile_notice(step_cells, "agent-based engine", COLD_ABM_S)
        return AbmRun(protocol, self, resolve_seed(seed, fresh=True))

    def _check_steps(self, days: float) -> None:
        """Reject a run whose steps would be unbounded, with the estimate and the smallest usable dt."""
        from .engines.abm.run import MAX_STEPS

        steps = days / self.dt
        if steps > MAX_STEPS:
            raise ParameterError(
                f"dt: {self.dt!r} days needs {steps:.3g} steps over {days:g} days (at most "
                f"{MAX_STEPS:.0e}); the smallest dt for this run is {days / MAX_STEPS:.3g} days "
                "(0.05 is the default)"
            )

    def run(
        self,
        runs: Sequence[Any],
        seed: Any = None,
        n_threads: int | None = None,
        trackers: Any = None,
    ) -> Any:
        """Run prepared runs one after another (each with its own seed; threads inside each run).

        Args:
            runs: Prepared runs.
            seed: One seed for one run, or one per run (``None``: drawn and recorded).
            n_threads: Threads of the compiled kernels (default: all cores).
            trackers: Trackers of a single run.

        Returns:
            A :class:`~ipscsim.results.BatchOutput` with counts, markers and spatial records.
        """
        from .engines.threads import threads
        from .results import BatchOutput, SpatialRecord
        from .trackers import TrackerCollection

        runs = list(runs)
        seeds = _seeds(seed, len(runs))
        tc = TrackerCollection(trackers)
        if tc and len(runs) != 1:
            raise ParameterError("trackers: give trackers to one run at a time (simulate)")
        t0 = time.perf_counter()
        outs = []
        with threads(n_threads):
            for r, s in zip(runs, seeds, strict=True):
                outs.append(self.start(r, s).run(tc))
        wall = time.perf_counter() - t0
        solver = [
            {
                "method": "stochastic Heun (agent-based)",
                **self.settings(),
                "record_every": r.record_every,
                **o.stats,
            }
            for r, o in zip(runs, outs, strict=True)
        ]
        spatial = [
            SpatialRecord(o.snapshots, o.fields, o.step_log, s, o.stats)
            for o, s in zip(outs, seeds, strict=True)
        ]
        return BatchOutput(
            runs, "abm", [o.globals for o in outs], np.zeros(len(runs), dtype=np.int64),
            ["ok"] * len(runs), solver, seeds, wall, [o.types for o in outs],
            [o.markers for o in outs], spatial, [o.stopped for o in outs],
        )  # fmt: skip


def _seeds(seed: Any, n: int) -> list[int]:
    if isinstance(seed, (list, tuple, np.ndarray)):
        if len(seed) != n:
            raise ParameterError(f"seed: {len(seed)} seeds for {n} runs; give one per run")
        return [resolve_seed(s, fresh=True) for s in seed]
    first = resolve_seed(seed, fresh=True)
    return [first] + [resolve_seed(None, fresh=True) for _ in range(n - 1)]


#: Keywords of the old flat signature, by what now holds them.
_RECORD_KEYS = {"record_every": "every", "snapshots": "snapshots"}
_ENGINE_KEYS = {"cohorts", "rtol", "atol", "max_steps", "n_cells", "neighbours"} | {
    "aggregate_size",
    "dt",
    "fields",
}


def keywords_of(function: Any) -> tuple[str, ...]:
    """The named keywords of a function, without ``self`` and ``**options`` (for did-you-mean)."""
    return tuple(
        name
        for name, p in inspect.signature(function).parameters.items()
        if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    )


def engine_settings(
    engine: Any,
    record: Record | None,
    options: dict[str, Any],
    what: str = "simulate",
    accepted: Iterable[str] = (),
) -> tuple[ODE | ABM, Record]:
    """Settings objects from the new form, or from the old flat keywords (with a DeprecationWarning).

    Args:
        engine: An :class:`ODE` or :class:`ABM`, ``None`` (the ODE engine), or the old ``"ode"`` /
            ``"abm"`` names.
        record: A :class:`Record` or ``None``.
        options: The old flat keywords (``n_cells``, ``cohorts``, ``rtol``, ``record_every``, ...).
        what: The function asked (for the messages).
        accepted: The function's own keywords, offered when an unknown one looks like a misspelling.

    Raises:
        ParameterError: for an unknown keyword, a setting given twice or an unknown engine.
    """
    unknown = set(options) - _ENGINE_KEYS - set(_RECORD_KEYS)
    if unknown:
        name = sorted(unknown)[0]
        close = difflib.get_close_matches(name, [*accepted, *_ENGINE_KEYS, *_RECORD_KEYS], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParameterError(
            f"unknown option {name!r}{hint}; {what}() takes engine=ips.ODE(...) or "
            "ips.ABM(...) and record=ips.Record(...)"
        )
    eng = as_engine(engine, **{k: v for k, v in options.items() if k not in _RECORD_KEYS})
    old_form = isinstance(engine, str) or bool(options)
    if old_form:
        shown = ", ".join([f"engine={engine!r}"] * isinstance(engine, str) + sorted(options))
        warn(
            f"{what}({shown}) is deprecated: pass engine=ips.ODE(...) or ips.ABM(n_cells=...) "
            "and record=ips.Record(every=..., snapshots=...); the old keywords go in the next release",
            DeprecationWarning,
        )
    rec_kw = {_RECORD_KEYS[k]: options.pop(k) for k in list(options) if k in _RECORD_KEYS}
    if rec_kw and record is not None:
        raise ParameterError("record: give record=ips.Record(...) or the old keywords, not both")
    if record is None:
        record = Record(**rec_kw)
    if not isinstance(record, Record):
        raise ParameterError(f"record: {record!r} must be an ips.Record(every=..., days=...)")
    if record.snapshots and isinstance(eng, ODE):
        warn(
            f"record: snapshots {list(record.snapshots)} are kept by the agent-based engine only (the "
            "ODE engine has no single cells); use engine=ips.ABM(n_cells=...) for them, or "
            "Record(days=...) to record the ODE state on those days"
        )
    return eng, record


def as_engine(engine: Any, **legacy: Any) -> ODE | ABM:
    """An engine settings object from an object, ``"ode"``/``"abm"``, and legacy keywords.

    Raises:
        ParameterError: for an unknown engine or a keyword the engine does not take.
    """
    if isinstance(engine, (ODE, ABM)):
        if legacy:
            raise ParameterError(
                f"{sorted(legacy)[0]}: set it on the engine object, e.g. "
                f"ips.{type(engine).__name__}({sorted(legacy)[0]}=...)"
            )
        return engine
    name = engine.strip().lower() if isinstance(engine, str) else None
    if engine is None or name == "ode":
        return ODE(**_take(legacy, ODE))
    if name == "abm":
        return ABM(**_take(legacy, ABM))
    if engine is ODE or engine is ABM:
        raise ParameterError(
            f"engine: {engine.__name__} is the class; pass an instance, ips.{engine.__name__}()"
        )
    raise ParameterError(
        f"engine: unknown engine {engine!r}; give ips.ODE(...) or ips.ABM(n_cells=...)"
    )


def _take(opts: dict[str, Any], cls: type) -> dict[str, Any]:
    allowed = {  # the settings, not the class constants (name, cohorts of the ABM)
        f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")
    }
    unknown = set(opts) - allowed
    if unknown:
        name = sorted(unknown)[0]
        raise ParameterError(
            f"unknown option {name!r}{suggest(name, allowed)} for the {cls.__name__} engine; it "
            f"takes {', '.join(sorted(allowed))}"
        )
    return opts
