"""Running one chunk of a sweep: what a worker (a thread, a process, a Dask worker) executes.

:func:`run_chunk` takes a picklable :class:`ChunkTask` and returns one row per run. A run that cannot be
built (an invalid protocol for its knob values) or whose integration fails is a row with ``status``
``"invalid"`` or ``"failed"`` and a ``message``; the chunk never raises for a single run.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import IpscsimError
from ..model import layout as L
from ..model.readouts import CELL_TYPES, MARKERS, cell_counts, marker_counts
from ..results import summary_values
from .knobs import apply_knobs
from .readouts import Readout, readout_days

__all__ = ["ChunkTask", "run_chunk"]


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
        settings: ``days``, ``genotype``, ``cohorts``, ``n_threads`` and solver options.
    """

    protocol: dict[str, Any]
    names: list[str]
    kinds: list[str]
    run_ids: list[int]
    values: np.ndarray
    seeds: list[int]
    readouts: tuple[Readout, ...]
    fixed_params: dict[str, float] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


def build_run(task: ChunkTask, i: int, base=None):
    """The (protocol, parameter overrides) of row ``i`` of a task (``base``: the parsed protocol)."""
    from ..protocols import Protocol

    knobs = {
        n: float(v)
        for n, k, v in zip(task.names, task.kinds, task.values[i], strict=True)
        if k == "knob"
    }
    params = dict(task.fixed_params)
    params.update(
        {
            n: float(v)
            for n, k, v in zip(task.names, task.kinds, task.values[i], strict=True)
            if k == "param"
        }
    )
    base = Protocol.from_dict(task.protocol) if base is None else base
    return apply_knobs(base, knobs), params


def _values(records, run, counts, markers, cohorts, readouts):
    days = run.record_days
    lineage = float(records[-1, cohorts * L.N_GENES + L.X_LINEAGE])
    summary = summary_values(days, counts, markers, lineage, run.compiled.seeded)
    total = counts.sum(axis=1)
    out = {}
    for r in readouts:
        if r.table == "summary":
            out[r.name] = summary[r.field]
            continue
        if r.day > days[-1] + 1e-9:
            out[r.name] = math.nan
            continue
        source = (
            counts[:, CELL_TYPES.index(r.field)]
            if r.table == "fractions"
            else markers[:, MARKERS.index(r.field)]
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            out[r.name] = float(np.interp(r.day, days, source / total))
    return out


def _readout_arrays(prepared, out, cohorts):
    """Cell-type and marker counts of every run, computed together for runs of equal shape."""
    counts: list[Any] = [None] * len(prepared)
    markers: list[Any] = [None] * len(prepared)
    groups: dict[tuple, list[int]] = {}
    for j, run in enumerate(prepared):
        groups.setdefault((out.records[j].shape, run.params.tobytes()), []).append(j)
    for members in groups.values():
        stack = np.stack([out.records[j] for j in members])
        p = prepared[members[0]].params
        c, m = cell_counts(stack, p, cohorts), marker_counts(stack, p, cohorts)
        for k, j in enumerate(members):
            counts[j], markers[j] = c[k], m[k]
    return counts, markers


def run_chunk(task: ChunkTask) -> list[dict[str, Any]]:
    """Run the points of a chunk through the batch engine; one row per run."""
    from ..api import integrate, prepare_run

    s = task.settings
    cohorts = s.get("cohorts", 12)
    solver = {k: s[k] for k in ("rtol", "atol", "max_steps") if k in s}
    extra = readout_days(task.readouts)
    rows: list[dict[str, Any]] = []
    prepared, where = [], []
    t0 = time.perf_counter()
    from ..protocols import Protocol

    base_protocol = Protocol.from_dict(task.protocol)
    for i, run_id in enumerate(task.run_ids):
        base = {
            "run_id": int(run_id),
            **{n: float(v) for n, v in zip(task.names, task.values[i], strict=True)},
            "seed": int(task.seeds[i]),
        }
        try:
            protocol, params = build_run(task, i, base_protocol)
            run = prepare_run(
                protocol,
                params,
                s.get("days"),
                s.get("genotype", "control"),
                cohorts,
                s.get("record_every", 0.25),
            )
            if extra.size:
                rec = np.union1d(run.record_days, extra[extra <= run.compiled.t[-1]])
                run = type(run)(run.protocol, run.params, run.compiled, run.y0, rec)
        except (IpscsimError, ValueError) as exc:
            rows.append({**base, "status": "invalid", "message": str(exc)})
            continue
        prepared.append(run)
        where.append(len(rows))
        rows.append(base)
    if prepared:
        out = integrate(prepared, cohorts, s.get("n_threads"), **solver)
        counts, markers = _readout_arrays(prepared, out, cohorts)
        per_run = (time.perf_counter() - t0) / len(prepared)
        for j, (run, row_i) in enumerate(zip(prepared, where, strict=True)):
            row = rows[row_i]
            if out.status[j] != 0:
                row.update({"status": "failed", "message": out.message(j)})
                continue
            row.update(_values(out.records[j], run, counts[j], markers[j], cohorts, task.readouts))
            row.update({"status": "ok", "message": "", "wall_time_s": per_run})
    for row in rows:
        for r in task.readouts:
            row.setdefault(r.name, math.nan)
        row.setdefault("wall_time_s", math.nan)
    return rows
