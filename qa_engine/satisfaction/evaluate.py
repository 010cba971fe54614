"""Measure the satisfaction model and the tiers end to end on the STC-3 dev split.

The dev dialogues are scored by the whole pipeline (`score_files`, into a temporary store) with the given model and
rule pack, so the figures are what a user gets: `dissatisfaction_risk` as a ranking of dissatisfied dialogues (AUC),
the tier as a ranking (red > yellow > green, ties counted half), the tier spread of dissatisfied and satisfied
dialogues, and the satisfaction stage's share of the pipeline's time. `dev_metrics` computes the same figures from
any tiered tickets frame (bench/satisfaction_tiers.py re-tiers a kept store under other policies with it).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import polars as pl

TIER_RANK = {"green": 0, "yellow": 1, "red": 2}


def dev_labels(data: Path) -> tuple[list, dict[str, int]]:
    """The dev dialogues and ticket_id -> 1 (dissatisfied) / 0."""
    from qa_engine.satisfaction.stc3 import load_dialogues

    dialogues = load_dialogues(data, "dev")
    return dialogues, {d.ticket["ticket_id"]: int(d.dissatisfied) for d in dialogues}


def evaluate_dev(data: Path, model_dir: Path | None = None, rules: Path | None = None) -> list[dict]:
    """Metric rows ({name, metric, value, n, ...}) for the dev split, per language and all together."""
    from qa_engine.pipeline import ScoreConfig, score_files

    dialogues, label = dev_labels(data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dev.jsonl"
        path.write_text("".join(json.dumps(d.ticket, ensure_ascii=False) + "\n" for d in dialogues), "utf-8")
        config = ScoreConfig(
            db=Path(tmp) / "qa.duckdb", out=Path(tmp) / "out", rules=rules, satisfaction_model=model_dir,
            affect_cache=False,
        )  # fmt: skip
        summary = score_files([str(path)], config)
        tickets = pl.read_parquet(Path(tmp) / "out" / "tickets.parquet")
    rows = dev_metrics(tickets, label)
    stages = summary.stage_seconds
    total = float(sum(stages.values())) or 1.0
    rows.append(
        {"name": "satisfaction/stage_time", "metric": "share_of_pipeline_time",
         "value": round(stages.get("satisfaction", 0.0) / total, 4), "n": summary.scored,
         "seconds": round(stages.get("satisfaction", 0.0), 3), "pipeline_seconds": round(total, 2)}
    )  # fmt: skip
    return rows


def dev_metrics(tickets: pl.DataFrame, label: dict[str, int]) -> list[dict]:
    """Risk AUC, tier-as-ranking AUC and the tier spread per language (zh, en, all) of tiered tickets
    (`ticket_id, language, tier, dissatisfaction_risk`) against the labels; unlabelled tickets are left out."""
    from sklearn.metrics import roc_auc_score

    tickets = tickets.with_columns(
        y=pl.col("ticket_id").replace_strict(label, default=None),
        rank=pl.col("tier").replace_strict(TIER_RANK, default=None),
    ).filter(pl.col("y").is_not_null())
    rows: list[dict] = []
    for language in ["zh", "en", "all"]:
        part = tickets if language == "all" else tickets.filter(pl.col("language") == language)
        judged = part.filter(pl.col("dissatisfaction_risk").is_not_null())
        y, risk = judged["y"].to_numpy(), judged["dissatisfaction_risk"].to_numpy()
        spread = {
            f"{who}_{tier}": int(part.filter((pl.col("y") == flag) & (pl.col("tier") == tier)).height)
            for who, flag in (("dissatisfied", 1), ("satisfied", 0)) for tier in TIER_RANK
        }  # fmt: skip
        base = {
            "name": f"satisfaction/stc3_dev/{language}",
            "n": part.height,
            "dissatisfied": int(part["y"].sum()),
        }
        rows.append({**base, "metric": "risk_auc", "value": round(float(roc_auc_score(y, risk)), 4),
                     "null_risk": part.height - judged.height})  # fmt: skip
        rows.append({**base, "metric": "tier_auc",
                     "value": round(float(roc_auc_score(part["y"].to_numpy(), part["rank"].to_numpy())), 4),
                     "tiers": spread})  # fmt: skip
    return rows
