"""Executor benchmark: the same work in this process and on a `qa_engine.executors.ProcessPool`, side by side.

    .venv/bin/python bench/executors.py [--part reports,scoring] [--tickets 2000] [--seed 7] [--batch-size 250]
                                        [--workers 2] [--rounds 1] [--json FILE]

reports: the bundled examples (what `qa demo` scores) scored once into a store, then `render_all` over it with 1 and
with `--workers` processes, alternating, `--rounds` times each; checks both write the same files and pages.
scoring: N generated tickets (bench/generate.py, seeded) scored into a fresh store by the runner in this process
(`Runner.run`), then into another by a pool of `--workers` processes (`Runner.run_on`, torch threads split between
the workers, each worker's models loaded by its warm-up while the parent loads its own); every ticket's tier,
dissatisfaction risk and QA score are compared between the two stores.

Each figure is wall seconds, CPU seconds of this process and its finished children (the pool's workers count once
the pool has shut down), and the load average: on a shared two-core machine the wall time says as much about the
neighbours as about the work, the CPU seconds say what the work cost.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
for name, value in {
    "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "false", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
}.items():  # fmt: skip
    os.environ.setdefault(name, value)


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measured(label: str, work: Callable[[], Any]) -> tuple[dict, Any]:
    """Run `work`; its wall and CPU seconds and the load average before it."""
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), _cpu_seconds()
    result = work()
    figures = {
        "what": label, "wall_s": round(time.perf_counter() - wall, 1), "cpu_s": round(_cpu_seconds() - cpu, 1),
        "load_before": round(load, 1),
    }  # fmt: skip
    print(json.dumps(figures), flush=True)
    return figures, result


def bench_reports(folder: Path, workers: int, rounds: int) -> list[dict]:
    from qa_engine import paths
    from qa_engine.pipeline import ScoreConfig, score_files
    from qa_engine.reports import render_all

    db = folder / "demo.duckdb"
    examples = sorted(str(p) for p in paths.examples_dir().glob("*.jsonl"))
    measured("score the bundled examples", lambda: score_files(examples, ScoreConfig(db=db, force=True)))
    figures, outputs = [], {}
    for round_ in range(rounds):
        for count in (1, workers) if round_ % 2 == 0 else (workers, 1):
            out = folder / f"reports-{count}-{round_}"
            row, summary = measured(
                f"render_all workers={count}", partial(render_all, db, out, workers=count)
            )
            row.update(reports=len(summary.files), workers_used=summary.workers)
            figures.append(row)
            outputs[count] = sorted((Path(f.html).name, f.pages) for f in summary.files)
    same = outputs[1] == outputs[workers]
    print(f"reports: the same {len(outputs[1])} files and page counts with 1 and {workers} workers: {same}")
    figures.append({"what": "reports identical (files, pages)", "same": same})
    return figures


def _score(source: Path, db: Path, batch: int, workers: int) -> dict:
    from qa_engine.executors import ProcessPool
    from qa_engine.pipeline import ScoreConfig
    from qa_engine.runner import Runner, process_engine

    config = ScoreConfig(db=db, batch_tickets=batch, force=True)
    if workers == 1:
        with Runner([source], config) as run:
            run.run(run.read([source]))
        return run.summary.as_dict()
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    env = {"QA_TORCH_THREADS": threads, "OMP_NUM_THREADS": threads}
    # the pool first: its workers load their models while the runner loads the parent's
    pool = ProcessPool(workers, warm_up=partial(process_engine, config), env=env)
    with pool, Runner([source], config) as run:
        run.run_on(pool, run.read([source]))
    return run.summary.as_dict()


def _scored(db: Path) -> dict[str, tuple]:
    from qa_engine.store import Store

    rows = Store(db).query("SELECT ticket_id, tier, dissatisfaction_risk, qa_score FROM tickets")
    return {r[0]: r[1:] for r in rows.iter_rows()}


def bench_scoring(folder: Path, tickets: int, seed: int, batch: int, workers: int) -> list[dict]:
    from bench.generate import generate_tickets, write_tickets

    source = folder / "tickets.jsonl"
    write_tickets(generate_tickets(tickets, seed=seed), source, "jsonl")
    figures, stores = [], {}
    for count in (1, workers):
        stores[count] = folder / f"scored-{count}.duckdb"
        label = "score in process" if count == 1 else f"score on a pool of {count}"
        row, summary = measured(label, partial(_score, source, stores[count], batch, count))
        row.update({k: summary[k] for k in ("scored", "tiers", "stage_seconds", "affect_cache_hits")})
        row["peak_rss_mb_children"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
        print(json.dumps(row), flush=True)
        figures.append(row)
    here, pooled = _scored(stores[1]), _scored(stores[workers])
    tiers_differ = sorted(t for t in here if pooled.get(t, (None,))[0] != here[t][0])
    risk = max((abs((here[t][1] or 0) - (pooled[t][1] or 0)) for t in here if t in pooled), default=0.0)
    score = max((abs((here[t][2] or 0) - (pooled[t][2] or 0)) for t in here if t in pooled), default=0.0)
    check = {
        "what": "in process vs pool", "tickets": len(here), "in_both": len(here.keys() & pooled.keys()),
        "tiers_differ": tiers_differ, "max_risk_difference": risk, "max_qa_score_difference": score,
    }  # fmt: skip
    print(json.dumps(check), flush=True)
    figures.append(check)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", default="reports,scoring", help="reports, scoring or both (comma-separated)"
    )
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--batch-size", type=int, default=250, help="tickets per batch (the pool's unit of work)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="report renderings per worker count")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    parts = set(args.part.split(","))
    figures: list[dict] = [
        {"cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    ]
    with tempfile.TemporaryDirectory(prefix="qa-bench-executors-") as tmp:
        if "reports" in parts:
            figures += bench_reports(Path(tmp), args.workers, args.rounds)
        if "scoring" in parts:
            figures += bench_scoring(Path(tmp), args.tickets, args.seed, args.batch_size, args.workers)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
