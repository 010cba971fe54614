"""Tier stage benchmark: `assign_tiers` alone on the output of a `qa score --out DIR` run, and a check that it
gives back the stored tiers (tier, tier_reasons, tier_evidence, qa_score) exactly.

    .venv/bin/python bench/tiers.py DIR [--runs 5] [--save FRAME.parquet]

The store keeps neither the reasons stage's `customer_resolved` nor the pack's covered languages, so both are
rebuilt from what it kept (a ticket whose reasons say "no resolution wording" was unresolved; the languages of the
tickets with `language_covered`). Prints the best and median milliseconds; exit status 1 when the stored tiers are
not reproduced. `--save` writes the frame, to compare two versions of the code on the same input.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa_engine.scoring import assign_tiers, load_policy

COMPARED = ["ticket_id", "tier", "tier_reasons", "tier_evidence", "qa_score"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "out", type=Path, help="a `qa score --out` folder (tickets/turns/rule_results.parquet)"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--save", type=Path, help="write the tier frame here")
    args = parser.parse_args()
    tickets = pl.read_parquet(args.out / "tickets.parquet")
    turns = pl.read_parquet(args.out / "turns.parquet")
    results = pl.read_parquet(args.out / "rule_results.parquet")
    unresolved = (
        pl.col("tier_reasons").list.eval(pl.element().str.contains("no resolution wording")).list.any()
    )
    tickets = tickets.with_columns(customer_resolved=~unresolved)
    covered = frozenset(tickets.filter("language_covered")["language"].unique().to_list())
    policy = load_policy()
    seconds = []
    for _ in range(args.runs):
        start = time.perf_counter()
        frame = assign_tiers(tickets, turns, results, policy, covered)
        seconds.append(time.perf_counter() - start)
    same = frame.select(COMPARED).sort("ticket_id").equals(tickets.select(COMPARED).sort("ticket_id"))
    if args.save:
        frame.write_parquet(args.save)
    print(
        f"assign_tiers on {tickets.height} tickets: best {min(seconds) * 1000:.0f} ms, "
        f"median {statistics.median(seconds) * 1000:.0f} ms; stored tiers reproduced: {same}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
