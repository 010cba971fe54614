"""Write the contract's result files (CONTRACT.md section 3) into `--out DIR`, batch by batch.

Parquet files are appended row group by row group, so a million tickets never sit in memory at once.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

TICKET_COLUMNS = [
    "ticket_id", "agent_id", "team", "customer_id", "channel", "language", "created_at", "csat", "tier", "qa_score",
    "tier_reasons", "tier_evidence", "customer_sentiment_start", "customer_sentiment_end", "emotional_balance",
    # key issues (CONTRACT.md section 3; qa_engine.reasons)
    "contact_reason", "contact_reason_score", "contact_sub_reason", "contact_reasons_other", "contact_reason_evidence",
    "escalation_risk", "escalation_signals", "escalation_evidence",
]  # fmt: skip
TURN_COLUMNS = [
    "ticket_id", "turn_index", "speaker", "agent_id", "ts", "text", "sentiment", "sentiment_score", "emotion",
    "emotion_scores", "affect_flag",
]  # fmt: skip
RULE_COLUMNS = ["ticket_id", "rule_id", "outcome", "critical", "category", "weight", "evidence", "detail"]


class ResultWriter:
    """Appends batches to tickets.parquet, turns.parquet, rule_results.parquet and quarantine.jsonl."""

    def __init__(self, out: str | Path, extra_ticket_columns: list[str] | None = None) -> None:
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.ticket_columns = TICKET_COLUMNS + [
            c for c in extra_ticket_columns or [] if c not in TICKET_COLUMNS
        ]
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._quarantine = open(self.out / "quarantine.jsonl", "w", encoding="utf-8")  # noqa: SIM115

    def _append(self, name: str, frame: pl.DataFrame, columns: list[str]) -> None:
        table = frame.select([c for c in columns if c in frame.columns]).to_arrow()
        writer = self._writers.get(name)
        if writer is None:
            writer = self._writers[name] = pq.ParquetWriter(self.out / f"{name}.parquet", table.schema)
        writer.write_table(table.cast(writer.schema))

    def write(self, tickets: pl.DataFrame, turns: pl.DataFrame, rule_results: pl.DataFrame) -> None:
        if tickets.height:
            self._append("tickets", tickets, self.ticket_columns)
        if turns.height:
            self._append("turns", turns, TURN_COLUMNS)
        if rule_results.height:
            self._append("rule_results", rule_results, RULE_COLUMNS)

    def write_quarantine(self, records: list[dict]) -> None:
        for rec in records:
            self._quarantine.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")

    def close(self, empty_like: dict[str, pl.DataFrame] | None = None) -> None:
        """Close files; a result file that got no rows is still written (empty, with its columns)."""
        for name, frame in (empty_like or {}).items():
            if name not in self._writers:
                cols = {"tickets": self.ticket_columns, "turns": TURN_COLUMNS, "rule_results": RULE_COLUMNS}[
                    name
                ]
                frame.select([c for c in cols if c in frame.columns]).head(0).write_parquet(
                    self.out / f"{name}.parquet"
                )
        for writer in self._writers.values():
            writer.close()
        self._quarantine.close()
