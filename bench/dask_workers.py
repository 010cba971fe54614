"""Scale-out benchmark: the nightly flow's scoring on a Dask cluster of 1, 2, ... worker processes.

    .venv/bin/python bench/dask_workers.py --tickets 400 --workers 1,2 [--batch-size 50] [--seed 7]

For each worker count it starts a local Dask cluster (processes, one thread each, torch threads split between
them, as `qa schedule --workers N` does), warms every worker up (models loaded) on a small file, then runs the
flow's Dask scoring (`flows.nightly.score_on_dask`, through `--dask-address`, the path a real cluster takes) on
N generated tickets into a fresh store, and prints wall seconds, tickets/s and turns/s. Each run starts with an
empty affect cache, so the models score every text.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
for name, value in {
    "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "GX_ANALYTICS_ENABLED": "false",
    "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}.items():  # fmt: skip
    os.environ.setdefault(name, value)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="qa-dask-bench-"))
    # before Prefect is imported: its state goes here
    os.environ.setdefault("PREFECT_HOME", str(work / "prefect"))

    from distributed import LocalCluster
    from prefect_dask import DaskTaskRunner

    from bench.generate import generate_tickets, write_tickets
    from flows.nightly import score_on_dask

    source, warmup = work / "tickets.jsonl", work / "warmup.jsonl"
    stats = write_tickets(generate_tickets(args.tickets, seed=args.seed), source, "jsonl")
    write_tickets(generate_tickets(8, seed=args.seed + 1000), warmup, "jsonl")
    print(
        f"{stats.tickets} tickets, {stats.turns} turns; batches of {args.batch_size}; {os.cpu_count()} cores"
    )
    results = {}
    for workers in [int(w) for w in args.workers.split(",")]:
        threads = str(max(1, (os.cpu_count() or 1) // workers))
        with LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
            env={"QA_TORCH_THREADS": threads, "OMP_NUM_THREADS": threads},
        ) as cluster:  # fmt: skip
            flow = score_on_dask.with_options(task_runner=DaskTaskRunner(address=cluster.scheduler_address))
            clock = time.perf_counter()
            flow([str(warmup)], str(work / f"warm-{workers}.duckdb"), None, None, 1, 2 * workers)
            warm = time.perf_counter() - clock
            clock = time.perf_counter()
            summary = flow(
                [str(source)], str(work / f"w{workers}.duckdb"), None, None, args.batch_size, 2 * workers
            )
            seconds = time.perf_counter() - clock
        results[workers] = seconds
        print(f"{workers} worker(s): {seconds:.1f} s, {summary['read'] / seconds:.1f} tickets/s, "
              f"{summary['turns'] / seconds:.0f} turns/s (warm-up with model loading {warm:.0f} s, not counted)")  # fmt: skip
    base = results[min(results)]
    for workers, seconds in sorted(results.items()):
        print(f"  {workers} worker(s): speed-up {base / seconds:.2f}x over {min(results)}")


if __name__ == "__main__":
    main()
