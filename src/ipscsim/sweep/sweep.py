"""The :class:`Sweep`: a protocol, a space, a design; run anywhere, stored, resumable."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError, ProtocolError, check_int
from ..model.codegen_lanes import LANES
from ..model.inputs import compile_protocol
from ..protocols.presets import as_protocol
from ..solvers import Record, engine_settings, keywords_of
from .designs import design_points
from .knobs import apply_knobs
from .readouts import check_readout_days, parse_readouts
from .runner import ChunkTask
from .space import ParameterSpace

__all__ = ["Sweep"]


class Sweep:
    """A parameter study: a base protocol, a space of knobs and parameters, a design.

    Args:
        protocol: Base protocol (a Protocol, a preset name, a file path or a dict).
        space: Names to values or distributions (see :mod:`ipscsim.sweep.space`), or a SALib problem.
        design: ``"grid"``, ``"random"``, ``"lhs"``, ``"sobol"``, or an explicit ``(n, d)`` array.
        n: Number of runs for the sampling designs.
        seed: Seed of the design and of every run's seed (an int; ``None`` draws one and records it).
        engine: :class:`~ipscsim.ODE` (default) or :class:`~ipscsim.ABM` (each run its own seed).
        readouts: What to record per run (default: every summary field; see
            :mod:`ipscsim.sweep.readouts`).
        params: Parameter overrides applied to every run.
        days: Days to simulate (default: the protocol's).
        genotype: MN genotype.
        record: What the engine records (:class:`~ipscsim.Record`; the readouts' days are added).
        **options: The old flat keywords (``engine="ode"``, ``cohorts``, ``rtol``, ``atol``,
            ``max_steps``, ``record_every``), accepted with a ``DeprecationWarning``.

    Raises:
        ParameterError, ProtocolError: before anything runs, for an unknown knob, an empty range, or a
            value that makes an invalid protocol (naming it and the fix).

    Examples:
        >>> import ipscsim as ips
        >>> s = ips.Sweep("maury2015", {"SAG.scale": [0.1, 1, 10], "DAPT.start": [7, 9, 11]})
        >>> len(s)
        9
    """

    def __init__(
        self,
        protocol: Any,
        space: Mapping[str, Any],
        design: Any = "grid",
        n: int | None = None,
        seed: int | None = None,
        engine: Any = None,
        readouts: Sequence[str] | None = None,
        params: Mapping[str, float] | None = None,
        days: float | None = None,
        genotype: str = "control",
        record: Record | None = None,
        **options: Any,
    ):
        from ..model.parameters import genotype_hazard, resolve_params

        accepted = keywords_of(Sweep.__init__)
        self.engine, self.record = engine_settings(engine, record, options, "Sweep", accepted)
        self.protocol = as_protocol(protocol)
        self.space = ParameterSpace(space, self.protocol.compounds)
        self.design = design if isinstance(design, str) else "explicit"
        if seed is not None:
            seed = check_int("seed", seed, 0, 2**63 - 1)
        self._design_args = (design, n)
        self._seed_given = seed is not None
        self._set_seed(int(np.random.SeedSequence().entropy % 2**63) if seed is None else int(seed))
        self.readouts = parse_readouts(readouts)
        if params is not None and not isinstance(params, Mapping):
            raise ParameterError(
                f"params: {params!r} must be a dict of parameter name = value, applied to every run"
            )
        self.fixed_params = dict(params or {})
        resolve_params(self.fixed_params)  # validates names and values
        genotype_hazard(genotype)
        if days is not None:
            compile_protocol(self.protocol, days)  # validates the days
        self.days, self.genotype = days, genotype
        check_readout_days(self.readouts, days if days is not None else self.protocol.days)
        self._validate_points()

    def _set_seed(self, seed: int) -> None:
        """Fix the seed: the design's points (for sampling designs) and every run's seed follow."""
        self.seed = seed
        self.points = design_points(self.space, *self._design_args, seed)
        if len(self.points) == 0:
            raise ParameterError("design: no points to run")
        seeds = np.random.SeedSequence(seed).generate_state(len(self.points), np.uint64)
        self.seeds = (seeds % np.uint64(2**63)).astype(np.int64)

    def __len__(self) -> int:
        return len(self.points)

    # ------------------------------------------------------------------ points
    def point(self, run_id: int) -> dict[str, float]:
        """The dimension values of one run."""
        return dict(zip(self.space.names, map(float, self.points[run_id]), strict=True))

    def protocol_for(self, run_id: int):
        """The Protocol of one run (its knobs applied)."""
        knobs = {
            d.name: float(v)
            for d, v in zip(self.space.dimensions, self.points[run_id], strict=True)
            if d.kind == "knob"
        }
        return apply_knobs(self.protocol, knobs)

    def params_for(self, run_id: int) -> dict[str, float]:
        """The parameter overrides of one run."""
        out = dict(self.fixed_params)
        out.update(
            {
                d.name: float(v)
                for d, v in zip(self.space.dimensions, self.points[run_id], strict=True)
                if d.kind == "param"
            }
        )
        return out

    def _validate_points(self) -> None:
        """Reject, before anything runs, a value that is invalid on its own.

        Each dimension's values (grid values, or the extremes of its sampled points) are applied alone to
        the base protocol; a combination of values that are each valid but invalid together (say a start
        after an end) is not an error here: its run becomes a row with status ``"invalid"``.
        """
        for j, d in enumerate(self.space.dimensions):
            col = self.points[:, j]
            values = np.unique(col) if d.is_grid else np.array([np.min(col), np.max(col)])
            if d.kind == "param":
                for v in values:
                    self.space.check_params({d.name: float(v)})
                continue
            for v in values:
                try:
                    apply_knobs(self.protocol, {d.name: float(v)})
                except ProtocolError as exc:
                    raise ProtocolError(f"space {d.name!r}: {exc}; narrow its range") from None

    # ------------------------------------------------------------------ spec and running
    def spec(self) -> dict[str, Any]:
        """The sweep as plain data (what a store records and hashes)."""
        return {
            "protocol": self.protocol.to_dict(),
            "space": self.space.to_dict(),
            "design": self.design,
            "n_runs": len(self),
            "points_digest": _digest(self.points),
            "seed": self.seed,
            "engine": {"name": self.engine.name, **asdict(self.engine)},
            "readouts": [r.name for r in self.readouts],
            "params": self.fixed_params,
            "settings": {
                "days": self.days,
                "genotype": self.genotype,
                "record": asdict(self.record),
            },
        }

    def _tasks(self, run_ids: Sequence[int], chunk_size: int):
        kinds = [d.kind for d in self.space.dimensions]
        proto = self.protocol.to_dict()
        for start in range(0, len(run_ids), chunk_size):
            ids = list(run_ids[start : start + chunk_size])
            yield (
                start // chunk_size,
                ChunkTask(
                    protocol=proto,
                    names=list(self.space.names),
                    kinds=kinds,
                    run_ids=ids,
                    values=self.points[ids],
                    seeds=[int(self.seeds[i]) for i in ids],
                    readouts=self.readouts,
                    fixed_params=self.fixed_params,
                    engine=self.engine,
                    record=self.record,
                    days=self.days,
                    genotype=self.genotype,
                ),
            )

    def run(
        self,
        executor: Any = None,
        n_jobs: int | None = None,
        store: str | Path | None = None,
        progress: bool = True,
        chunk_size: int | None = None,
    ):
        """Run the sweep (skipping runs already in ``store``) and return a :class:`SweepResult`.

        Args:
            executor: ``None`` (the batch engine on all local cores), a
                :class:`concurrent.futures.Executor`, a :class:`dask.distributed.Client` or a scheduler
                address.
            n_jobs: Threads of the embedded default (default: all cores).
            store: A directory for the Parquet store (resumable); ``None`` keeps rows in memory.
            progress: Show a progress bar (tqdm; works in terminals and notebooks).
            chunk_size: Runs per chunk (default: about 40 chunks, between 16 and 512 runs each).
        """
        from tqdm.auto import tqdm

        from .executors import run_chunks
        from .result import SweepResult
        from .store import SweepStore

        _check_store(store)
        if store is not None and not self._seed_given:
            self._adopt_stored_seed(Path(store))
        spec = self.spec()
        st = SweepStore(store, spec) if store is not None else None
        done = st.done() if st is not None else set()
        todo = [i for i in range(len(self)) if i not in done]
        chunk_size = self._chunk_size(chunk_size)
        rows: list[dict[str, Any]] = []
        bar = tqdm(total=len(self), initial=len(done), disable=not progress, unit="run")
        bar.set_description(f"sweep {self.protocol.name}")

        def on_done(index: int, chunk_rows: list[dict[str, Any]]) -> None:
            if st is not None:
                st.write(chunk_rows, index)
            else:
                rows.extend(chunk_rows)
            bar.update(len(chunk_rows))

        t0 = time.perf_counter()
        try:
            note = run_chunks(list(self._tasks(todo, chunk_size)), executor, n_jobs, on_done)
        finally:
            bar.close()
        wall = time.perf_counter() - t0
        note.update(wall_time_s=wall, runs_this_call=len(todo), runs_from_store=len(done))
        meta: dict[str, Any] = {"spec": spec, "run": {**note, "chunk_size": chunk_size}}
        if st is not None:
            meta["store"] = str(st.path)
            meta["provenance"] = st.meta
        return SweepResult(st.read() if st is not None else _frame(rows), self, meta)

    def _chunk_size(self, chunk_size: int | None) -> int:
        """The runs per chunk: about 40 chunks of 16 to 512 runs unless given.

        The default is a whole number of the ensemble engine's bundles (``LANES`` runs), so that no
        chunk leaves vector lanes idle for want of runs.
        """
        if chunk_size is None:
            bundles = math.ceil(len(self) / 40 / LANES)
            return min(512, max(16, LANES * bundles))
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ParameterError(f"chunk_size: {chunk_size!r} must be a positive integer")
        return chunk_size

    def _adopt_stored_seed(self, store: Path) -> None:
        """Resume a store written by this sweep run without a seed: take the seed it recorded."""
        import json

        from .store import SPEC_FILE

        meta_file = store / SPEC_FILE
        if not meta_file.is_file():
            return
        try:
            stored = json.loads(meta_file.read_text(encoding="utf-8")).get("spec", {})
        except (OSError, UnicodeDecodeError, ValueError, AttributeError):
            return  # the store refuses it with its own error when opened
        if not isinstance(stored, dict) or "seed" not in stored:
            return
        mine = {k: v for k, v in self.spec().items() if k not in ("seed", "points_digest")}
        theirs = {k: v for k, v in stored.items() if k not in ("seed", "points_digest")}
        if json.loads(json.dumps(mine, default=str)) == json.loads(json.dumps(theirs, default=str)):
            self._set_seed(int(stored["seed"]))

    def __repr__(self) -> str:
        return (
            f"Sweep({self.protocol.name!r}, {len(self)} runs, design={self.design!r}, "
            f"dimensions={list(self.space.names)})"
        )


def _frame(rows: list[dict[str, Any]]):
    """The rows of an in-memory sweep as a table indexed by run."""
    import pandas as pd

    return pd.DataFrame(rows).set_index("run_id").sort_index() if rows else pd.DataFrame()


def _digest(points: np.ndarray) -> str:
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(points, dtype=np.float64).tobytes()).hexdigest()[:16]


def _check_store(store: Any) -> None:
    """A store is a folder's name (``None``: rows in memory); ``""`` was the working directory."""
    if store is not None and (not isinstance(store, (str, os.PathLike)) or not str(store).strip()):
        raise ParameterError(
            f"store: {store!r} is not a folder name; give the store's folder, e.g. store='runs' "
            "(or leave it out to keep the rows in memory)"
        )
