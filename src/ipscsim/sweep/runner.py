"""Running one chunk of a sweep: what a worker (a thread, a process, a Dask worker) executes.

:func:`run_chunk` takes a picklable :class:`ChunkTask` and returns one row per run. A run that cannot be
built (an invalid protocol for its knob values) or whose integration fails is a row with ``status``
``"invalid"`` or ``"failed"`` and a ``message``; the chunk never raises for a single run. The chunk goes
down the one run pipeline: prepared runs -> the engine's ``run`` -> :class:`~ipscsim.results.BatchOutput`
and its readouts. Runs are prepared by :class:`~ipscsim.sweep.prepare.ChunkPreparer` (one compiled
protocol per protocol shape, bit-identical to building each run on its own).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import IpscsimError
from ..model.prepare import prepare_run
from ..model.readouts import CELL_TYPES, MARKERS, summary_values, timing_day
from ..solvers import ODE, Record
from .knobs import apply_knobs
from .prepare import ChunkPreparer
from .readouts import Readout, readout_days

__all__ = ["ChunkTask", "build_run", "prepare_options", "run_chunk", "task_row"]


@dataclass
class ChunkTask:
    """Everything needed to run some points of a sweep, as plain data.

    Attributes:
        protocol: The base protocol as a dict.
        names: Dimension names.
        kinds: ``"knob"`` or ``"param"`` per dimension.
        run_ids: The runs of this chunk.
        values: ``(n_runs, n_dims)`` values of their dimensions.
        seeds: Seed of each run.
        readouts: What to record.
        fixed_params: Parameter overrides applied to every run.
        engine: The engine settings (:class:`~ipscsim.ODE` or :class:`~ipscsim.ABM`).
        record: What the engine records (:class:`~ipscsim.Record`; readout days are added).
        days: Days to simulate (``None``: the protocol's).
        genotype: MN genotype.
        n_threads: Threads of the compiled kernels (``None``: all cores).
    """

    protocol: dict[str, Any]
    names: list[str]
    kinds: list[str]
    run_ids: list[int]
    values: np.ndarray
    seeds: list[int]
    readouts: tuple[Readout, ...]
    fixed_params: dict[str, float] = field(default_factory=dict)
    engine: Any = field(default_factory=ODE)
    record: Record = field(default_factory=Record)
    days: float | None = None
    genotype: str = "control"
    n_threads: int | None = None


def task_row(
    task: ChunkTask, i: int, status: str, message: str = "", **values: float
) -> dict[str, Any]:
    """Row ``i`` of a task, in the one column order every row and every stored part shares.

    The order is ``run_id``, the dimensions, ``seed``, the readouts (NaN where missing), ``status``,
    ``message``, ``wall_time_s``: an invalid, failed or lost run has the same columns in the same
    place as a finished one, so the parts of a store concatenate alike whichever is read first.
    """
    return {
        "run_id": int(task.run_ids[i]),
        **{n: float(v) for n, v in zip(task.names, task.values[i], strict=True)},
        "seed": int(task.seeds[i]),
        **{r.name: values.get(r.name, math.nan) for r in task.readouts},
        "status": status,
        "message": message,
        "wall_time_s": values.get("wall_time_s", math.nan),
    }


def build_run(task: ChunkTask, i: int, base=None):
    """The (protocol, parameter overrides) of row ``i`` of a task (``base``: the parsed protocol)."""
    from ..protocols import Protocol

    knobs, params = {}, dict(task.fixed_params)
    for n, k, v in zip(task.names, task.kinds, task.values[i], strict=True):
        (knobs if k == "knob" else params)[n] = float(v)
    base = Protocol.from_dict(task.protocol) if base is None else base
    return apply_knobs(base, knobs), params


def _values(out, i: int, counts, markers, readouts) -> dict[str, float]:
    """The readouts of run ``i`` from its readout arrays."""
    days = out.days(i)
    summary = summary_values(days, counts, markers, out.lineage(i), out.runs[i].compiled.seeded)
    total = counts.sum(axis=1)
    values = {}
    for r in readouts:
        if r.table == "summary":
            values[r.name] = summary[r.field]
            continue
        source = (
            counts[:, CELL_TYPES.index(r.field)]
            if r.table == "fractions"
            else markers[:, MARKERS.index(r.field)]
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            share = source / total
        if r.timing:
            values[r.name] = timing_day(r.timing, days, share)
        elif r.day > days[-1] + 1e-9:
            values[r.name] = math.nan
        else:
            values[r.name] = float(np.interp(r.day, days, share))
    return values


def prepare_options(task: ChunkTask) -> tuple[dict[str, Any], tuple[float, ...]]:
    """Keyword arguments of :func:`~ipscsim.model.prepare_run` for the runs; days to record."""
    rec = task.record
    options = {
        "days": task.days, "genotype": task.genotype, "cohorts": task.engine.cohorts,
        "record_every": rec.every, "extra_days": rec.days, "snapshots": rec.snapshots,
    }  # fmt: skip
    return options, tuple(float(d) for d in readout_days(task.readouts))


def _prepare(task: ChunkTask) -> tuple[list[dict[str, Any]], list[Any], list[int], list[int]]:
    """A row for every run (row ``i`` is run ``i``); prepared runs for the valid ones, with row and seed."""
    from ..protocols import Protocol

    options, extra = prepare_options(task)
    base_protocol = Protocol.from_dict(task.protocol)
    fast = ChunkPreparer(
        base_protocol, task.names, task.kinds, task.fixed_params, {**options, "record": extra}
    )
    rows: list[dict[str, Any]] = []
    prepared, where, seeds = [], [], []
    for i in range(len(task.run_ids)):
        try:
            run = fast.run(task.values[i])
            if run is None:  # a value the fast path does not vouch for: the plain way says why
                protocol, params = build_run(task, i, base_protocol)
                run = prepare_run(protocol, params, **options).recording(extra)
        except (IpscsimError, ValueError) as exc:
            rows.append(task_row(task, i, "invalid", str(exc)))
            continue
        prepared.append(run)
        where.append(len(rows))
        seeds.append(int(task.seeds[i]))
        rows.append(task_row(task, i, "failed", "not run"))
    return rows, prepared, where, seeds


def run_chunk(task: ChunkTask) -> list[dict[str, Any]]:
    """Run the points of a chunk through the task's engine; one row per run."""
    t0 = time.perf_counter()
    rows, prepared, where, seeds = _prepare(task)
    if prepared:
        out = task.engine.run(prepared, seeds, task.n_threads)
        counts, markers = out.readouts()
        per_run = (time.perf_counter() - t0) / len(prepared)
        for j, row_i in enumerate(where):
            if not out.ok(j):
                rows[row_i] = task_row(task, row_i, "failed", out.message(j))
                continue
            values = _values(out, j, counts[j], markers[j], task.readouts)
            rows[row_i] = task_row(task, row_i, "ok", "", **values, wall_time_s=per_run)
    return rows
