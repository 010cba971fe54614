"""KPI benchmark: `qa kpi --by agent --json` on a store of 10,000 tickets must answer in under 2 seconds.

    .venv/bin/python bench/kpi.py [--tickets 10000] [--turns 8] [--agents 200] [--seed 7] [--db PATH]

Fills a fresh store with synthetic scored rows in one `Store.write_results` call (seeded: channels, time stamps,
sentiment, CSAT, escalation risk and repeat customers drawn at random, a few turns without ts), then times
1. `kpi_table(db, by="agent")` plus the JSON dump in this process: the command's own work (best and median of 5),
2. `python -m qa_engine kpi --by agent --json --db DB` as a user runs it, and `python -m qa_engine --help` beside
   it (best of 3 each): the difference is what `qa kpi` adds to the CLI's start-up.
Exit status 1 when the command's own work takes 2 s or more.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa_engine.store import Store

BUDGET_S = 2.0
START = datetime(2026, 10, 1, tzinfo=UTC)
CHANNELS = ["chat", "chat", "chat", "email", "email", "social", "phone", "other"]
SENTIMENTS = ["negative", "neutral", "positive"]
RULES = [
    "greeting_own_name",
    "clarifying_question",
    "reassurance_next_step",
    "closing_thanks",
    "first_response_sla",
]


def synthetic_frames(n: int, turns_per_ticket: int, agents: int, seed: int) -> dict[str, pl.DataFrame]:
    """tickets, turns and rule_results frames of `n` scored tickets, built column-wise (no Python row loop)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"B-{i:06d}" for i in range(n)])
    agent = rng.integers(0, agents, n)
    created_s = rng.integers(0, 60 * 86400, n)  # two months
    has_created = rng.random(n) < 0.8  # the rest start at their first turn's ts
    tickets = pl.DataFrame(
        {
            "ticket_id": ids,
            "agent_id": [f"a-{a:03d}" for a in agent],
            "team": [f"T{a % 10}" for a in agent],
            "customer_id": [f"c-{c:05d}" for c in rng.integers(0, max(1, int(n * 0.6)), n)],
            "channel": rng.choice(CHANNELS, n),
            "language": rng.choice(["en", "zh", "de", "ja", "es", "fr"], n),
            "created_at": pl.Series(START.timestamp() * 1e6 + created_s * 1e6).cast(pl.Datetime("us", "UTC")),
            "csat": pl.Series(rng.integers(1, 6, n)).scatter(np.flatnonzero(rng.random(n) < 0.7), None),
            "qa_score": rng.uniform(40, 100, n).round(1),
            "escalation_risk": rng.beta(1, 6, n),
            "contact_reason": rng.choice(
                ["order", "logistics", "returns", "payment", "complaint", "other"], n
            ),
        }
    ).with_columns(created_at=pl.when(pl.Series(has_created)).then("created_at"))
    m = n * turns_per_ticket
    gaps = rng.exponential(300, m).astype(np.int64) + 5
    turns = (
        pl.DataFrame(
            {
                "ticket_id": np.repeat(ids, turns_per_ticket),
                "turn_index": np.tile(np.arange(turns_per_ticket), n),
                "speaker": np.tile(["customer", "agent"], (m + 1) // 2)[:m],
                "gap": gaps,
                "sentiment": rng.choice(SENTIMENTS, m, p=[0.25, 0.5, 0.25]),
                "text": "synthetic turn",
                "missing_ts": rng.random(m) < 0.01,
            }
        )
        .join(
            tickets.select("ticket_id", base=pl.lit(START) + pl.duration(seconds=pl.Series(created_s))),
            "ticket_id",
        )
        .with_columns(ts=pl.col("base") + pl.duration(seconds=pl.col("gap").cum_sum().over("ticket_id")))
        .with_columns(ts=pl.when(~pl.col("missing_ts")).then("ts"))
        .select("ticket_id", "turn_index", "speaker", "ts", "sentiment", "text")
    )
    results = pl.DataFrame(
        {
            "ticket_id": np.repeat(ids, len(RULES)),
            "rule_id": np.tile(RULES, n),
            "outcome": rng.choice(["pass", "fail", "na"], n * len(RULES), p=[0.7, 0.2, 0.1]),
        }
    )
    return {"tickets": tickets, "turns": turns, "rule_results": results}


def fill_store(path: Path, frames: dict[str, pl.DataFrame]) -> None:
    store = Store(path)
    store.init()
    with store.connect() as con:  # the contact-reason stage's columns, as a scored store has them
        con.execute("ALTER TABLE tickets ADD COLUMN IF NOT EXISTS escalation_risk DOUBLE")
        con.execute("ALTER TABLE tickets ADD COLUMN IF NOT EXISTS contact_reason VARCHAR")
    store.write_results(frames["tickets"], frames["turns"], frames["rule_results"])


def time_in_process(db: Path, repeats: int = 5) -> tuple[list[float], int]:
    from qa_engine.kpi import kpi_table, load_settings

    settings = load_settings()
    seconds, groups = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        rows = kpi_table(db, by="agent", settings=settings).rows()
        json.dumps(rows)
        seconds.append(time.perf_counter() - started)
        groups = len(rows)
    return seconds, groups


def time_command(args: list[str], repeats: int = 3) -> tuple[float, subprocess.CompletedProcess]:
    """Best wall time of `python -m qa_engine ARGS` over `repeats` runs (start-up time is noisy on a busy machine)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "qa_engine", *args], capture_output=True, text=True)
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=8, help="turns per ticket")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, default=None, help="new store to fill (default: a temporary one)")
    args = parser.parse_args()

    if args.db is not None:
        return run(args, args.db)
    with tempfile.TemporaryDirectory(prefix="qa-kpi-bench-") as folder:
        return run(args, Path(folder) / "qa.duckdb")


def run(args: argparse.Namespace, db: Path) -> int:
    if db.exists():  # never overwrite someone's store
        print(f"{db} exists: give a new path to --db")
        return 2
    started = time.perf_counter()
    frames = synthetic_frames(args.tickets, args.turns, args.agents, args.seed)
    fill_store(db, frames)
    print(f"store: {db} ({args.tickets} tickets, {frames['turns'].height} turns) filled in "
          f"{time.perf_counter() - started:.2f} s")  # fmt: skip

    seconds, groups = time_in_process(db)
    best, middle = min(seconds), statistics.median(seconds)
    print(f"kpi_table(by=agent) + JSON, in process: best {best:.3f} s, median {middle:.3f} s, first {seconds[0]:.3f} s "
          f"({groups} agents)")  # fmt: skip

    cli_s, result = time_command(["kpi", "--by", "agent", "--json", "--db", str(db)])
    if result.returncode != 0:
        print(f"qa kpi failed: {result.stderr.strip()}")
        return 1
    assert len(json.loads(result.stdout)) == groups
    help_s, _ = time_command(["--help"])
    print(f"`qa kpi --by agent --json`, a new process (best of 3): {cli_s:.2f} s; `qa --help` alone: {help_s:.2f} s; "
          f"difference (the command's share): {cli_s - help_s:.2f} s")  # fmt: skip
    ok = middle < BUDGET_S
    print(f"{'PASS' if ok else 'FAIL'}: median {middle:.3f} s against a budget of {BUDGET_S:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
