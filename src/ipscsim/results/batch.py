"""What an engine returns for a batch of prepared runs, and the one way from it to Results and readouts.

:class:`BatchOutput` holds every run's raw records, status and solver statistics. It knows how to turn
them into :class:`~ipscsim.results.Result` objects (:meth:`BatchOutput.result`) and into the readout
arrays that sweeps and validation score (:meth:`BatchOutput.readouts`), so no caller rebuilds that
pipeline by hand.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._version import __version__
from ..errors import SimulationError
from ..model import layout as L
from ..model.layout import PARAM_NAMES
from ..model.prepare import PreparedRun
from ..model.readouts import floor_readouts
from .result import Result
from .spatial import SpatialRecord

__all__ = ["BatchOutput", "provenance"]


def provenance(run: PreparedRun, engine: str, seed: Any, solver: dict, wall: float) -> dict:
    """The ``meta`` of a run's Result: version, protocol, parameters, seed, engine, solver, platform."""
    from ..engines.threads import backend_version

    return {
        "version": __version__,
        "engine": engine,
        "protocol": run.protocol.to_dict(),
        "days": run.days,
        "genotype": run.genotype,
        "line": run.line,
        "seed": seed,
        "n_cohorts": run.n_cohorts if engine == "ode" else 0,
        "parameters": dict(zip(PARAM_NAMES, map(float, run.params), strict=True)),
        "solver": solver,
        "wall_time_s": wall,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "platform": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "numba": backend_version(),
        },
    }


#: Status of a run whose records hold NaN or infinite values (the ODE engine's own code for it).
NON_FINITE = 3


@dataclass
class BatchOutput:
    """Raw engine output of a batch of runs.

    Attributes:
        runs: The prepared runs, in order.
        engine: ``"ode"`` or ``"abm"``.
        records: Per run, the recorded states ``(n_days, n_state)`` (the agent-based engine records
            the global part only).
        status: Per run, 0 for success, else an engine status code.
        messages: Per run, what the status means.
        solver: Per run, the solver settings and statistics (``meta["solver"]`` of its Result).
        seeds: Per run, its seed.
        wall_time_s: Wall time of the whole batch.
        counts_by_type: Per run, cells of each type per day (agent-based engine; else ``None``).
        counts_by_marker: Per run, marker-positive cells per day (agent-based engine).
        spatial: Per run, its :class:`~ipscsim.results.spatial.SpatialRecord` (agent-based engine).
        stopped: Per run, why a tracker ended it early (empty if it ran to its end).
    """

    runs: list[PreparedRun]
    engine: str
    records: list[np.ndarray]
    status: np.ndarray
    messages: list[str]
    solver: list[dict[str, Any]]
    seeds: list[Any]
    wall_time_s: float
    counts_by_type: list[np.ndarray] | None = None
    counts_by_marker: list[np.ndarray] | None = None
    spatial: list[SpatialRecord] | None = None
    stopped: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Mark every run whose records hold NaN or infinite values as failed: no silent NaN."""
        self.status = np.array(self.status, dtype=np.int64, copy=True)
        self.messages = list(self.messages)
        for i in range(len(self.runs)):
            if not self.ok(i):
                continue
            arrays = [self.records[i]]
            for extra in (self.counts_by_type, self.counts_by_marker):
                if extra is not None:
                    arrays.append(extra[i])
            bad = [
                np.flatnonzero(~np.isfinite(a).reshape(len(a), -1).all(axis=1))
                for a in arrays
                if np.size(a)
            ]
            rows = np.concatenate(bad) if bad else np.zeros(0, dtype=np.int64)
            if rows.size:
                day = self.runs[i].record_days[int(rows.min())]
                self.status[i] = NON_FINITE
                self.messages[i] = (
                    f"the state became non-finite (NaN or inf) by day {day:g}: a parameter is "
                    "likely out of range"
                )

    def __len__(self) -> int:
        return len(self.runs)

    @property
    def stats(self) -> np.ndarray:
        """Per run: right-hand-side evaluations, accepted and rejected steps (ODE engine)."""
        keys = ("nfev", "n_accepted", "n_rejected")
        return np.array([[s.get(k, 0) for k in keys] for s in self.solver], dtype=np.int64)

    def ok(self, i: int) -> bool:
        """Whether run ``i`` succeeded."""
        return int(self.status[i]) == 0

    def message(self, i: int) -> str:
        """The meaning of run ``i``'s status code."""
        return self.messages[i]

    def days(self, i: int) -> np.ndarray:
        """The days run ``i`` recorded (shorter than asked if a tracker stopped it)."""
        return self.runs[i].record_days[: len(self.records[i])]

    def lineage(self, i: int) -> float:
        """Cells of the original culture one cell of run ``i`` stands for on its last recorded day."""
        return float(self.records[i][-1, self.records[i].shape[1] - L.N_GLOBALS + L.X_LINEAGE])

    def readouts(self) -> tuple[list[np.ndarray | None], list[np.ndarray | None]]:
        """Cells of each type and marker-positive cells per day of every run (``None`` if it failed).

        Runs of the ODE engine that share a parameter set are scored together (compiled:
        :mod:`ipscsim.engines.readouts`).
        As in :class:`~ipscsim.results.Result`, less than one cell per well is none
        (:func:`~ipscsim.model.readouts.floor_readouts`).
        """
        counts, markers = self._raw_readouts()
        for i, run in enumerate(self.runs):
            if counts[i] is not None:
                counts[i], markers[i] = floor_readouts(counts[i], markers[i], run.compiled.seeded)
        return counts, markers

    def _raw_readouts(self) -> tuple[list[np.ndarray | None], list[np.ndarray | None]]:
        n = len(self.runs)
        counts: list[np.ndarray | None] = [None] * n
        markers: list[np.ndarray | None] = [None] * n
        if self.counts_by_type is not None and self.counts_by_marker is not None:
            for i in range(n):
                if self.ok(i):
                    counts[i], markers[i] = self.counts_by_type[i], self.counts_by_marker[i]
            return counts, markers
        from ..engines.readouts import readout_counts_many

        groups: dict[tuple, list[int]] = {}
        for i, run in enumerate(self.runs):
            if self.ok(i):
                key = (run.n_cohorts, run.params.tobytes(), run.protocol.cassette)
                groups.setdefault(key, []).append(i)
        for members in groups.values():
            run = self.runs[members[0]]
            nil = 1.0 if run.protocol.cassette == "NIL" else 0.0
            scored = readout_counts_many(
                [self.records[i] for i in members], run.params, run.n_cohorts, nil
            )
            for i, (c, m) in zip(members, scored, strict=True):
                counts[i], markers[i] = c, m
        return counts, markers

    def result(self, i: int) -> Result:
        """Run ``i`` as a :class:`~ipscsim.results.Result`.

        Raises:
            SimulationError: if the run failed, naming the run and why.
        """
        run = self.runs[i]
        if not self.ok(i):
            raise SimulationError(f"run {i} (protocol {run.protocol.name!r}): {self.message(i)}")
        solver = dict(self.solver[i])
        if self.stopped and self.stopped[i]:
            solver["stopped"] = self.stopped[i]
        wall = self.wall_time_s / max(len(self.runs), 1)
        meta = provenance(run, self.engine, self.seeds[i], solver, wall)
        abm = self.engine == "abm"
        return Result(
            days=self.days(i),
            records=self.records[i],
            params=run.params,
            n_cohorts=0 if abm else run.n_cohorts,
            seeded=run.compiled.seeded,
            meta=meta,
            counts_by_type=self.counts_by_type[i] if self.counts_by_type is not None else None,
            counts_by_marker=self.counts_by_marker[i]
            if self.counts_by_marker is not None
            else None,
            spatial=self.spatial[i] if self.spatial is not None else None,
        )

    def results(self) -> list[Result]:
        """Every run as a Result (raises :class:`SimulationError` naming the first that failed)."""
        return [self.result(i) for i in range(len(self.runs))]
