"""Where independent jobs run: here (`InProcess`) or in worker processes (`ProcessPool`), behind one interface.

Jobs are `function(shared, item)`: `shared` is what every job of a run needs (a report run's loaded period, a
scoring run's configuration), handed over once with `share` and sent to each worker once, not with every job; the
item is the job's own argument. `map` returns the results in the items' order, `submit` a `Future` (what
`Runner.run(submit=...)` takes). An exception in a job is raised where its result is read, with the job's own
traceback (and the exception it was raised from) as its cause.

A worker process spends seconds importing its libraries (matplotlib and WeasyPrint, torch). `ProcessPool` starts
its workers as soon as it is entered and runs `warm_up` in each of them once, so they import while the caller is
still loading the shared data; only then does `share` pickle that data, once, into a file each worker reads on its
first job. Processes are spawned, not forked: DuckDB, polars and torch hold thread pools that a forked child must
not inherit. Like any multiprocessing program, a script that uses a `ProcessPool` must guard its entry point with
`if __name__ == "__main__":`, because each worker imports the main module.

The nightly flow's Dask workers are the third executor; they take batches through `Runner.run(submit=...)` too.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
Job = Callable[[Any, T], R]


class InProcess:
    """Every job here, at once, in order: the default, and what few jobs or one core should use."""

    workers = 1

    def __init__(self) -> None:
        self._shared: Any = None

    def __enter__(self) -> InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def share(self, shared: Any) -> None:
        """What every following job receives as its first argument."""
        self._shared = shared

    def submit(self, function: Job[T, R], item: T) -> Future[R]:
        """Run the job now; its result (or exception) waits in the returned future."""
        future: Future[R] = Future()
        try:
            future.set_result(function(self._shared, item))
        except Exception as exc:  # raised again where the result is read, as a pool's would be
            future.set_exception(exc)
        return future

    def map(self, function: Job[T, R], items: Iterable[T], chunksize: int = 1) -> list[R]:
        """function(shared, item) for each item, in order."""
        return [function(self._shared, item) for item in items]


# In a worker process: the file the shared data was last read from, and that data.
_SHARED_FILE: Path | None = None
_SHARED: Any = None


def _start_worker(env: Mapping[str, str], warm_up: Callable[[], object] | None) -> None:
    os.environ.update(env)
    if warm_up is not None:
        warm_up()


def _started() -> None:
    """A job that only makes the pool start a worker process (which runs the warm-up)."""


def _shared_from(path: Path) -> Any:
    global _SHARED_FILE, _SHARED
    if path != _SHARED_FILE:
        _SHARED = pickle.loads(path.read_bytes())
        _SHARED_FILE = path
    return _SHARED


def _call(job: tuple[Callable[[Any, Any], Any], Path | None, Any]) -> Any:
    function, path, item = job
    return function(None if path is None else _shared_from(path), item)


class ProcessPool:
    """`with ProcessPool(n, warm_up) as pool: pool.share(data); pool.map(function, items)` in n spawned worker
    processes. `function` and `warm_up` must be importable module-level functions (they are pickled by name);
    `env` is set in each worker before its warm-up (e.g. QA_TORCH_THREADS, to split the cores between workers)."""

    def __init__(
        self, workers: int, warm_up: Callable[[], object] | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self.workers = workers
        self._warm_up = warm_up
        self._env = dict(env or {})
        self._executor: ProcessPoolExecutor | None = None
        self._folder: tempfile.TemporaryDirectory | None = None
        self._shared_file: Path | None = None
        self._generation = itertools.count()

    def __enter__(self) -> ProcessPool:
        self._folder = tempfile.TemporaryDirectory(prefix="qa-pool-")
        self._executor = ProcessPoolExecutor(
            self.workers,
            mp_context=mp.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._env, self._warm_up),
        )
        for _ in range(self.workers):  # each submission starts a process: they warm up while the caller loads
            self._executor.submit(_started)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def share(self, shared: Any) -> None:
        """Pickle `shared` once into a file that each worker reads on its next job (a new file for each call)."""
        if self._folder is None:
            raise RuntimeError("share() on a ProcessPool that was not entered")
        path = Path(self._folder.name) / f"shared-{next(self._generation)}.pickle"
        path.write_bytes(pickle.dumps(shared, protocol=pickle.HIGHEST_PROTOCOL))
        self._shared_file = path

    def submit(self, function: Job[T, R], item: T) -> Future[R]:
        """function(shared, item) on a worker; the future's result is the job's."""
        return self._pool().submit(_call, (function, self._shared_file, item))

    def map(self, function: Job[T, R], items: Iterable[T], chunksize: int = 1) -> list[R]:
        """function(shared, item) for each item on the workers, `chunksize` items per message; results in order."""
        jobs = [(function, self._shared_file, item) for item in items]
        return list(self._pool().map(_call, jobs, chunksize=chunksize))

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            raise RuntimeError("a ProcessPool takes jobs inside its `with` block")
        return self._executor


Executor = InProcess | ProcessPool


def executor(workers: int, warm_up: Callable[[], object] | None = None) -> Executor:
    """`ProcessPool(workers, warm_up)`, or `InProcess()` for one worker (no process to start, nothing to warm)."""
    return ProcessPool(workers, warm_up) if workers > 1 else InProcess()
