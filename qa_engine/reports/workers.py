"""Worker processes for `render_all`: started early, handed the shared data once, then given report jobs.

Charts and page layout are CPU-bound Python, so many reports render in parallel processes, not threads. A worker
process spends seconds importing matplotlib and WeasyPrint; `RenderPool` starts the workers as soon as it is
created, so they import while the parent reads the rule pack and the store, and only then hands them the loaded
data: pickled once into a file that each worker reads on its first job. Processes are spawned, not forked: DuckDB
and polars hold thread pools that a forked child must not inherit.
"""

from __future__ import annotations

import multiprocessing as mp
import pickle
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

_CONTEXT_FILE: Path | None = None  # in a worker: where the parent puts the shared data
_CONTEXT: Any = None


def _init_worker(context_file: Path) -> None:
    global _CONTEXT_FILE
    _CONTEXT_FILE = context_file


def _warm_up() -> None:
    """Import the rendering libraries now, while the parent is still loading the data."""
    import weasyprint  # noqa: F401

    import qa_engine.reports.build  # noqa: F401


def worker_context() -> Any:
    """The shared data, read from the parent's file on first use."""
    global _CONTEXT
    if _CONTEXT is None and _CONTEXT_FILE is not None:
        _CONTEXT = pickle.loads(_CONTEXT_FILE.read_bytes())
    return _CONTEXT


def _call(job: tuple[Callable[[Any, Any], Any], Any]) -> Any:
    function, argument = job
    return function(worker_context(), argument)


class RenderPool:
    """`with RenderPool(n) as pool: ...; results = pool.map(function, context, items)`: function(context, item)
    for each item, in order; with n == 1 everything runs in this process."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._folder: tempfile.TemporaryDirectory | None = None
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> RenderPool:
        if self.workers > 1:
            self._folder = tempfile.TemporaryDirectory(prefix="qa-reports-")
            self._context_file = Path(self._folder.name) / "context.pickle"
            self._executor = ProcessPoolExecutor(
                self.workers,
                mp_context=mp.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self._context_file,),
            )
            for _ in range(self.workers):  # a submitted job starts a process: they import while we load
                self._executor.submit(_warm_up)
        return self

    def map(self, function: Callable[[Any, Any], Any], context: Any, items: Sequence[Any]) -> list[Any]:
        if self._executor is None:
            return [function(context, item) for item in items]
        self._context_file.write_bytes(pickle.dumps(context, protocol=pickle.HIGHEST_PROTOCOL))
        return list(self._executor.map(_call, [(function, item) for item in items], chunksize=2))

    def __exit__(self, *exc: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        if self._folder is not None:
            self._folder.cleanup()
