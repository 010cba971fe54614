"""Whole-pipeline benchmark: tickets/s and turns/s per stage, peak memory, and the incremental second run.

    .venv/bin/python bench/score.py --tickets 2000 [--seed 7] [--batch-size 2000] [--keep DIR]

Generates N realistic tickets (bench/generate.py, seeded) into a temporary JSONL file, scores them into a fresh
store (first run), then scores the same file again (second run: unchanged tickets are skipped), and prints per
stage (read+validate, language, affect, rules, tier, store) the seconds, tickets/s and turns/s, the whole run's
rates, peak RSS, and the second run's speed-up.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="keep the input, store and results here")
    args = parser.parse_args()

    from bench.generate import generate_tickets, write_tickets
    from qa_engine.pipeline import Engine, ScoreConfig, score_files

    work = args.keep or Path(tempfile.mkdtemp(prefix="qa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    source = work / "tickets.jsonl"
    stats = write_tickets(generate_tickets(args.tickets, seed=args.seed), source, "jsonl")
    print(
        f"{stats.tickets} tickets, {stats.turns} turns ({stats.turns / stats.tickets:.1f} per ticket) in {source}"
    )

    clock = time.perf_counter()
    config = ScoreConfig(db=work / "qa.duckdb", out=work / "out", batch_tickets=args.batch_size)
    engine = Engine(config)
    print(f"models and rule pack loaded in {time.perf_counter() - clock:.1f} s (not counted below)")

    first = score_files([str(source)], config, engine=engine)
    print(f"\nfirst run: {first.read} tickets, {first.turns} turns in {first.seconds:.1f} s")
    print(f"{'stage':10s} {'seconds':>8s} {'tickets/s':>10s} {'turns/s':>10s}")
    for stage, seconds in first.stage_seconds.items():
        print(f"{stage:10s} {seconds:8.2f} {first.read / seconds:10.0f} {first.turns / seconds:10.0f}")
    rules_tier = first.stage_seconds.get("rules", 0) + first.stage_seconds.get("tier", 0)
    print(
        f"{'rules+tier':10s} {rules_tier:8.2f} {first.read / rules_tier:10.0f} {first.turns / rules_tier:10.0f}"
    )
    print(
        f"{'whole run':10s} {first.seconds:8.2f} {first.read / first.seconds:10.1f} {first.turns / first.seconds:10.0f}"
    )

    second = score_files([str(source)], config, engine=engine)
    print(
        f"\nsecond run over unchanged input: {second.seconds:.1f} s ({second.unchanged} unchanged, "
        f"{second.scored} scored): {first.seconds / second.seconds:.1f}x faster than the first"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB; tier mix {first.tiers}")


if __name__ == "__main__":
    main()
