"""Where a sweep's chunks run.

* ``None`` (the embedded default): chunks run one after the other in this process, each through the
  batch engine on all local cores (numba threads);
* a :class:`concurrent.futures.Executor` (threads or processes): chunks are submitted to it, one numba
  thread per chunk; a chunk lost because the executor broke (a worker process killed) is run here
  instead, with a warning. A process pool that would ``fork`` this process is replaced by a ``spawn``
  pool of the same size (with a warning): a process forked after the compiled kernels started their
  OpenMP threads may abort (GNU OpenMP forbids it) or deadlock;
* a :class:`dask.distributed.Client`, or a scheduler address (``"tcp://host:8786"``): chunks are submitted
  with ``retries`` so that a chunk lost with its worker runs again on another one; a chunk that is still
  lost after that becomes rows with status ``"lost"``, which are not results: the next run of the sweep
  (with the same store) runs them again, as the local executors would have.

Every finished chunk is handed to ``on_done`` at once (the store writes it), so an interruption loses
only running chunks.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from ..errors import ParameterError, warn
from .runner import ChunkTask, run_chunk, task_row
from .store import LOST

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
        A note on how the chunks ran (executor kind, the process ids that ran chunks, retried, lost or
        locally rerun chunks).
    """
    if executor is None:
        for index, task in tasks:
            task.n_threads = n_jobs
            on_done(index, run_chunk(task))
        return {"executor": "embedded", "threads": n_jobs, "worker_pids": [os.getpid()]}
    if isinstance(executor, str):
        _check_address(executor)
        from distributed import Client

        with Client(executor) as client:
            note = _run_dask(tasks, client, on_done)
        note["scheduler"] = executor
        return note
    if _is_dask_client(executor):
        return _run_dask(tasks, executor, on_done)
    if isinstance(executor, Executor):
        spawned = _spawn_instead_of_fork(executor)
        if spawned is None:
            return _run_futures(tasks, executor, on_done)
        with spawned:
            return {**_run_futures(tasks, spawned, on_done), "replaced_fork_pool": True}
    raise TypeError(
        f"executor: {type(executor).__name__} is neither a concurrent.futures.Executor, a "
        "dask.distributed.Client nor a scheduler address; pass None for the embedded default"
    )


def _check_address(text: str) -> None:
    """Refuse a string that cannot be a dask scheduler address (``tcp://host:8786``, ``host:8786``)."""
    if "://" in text or re.fullmatch(r"[\w.\-\[\]:]+:\d+", text.strip()):
        return
    raise ParameterError(
        f"executor: {text!r} is not a dask scheduler address such as 'tcp://127.0.0.1:8786'. For a "
        "local dask cluster pass dask.distributed.Client(); for local processes "
        "concurrent.futures.ProcessPoolExecutor(); or leave executor out (all local cores)"
    )


def _single_threaded(task: ChunkTask) -> ChunkTask:
    task.n_threads = 1
    return task


def _run_chunk_in_worker(task: ChunkTask) -> tuple[int, list[dict[str, Any]]]:
    """Run a chunk and say which process ran it."""
    return os.getpid(), run_chunk(task)


def _spawn_instead_of_fork(executor: Executor) -> ProcessPoolExecutor | None:
    """A spawn pool of the same size if ``executor`` is a process pool that forks, else ``None``."""
    if not isinstance(executor, ProcessPoolExecutor):
        return None
    context = getattr(executor, "_mp_context", None)
    if context is None or context.get_start_method() != "fork":
        return None
    import multiprocessing

    workers = getattr(executor, "_max_workers", None) or os.cpu_count() or 1
    warn(
        f"executor: a ProcessPoolExecutor that forks cannot run the compiled kernels safely (GNU "
        f"OpenMP aborts in a forked child); running the chunks in a spawn pool of {workers} workers "
        "instead. Pass ProcessPoolExecutor(mp_context=multiprocessing.get_context('spawn')) to "
        "choose this yourself",
        RuntimeWarning,
    )
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def _run_dask(tasks, client, on_done) -> dict[str, Any]:
    from distributed import as_completed

    futures = {}
    for index, task in tasks:
        fut = client.submit(
            _run_chunk_in_worker,
            _single_threaded(task),
            retries=RETRIES,
            pure=False,
            key=f"ipscsim-chunk-{index}-{id(task)}",
        )
        futures[fut] = index
    lost, pids = [], set()
    for fut in as_completed(futures):
        index = futures[fut]
        try:
            pid, rows = fut.result()
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            # a chunk that kept failing (its workers lost): not a result of its runs
            lost.append(index)
            message = f"chunk lost on the cluster (retried up to {RETRIES} times): {exc!r}"
            on_done(index, _lost_rows(dict(tasks)[index], message))
            continue
        pids.add(pid)
        on_done(index, rows)
    if lost:
        warn(
            f"{len(lost)} chunk(s) were lost with their workers (retried up to {RETRIES} times); "
            "their runs have status 'lost': run the sweep again (with the same store) to run them",
            RuntimeWarning,
        )
    return {
        "executor": "dask",
        "retries": RETRIES,
        "chunks_lost": lost,
        "worker_pids": sorted(pids),
    }


def _run_futures(tasks, executor, on_done) -> dict[str, Any]:
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    futures = {
        executor.submit(_run_chunk_in_worker, _single_threaded(task)): index
        for index, task in tasks
    }
    rerun_here, pids = [], set()
    for fut in as_completed(futures):
        index = futures[fut]
        try:
            pid, rows = fut.result()
        except BrokenProcessPool:
            rerun_here.append(index)
            continue
        pids.add(pid)
        on_done(index, rows)
    if rerun_here:
        warn(
            f"executor: the process pool broke (a worker died); running its {len(rerun_here)} "
            "unfinished chunk(s) in this process",
            RuntimeWarning,
        )
    by_index = dict(tasks)
    for index in rerun_here:  # the pool broke (a worker died): finish those chunks here
        on_done(index, run_chunk(by_index[index]))
    if rerun_here:
        pids.add(os.getpid())
    return {
        "executor": type(executor).__name__,
        "chunks_rerun_locally": rerun_here,
        "worker_pids": sorted(pids),
    }


def _lost_rows(task: ChunkTask, message: str) -> list[dict[str, Any]]:
    return [task_row(task, i, LOST, message) for i in range(len(task.run_ids))]
