"""The executors: results in order, a job's exception raised with its cause, the warm-up once per worker, the shared
data sent once per worker, and the same results in process and in a pool."""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path

import pytest

from qa_engine.executors import InProcess, ProcessPool, executor

# spawned workers import this module by name to find the job functions; they read this variable to find the folder
WARM_DIR_ENV = "QA_TEST_EXECUTOR_DIR"


def _scaled(shared: dict, item: int) -> tuple[int, int]:
    time.sleep(0.01 * (item % 3))  # uneven job lengths: out-of-order completion must not reorder results
    return item, item * shared["factor"]


def _fails_on_three(shared: dict, item: int) -> int:
    if item == 3:
        try:
            {}["missing-key"]
        except KeyError as exc:
            raise ValueError(f"job {item} could not find its key") from exc
    return item


def _record_warm_up() -> None:
    folder = Path(os.environ[WARM_DIR_ENV])
    (folder / f"warm-{os.getpid()}-{time.monotonic_ns()}").write_text(os.environ.get("QA_TEST_SETTING", ""))


def _pid_and_loads(shared: object, item: int) -> tuple[int, int]:
    time.sleep(0.05)  # long enough that every worker gets jobs
    return os.getpid(), _Counted.loads


class _Counted:
    """Counts how often it was unpickled in this process."""

    loads = 0

    def __reduce__(self):
        return (_Counted._load, ())

    @staticmethod
    def _load() -> _Counted:
        _Counted.loads += 1
        return _Counted()


@pytest.fixture(params=["in-process", "pool"])
def make(request):
    return (lambda: InProcess()) if request.param == "in-process" else (lambda: ProcessPool(2))


def test_results_come_back_in_input_order(make) -> None:
    with make() as pool:
        pool.share({"factor": 3})
        mapped = pool.map(_scaled, range(12), chunksize=2)
        submitted = [f.result() for f in [pool.submit(_scaled, i) for i in range(6)]]
    assert mapped == [(i, 3 * i) for i in range(12)]
    assert submitted == [(i, 3 * i) for i in range(6)]


def test_a_failing_job_raises_its_exception_with_its_cause(make) -> None:
    with make() as pool:
        pool.share({})
        with pytest.raises(ValueError, match="job 3 could not find its key") as raised:
            pool.map(_fails_on_three, range(6))
        future = pool.submit(_fails_on_three, 3)
        assert isinstance(future.exception(), ValueError)
    # in a pool the cause is the worker's traceback as text; either way the KeyError and the job's line are there
    told = "".join(traceback.format_exception(raised.value))
    assert "KeyError: 'missing-key'" in told
    assert "_fails_on_three" in told


def test_warm_up_runs_once_in_each_worker_and_shared_data_is_loaded_once_per_worker(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv(WARM_DIR_ENV, str(tmp_path))  # spawned workers inherit the environment
    with ProcessPool(2, warm_up=_record_warm_up, env={"QA_TEST_SETTING": "set before the warm-up"}) as pool:
        pool.share(_Counted())
        seen = pool.map(_pid_and_loads, range(20))
    warmed = [p.name.split("-")[1] for p in tmp_path.glob("warm-*")]
    workers = {pid for pid, _ in seen}
    assert len(workers) == 2
    assert sorted(warmed) == sorted(str(pid) for pid in workers)  # each worker once, no other process
    assert {p.read_text() for p in tmp_path.glob("warm-*")} == {"set before the warm-up"}
    assert {loads for _, loads in seen} == {1}  # the shared object reached each worker once, not once per job


def test_a_new_share_reaches_the_workers() -> None:
    with ProcessPool(2) as pool:
        pool.share({"factor": 2})
        first = pool.map(_scaled, range(4))
        pool.share({"factor": 5})
        second = pool.map(_scaled, range(4))
    assert [r for _, r in first] == [0, 2, 4, 6]
    assert [r for _, r in second] == [0, 5, 10, 15]


def test_in_process_and_pool_give_the_same_results() -> None:
    items = list(range(25))
    with InProcess() as here:
        here.share({"factor": 7})
        expected = here.map(_scaled, items)
    with ProcessPool(2) as pool:
        pool.share({"factor": 7})
        assert pool.map(_scaled, items, chunksize=3) == expected


def test_one_worker_means_in_process() -> None:
    assert isinstance(executor(1), InProcess)
    assert isinstance(executor(3), ProcessPool)
    with pytest.raises(RuntimeError):
        ProcessPool(2).map(_scaled, [1])
