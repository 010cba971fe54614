"""Whole-pipeline benchmark: tickets/s and turns/s per stage, peak memory, incremental and cached re-runs.

    .venv/bin/python bench/score.py --tickets 2000 [--seed 7] [--batch-size 2000] [--keep DIR] [--json FILE]
    .venv/bin/python bench/score.py --tickets 100000 --runs read                 # 1M turns read and validated
    .venv/bin/python bench/score.py --tickets 10000 --no-models --runs first     # streaming memory, no models

Generates N realistic tickets (bench/generate.py, seeded) into a JSONL file and scores them into a fresh store:

1. first run: per stage (read, validate, language, nlp, affect, rules, reasons, tier, store) the seconds,
   tickets/s and turns/s, the whole run's rates, and the affect cache's counts;
2. second run over the same, unchanged file: every ticket is skipped (content hash), its speed-up over the first;
3. forced re-score (as after a rule-pack change): every ticket is scored again with the affect served from the
   cache; its whole-run tickets/s is the "rules and tiering without the models" figure, next to the rules+tier
   stages' own rate;

and the process's peak RSS (models included). Every run goes through the scoring runner (`qa_engine.runner.Runner`),
whose clock gives each stage's seconds. A warm-up on other tickets first loads what a run loads on first use (spaCy
pipelines, the validation suite), so the figures are the steady state; `--no-warmup` counts it.
`--no-models` swaps the affect and reasons model passes for fixed neutral values (bench/stages.py) to measure
streaming memory and the other stages on inputs too large to score with the models here. `--runs` picks which of
read,first,second,forced to run (`read`: reading and validation alone, streamed, nothing scored or stored).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STAGES = ("read", "validate", "language", "nlp", "affect", "rules", "reasons", "tier", "store")


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_once(source: Path, config, engine, stages) -> tuple:
    """One recorded scoring run through the runner; (summary, stage seconds, read and validate apart)."""
    from qa_engine.runner import Runner

    cpu = time.process_time()
    with Runner([str(source)], config, engine, stages) as run:
        run.run(run.read([str(source)]))
    seconds = dict(run.summary.stage_seconds)
    # CPU seconds of this process (all its threads): unlike wall time, barely moved by other work on the machine
    seconds["cpu"] = time.process_time() - cpu
    return run.summary, seconds


def print_stages(title: str, summary, stages: dict[str, float]) -> dict:
    print(f"\n{title}: {summary.read} tickets, {summary.turns} turns in {summary.seconds:.1f} s "
          f"({summary.scored} scored, {summary.unchanged} unchanged, {summary.quarantined} quarantined)")  # fmt: skip
    print(f"  {'stage':12s} {'seconds':>8s} {'tickets/s':>10s} {'turns/s':>10s}")
    rows = {}
    for stage in [*STAGES, "rules+tier", "whole run"]:
        if stage == "rules+tier":
            seconds = stages.get("rules", 0.0) + stages.get("tier", 0.0)
        elif stage == "whole run":
            seconds = summary.seconds
        else:
            seconds = stages.get(stage, 0.0)
        tickets = summary.scored if stage not in ("read", "validate", "whole run", "store") else summary.read
        turns = summary.turns * tickets / summary.read if summary.read else 0
        if seconds > 0:
            rate = (tickets / seconds, turns / seconds)
            rows[stage] = {"seconds": round(seconds, 3), "tickets_per_s": round(rate[0], 1),
                           "turns_per_s": round(rate[1])}  # fmt: skip
        else:  # the stage did not run (e.g. nothing to score in an unchanged re-run)
            rate = (float("nan"), float("nan"))
            rows[stage] = {"seconds": 0.0, "tickets_per_s": None, "turns_per_s": None}
        print(f"  {stage:12s} {seconds:8.2f} {rate[0]:10.1f} {rate[1]:10.0f}")
    rows["cpu_seconds"] = round(stages["cpu"], 1)
    print(f"  CPU time of the run {stages['cpu']:.1f} s: {summary.read / max(stages['cpu'], 1e-9):.1f} tickets per "
          f"CPU second (wall time on a shared machine includes waiting for a core)")  # fmt: skip
    print(f"  affect: {summary.affect_texts} distinct texts, {summary.affect_cache_hits} from the cache, "
          f"{summary.affect_scored} scored by the models")  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="keep the input, store and results here")
    parser.add_argument("--input", type=Path, help="score this JSONL file instead of generating one")
    parser.add_argument("--no-models", action="store_true", help="fixed neutral affect, no reasons model")
    parser.add_argument("--runs", default="first,second,forced", help="which runs: read,first,second,forced")
    parser.add_argument("--no-warmup", action="store_true", help="count first-use loading in the first run")
    parser.add_argument("--no-out", action="store_true", help="store only, no Parquet export")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    runs = {r.strip() for r in args.runs.split(",") if r.strip()}

    from bench.generate import generate_tickets, write_tickets
    from bench.stages import MODEL_FREE
    from qa_engine.pipeline import Engine, ScoreConfig
    from qa_engine.runner import Clock, read_batches
    from qa_engine.stages import SCORING

    work = args.keep or Path(tempfile.mkdtemp(prefix="qa-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    report: dict = {"tickets_requested": args.tickets, "seed": args.seed, "batch_size": args.batch_size,
                    "no_models": args.no_models, "command": " ".join(sys.argv)}  # fmt: skip
    if args.input:
        source = args.input
    else:
        source = work / "tickets.jsonl"
        clock = time.perf_counter()
        stats = write_tickets(generate_tickets(args.tickets, seed=args.seed), source, "jsonl")
        print(f"{stats.tickets} tickets, {stats.turns} turns ({stats.turns / max(stats.tickets, 1):.1f} per ticket) "
              f"in {source} (generated in {time.perf_counter() - clock:.0f} s)")  # fmt: skip

    config = ScoreConfig(db=work / "qa.duckdb", out=None if args.no_out else work / "out",
                         batch_tickets=args.batch_size)  # fmt: skip
    if "read" in runs:  # reading and validation alone, streamed: no scoring, no store
        clock = Clock()
        tickets = turns = 0
        for batch in read_batches([str(source)], config, clock):
            tickets, turns = tickets + batch.tickets.height, turns + batch.turns.height
        timings = dict(clock.seconds)
        report["read_only"] = {"tickets": tickets, "turns": turns, **{k: round(v, 2) for k, v in timings.items()},
                               "peak_rss_mb": round(peak_rss_mb())}  # fmt: skip
        for stage, seconds in timings.items():
            print(f"read-only pass: {stage} {seconds:.1f} s, {tickets / seconds:.0f} tickets/s, {turns / seconds:.0f} "
                  f"turns/s")  # fmt: skip
        print(f"read-only pass: {tickets} tickets, {turns} turns, peak RSS {peak_rss_mb():.0f} MB")
    if not runs & {"first", "second", "forced"}:
        print(f"\npeak RSS {peak_rss_mb():.0f} MB (no models loaded)")
        if args.json:
            args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
        return
    clock = time.perf_counter()
    engine = Engine(config)
    stages = MODEL_FREE if args.no_models else SCORING
    report["load_seconds"] = round(time.perf_counter() - clock, 1)
    print(f"models and rule pack loaded in {report['load_seconds']} s (not counted below); "
          f"peak RSS so far {peak_rss_mb():.0f} MB")  # fmt: skip
    if not args.no_warmup:
        # first use loads the spaCy pipelines and the validation suite: seconds that a nightly run pays once
        clock = time.perf_counter()
        warm = work / "warmup.jsonl"
        warm_tickets = 24
        write_tickets(generate_tickets(warm_tickets, seed=args.seed + 1000), warm, "jsonl")
        run_once(warm, ScoreConfig(db=work / "warmup.duckdb", batch_tickets=args.batch_size), engine, stages)
        report["warmup_seconds"] = round(time.perf_counter() - clock, 1)
        print(f"warm-up on {warm_tickets} other tickets (spaCy pipelines, validation suite): "
              f"{report['warmup_seconds']} s, not counted below")  # fmt: skip

    first = None
    if "first" in runs:
        first, seconds = run_once(source, config, engine, stages)
        report["first"] = print_stages("first run", first, seconds) | {"summary": first.as_dict()}
        report["peak_rss_mb_after_first"] = round(peak_rss_mb())
        print(f"  peak RSS {report['peak_rss_mb_after_first']} MB; tier mix {first.tiers}")
    if "second" in runs:
        second, seconds = run_once(source, config, engine, stages)
        report["second"] = print_stages("second run, unchanged input", second, seconds)
        if first:
            report["second_speedup"] = round(first.seconds / second.seconds, 1)
            print(f"  {report['second_speedup']}x faster than the first run")
    if "forced" in runs:
        from dataclasses import replace

        forced, seconds = run_once(source, replace(config, force=True), engine, stages)
        report["forced"] = print_stages("forced re-score, affect from the cache", forced, seconds)
        print(f"  rules and tiering without the models: {forced.read / forced.seconds:.0f} tickets/s whole run, "
              f"{report['forced']['rules+tier']['tickets_per_s']:.0f} tickets/s in the rules+tier stages")  # fmt: skip
    report["peak_rss_mb"] = round(peak_rss_mb())
    print(f"\npeak RSS {report['peak_rss_mb']} MB (whole process, models included)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
