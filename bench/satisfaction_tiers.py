"""The tier policy against customer outcome on STC-3 dev: score once, then re-tier under each policy.

    .venv/bin/python bench/satisfaction_tiers.py --keep /tmp/stc3-dev [--rules PACK_OR_TIERS_YAML ...] [--json FILE]

Scores the STC-3 DCH-1 dev dialogues (zh and en, `qa_engine.satisfaction.stc3`) with the whole pipeline into a
store under --keep (once: a kept store is reused), then tiers the stored tickets again under each given tier policy
(default: the default pack's) with no model run, and prints what `evaluate_dev` prints for a full run: the
dissatisfaction risk's AUC, the tier as a ranking (AUC, red > yellow > green), the tier spread of dissatisfied and
satisfied dialogues, and which tier reasons put satisfied customers in red and yellow. The texts stay in --keep,
never in the repository (their licence is research-only).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def score_once(data: Path, keep: Path) -> Path:
    """The kept store of the scored dev split (scored now if it is not there)."""
    from qa_engine.pipeline import ScoreConfig, score_files
    from qa_engine.satisfaction.evaluate import dev_labels

    db = keep / "qa.duckdb"
    if db.exists():
        return db
    keep.mkdir(parents=True, exist_ok=True)
    dialogues, _ = dev_labels(data)
    source = keep / "dev.jsonl"
    source.write_text("".join(json.dumps(d.ticket, ensure_ascii=False) + "\n" for d in dialogues), "utf-8")
    score_files([str(source)], ScoreConfig(db=db, affect_cache=False))
    return db


def retier(db: Path, rules: Path | None):
    """The stored tickets tiered under the policy of `rules` (a pack folder or a tiers.yaml)."""
    from qa_engine.scoring.policy import load_policy
    from qa_engine.scoring.tiers import assign_tiers
    from qa_engine.store import Store

    store = Store(db)
    ids = store.query("SELECT ticket_id FROM tickets")["ticket_id"].to_list()
    stored = store.read_results(ids)
    tiers = assign_tiers(stored["tickets"], stored["turns"], stored["rule_results"], load_policy(rules))
    keep = ["ticket_id", "language", "dissatisfaction_risk"]
    return (
        stored["tickets"]
        .select(keep)
        .join(tiers.select("ticket_id", "tier", "tier_evidence"), on="ticket_id")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--keep", type=Path, required=True, help="folder of the scored dev store (reused)")
    parser.add_argument("--rules", type=Path, nargs="*", default=[None], help="packs or tiers.yaml files")
    parser.add_argument("--json", type=Path, help="write the metric rows here")
    args = parser.parse_args()

    import polars as pl

    from qa_engine.satisfaction.evaluate import dev_labels, dev_metrics

    db = score_once(args.data, args.keep)
    _, label = dev_labels(args.data)
    out = {}
    for rules in args.rules:
        tickets = retier(db, rules)
        rows = dev_metrics(tickets, label)
        name = str(rules or "default pack")
        out[name] = rows
        print(f"== {name}")
        for row in rows:
            print(f"  {row['name']:<28} {row['metric']:<9} {row['value']:.4f}  {row.get('tiers', '')}")
        for tier in ("red", "yellow"):
            satisfied = tickets.filter(
                (pl.col("tier") == tier) & (pl.col("ticket_id").replace_strict(label, default=None) == 0)
            )
            reasons = collections.Counter(
                item["reason"] for ev in satisfied["tier_evidence"] for item in json.loads(ev or "[]")
            )
            print(f"  satisfied in {tier} ({satisfied.height}): {dict(reasons.most_common(8))}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
