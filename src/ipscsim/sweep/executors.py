"""Where a sweep's chunks run.

* ``None`` (the embedded default): chunks run one after the other in this process, each through the
  batch engine on all local cores (numba threads);
* a :class:`concurrent.futures.Executor` (threads or processes): chunks are submitted to it, one numba
  thread per chunk; a chunk lost because the executor broke (a worker process killed) is run here instead;
* a :class:`dask.distributed.Client`, or a scheduler address (``"tcp://host:8786"``): chunks are submitted
  with ``retries`` so that a chunk lost with its worker runs again on another one.

Every finished chunk is handed to ``on_done`` at once (the store writes it), so an interruption loses
only running chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

from .runner import ChunkTask, run_chunk

__all__ = ["RETRIES", "run_chunks"]

#: How often a chunk lost with its worker is tried again.
RETRIES = 3


def _is_dask_client(obj: Any) -> bool:
    return type(obj).__module__.startswith("distributed") and hasattr(obj, "submit")


def run_chunks(
    tasks: Sequence[tuple[int, ChunkTask]],
    executor: Any,
    n_jobs: int | None,
    on_done: Callable[[int, list[dict[str, Any]]], None],
) -> dict[str, Any]:
    """Run ``(chunk index, task)`` pairs on ``executor`` and report each result to ``on_done``.

    Returns:
        A note on how the chunks ran (executor kind, retried or locally rerun chunks).
    """
    if executor is None:
        for index, task in tasks:
            task.n_threads = n_jobs
            on_done(index, run_chunk(task))
        return {"executor": "embedded", "threads": n_jobs}
    if isinstance(executor, str):
        from distributed import Client

        with Client(executor) as client:
            note = _run_dask(tasks, client, on_done)
        note["scheduler"] = executor
        return note
    if _is_dask_client(executor):
        return _run_dask(tasks, executor, on_done)
    if isinstance(executor, Executor):
        return _run_futures(tasks, executor, on_done)
    raise TypeError(
        f"executor: {type(executor).__name__} is neither a concurrent.futures.Executor, a "
        "dask.distributed.Client nor a scheduler address; pass None for the embedded default"
    )


def _single_threaded(task: ChunkTask) -> ChunkTask:
    task.n_threads = 1
    return task


def _run_dask(tasks, client, on_done) -> dict[str, Any]:
    from distributed import as_completed

    futures = {}
    for index, task in tasks:
        fut = client.submit(
            run_chunk,
            _single_threaded(task),
            retries=RETRIES,
            pure=False,
            key=f"ipscsim-chunk-{index}-{id(task)}",
        )
        futures[fut] = index
    failed = []
    for fut in as_completed(futures):
        index = futures[fut]
        try:
            on_done(index, fut.result())
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # a chunk that kept failing (lost workers), reported as its runs
            failed.append(index)
            task = dict(tasks)[index]
            on_done(index, _failed_rows(task, f"chunk lost on the cluster: {exc!r}"))
    return {"executor": "dask", "retries": RETRIES, "chunks_failed": failed}


def _run_futures(tasks, executor, on_done) -> dict[str, Any]:
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    futures = {executor.submit(run_chunk, _single_threaded(task)): index for index, task in tasks}
    rerun_here = []
    for fut in as_completed(futures):
        index = futures[fut]
        try:
            on_done(index, fut.result())
        except BrokenProcessPool:
            rerun_here.append(index)
    by_index = dict(tasks)
    for index in rerun_here:  # the pool broke (a worker died): finish those chunks here
        on_done(index, run_chunk(by_index[index]))
    return {"executor": type(executor).__name__, "chunks_rerun_locally": rerun_here}


def _failed_rows(task: ChunkTask, message: str) -> list[dict[str, Any]]:
    rows = []
    for i, run_id in enumerate(task.run_ids):
        row = {
            "run_id": int(run_id),
            **{n: float(v) for n, v in zip(task.names, task.values[i], strict=True)},
            "seed": int(task.seeds[i]),
            "status": "failed",
            "message": message,
            "wall_time_s": float("nan"),
        }
        row.update({r.name: float("nan") for r in task.readouts})
        rows.append(row)
    return rows
