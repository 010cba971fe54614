"""Our own small check sets for the languages STC-3 lacks (de, ja, es, fr): does the risk carry over?

The satisfaction model is fitted on Chinese and English Weibo helpdesk dialogues only; the multilingual encoder is
meant to carry it to the other four languages of the default pack. `models/satisfaction/eval/<lang>.jsonl` holds 16
short support chats per language (8 satisfied, 8 dissatisfied customers), written by this project's engineers as
real customers and agents write, never taken from any data set (see eval/README.md). Each line is a ticket record
(CONTRACT.md section 1) plus `label`: `satisfied` or `dissatisfied`. The figures are the risk's AUC per language
and the tier spread, from the whole pipeline with the default pack, as a user would get them.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import polars as pl

from qa_engine import paths
from qa_engine.errors import QAError

LANGUAGES = ("de", "ja", "es", "fr")
LABELS = {"dissatisfied": 1, "satisfied": 0}
TIER_RANK = {"green": 0, "yellow": 1, "red": 2}


def own_sets_dir() -> Path:
    return paths.models_dir() / "satisfaction" / "eval"


def load_own_sets(
    folder: Path | None = None, languages: tuple[str, ...] = LANGUAGES
) -> list[tuple[dict, int]]:
    """(ticket without its label, 1 dissatisfied / 0 satisfied) for every line; a bad line is Q751 naming it."""
    out: list[tuple[dict, int]] = []
    for language in languages:
        path = (folder or own_sets_dir()) / f"{language}.jsonl"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise QAError("Q301", path=path) from exc
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                label = LABELS[record.pop("label")]
            except (ValueError, KeyError) as exc:
                raise QAError("Q751", path=path, detail=f"line {number}: no valid label ({exc})") from exc
            if record.get("language") != language or not record.get("turns"):
                raise QAError(
                    "Q751", path=path, detail=f"line {number}: language {language} with turns expected"
                )
            out.append((record, label))
    return out


def evaluate_own_sets(folder: Path | None = None, model_dir: Path | None = None) -> list[dict]:
    """Metric rows per language: `risk_auc` (with the tier spread) and `tier_auc` (red > yellow > green as a
    ranking) over the own check sets, scored end to end."""
    from sklearn.metrics import roc_auc_score

    from qa_engine.pipeline import ScoreConfig, score_files

    labelled = load_own_sets(folder)
    label = {ticket["ticket_id"]: y for ticket, y in labelled}
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "own.jsonl"
        source.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t, _ in labelled), "utf-8")
        config = ScoreConfig(db=Path(tmp) / "qa.duckdb", out=Path(tmp) / "out", satisfaction_model=model_dir,
                             affect_cache=False)  # fmt: skip
        score_files([str(source)], config)
        tickets = pl.read_parquet(Path(tmp) / "out" / "tickets.parquet")
    tickets = tickets.with_columns(y=pl.col("ticket_id").replace_strict(label, default=None))
    rows = []
    for language in (*LANGUAGES, "all"):
        part = tickets if language == "all" else tickets.filter(pl.col("language") == language)
        judged = part.filter(pl.col("dissatisfaction_risk").is_not_null())
        spread = {
            f"{who}_{tier}": int(part.filter((pl.col("y") == flag) & (pl.col("tier") == tier)).height)
            for who, flag in LABELS.items() for tier in TIER_RANK
        }  # fmt: skip
        rows.append({
            "name": f"satisfaction/own_check/{language}", "metric": "risk_auc",
            "value": round(float(roc_auc_score(judged["y"].to_numpy(), judged["dissatisfaction_risk"].to_numpy())), 4),
            "n": part.height, "dissatisfied": int(part["y"].sum()), "null_risk": part.height - judged.height,
            "tiers": spread,
        })  # fmt: skip
        rank = part["tier"].replace_strict(TIER_RANK, default=None).to_numpy()
        rows.append({"name": f"satisfaction/own_check/{language}", "metric": "tier_auc",
                     "value": round(float(roc_auc_score(part["y"].to_numpy(), rank)), 4), "n": part.height})  # fmt: skip
    return rows


if __name__ == "__main__":  # python -m qa_engine.satisfaction.owncheck
    for row in evaluate_own_sets():
        print(f"{row['name']:<34} {row['metric']} {row['value']:.3f}  n={row['n']}  {row.get('tiers', '')}")
