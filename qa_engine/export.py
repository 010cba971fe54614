"""Write the contract's result files (CONTRACT.md section 3) into `--out DIR`, batch by batch.

Parquet files are appended row group by row group, so a million tickets never sit in memory at once. Every file
is written under a temporary name beside its final one (`tickets.parquet.tmp`) and renamed into place by `close`,
so a reader never sees half a file, and a run that fails (`abort`) leaves the previous run's files as they were.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

TICKET_COLUMNS = [
    "ticket_id", "agent_id", "team", "customer_id", "channel", "language", "created_at", "csat", "tier", "qa_score",
    "escalated", "tier_reasons", "tier_evidence", "customer_sentiment_start", "customer_sentiment_end", "emotional_balance",
    "language_covered",
    # key issues (CONTRACT.md section 3; qa_engine.reasons)
    "contact_reason", "contact_reason_score", "contact_sub_reason", "contact_reasons_other", "contact_reason_evidence",
    "escalation_risk", "escalation_signals", "escalation_evidence",
    "customer_resolved",  # resolution wording in the customer's closing turns (what the tier policy reads)
    # predicted dissatisfaction (CONTRACT.md section 3; qa_engine.satisfaction)
    "dissatisfaction_risk", "dissatisfaction_evidence",
]  # fmt: skip
TURN_COLUMNS = [
    "ticket_id", "turn_index", "speaker", "agent_id", "ts", "text", "sentiment", "sentiment_score", "emotion",
    "emotion_scores", "affect_flag",
]  # fmt: skip
TMP_SUFFIX = ".tmp"  # a file being written: `tickets.parquet.tmp` until the run finishes
RULE_COLUMNS = [
    "ticket_id", "rule_id", "outcome", "critical", "category", "weight", "evidence", "detail", "suggestion",
]  # fmt: skip


class ResultWriter:
    """Appends batches to tickets.parquet, turns.parquet, rule_results.parquet and quarantine.jsonl."""

    def __init__(self, out: str | Path, extra_ticket_columns: list[str] | None = None) -> None:
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.ticket_columns = TICKET_COLUMNS + [
            c for c in extra_ticket_columns or [] if c not in TICKET_COLUMNS
        ]
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._written: list[str] = ["quarantine.jsonl"]  # file names, in the order they were opened
        self._quarantine = open(self._tmp("quarantine.jsonl"), "w", encoding="utf-8")  # noqa: SIM115

    def _tmp(self, name: str) -> Path:
        """Where a result file is written until `close` renames it: beside it, so the rename is atomic."""
        return self.out / f"{name}{TMP_SUFFIX}"

    def _append(self, name: str, frame: pl.DataFrame, columns: list[str]) -> None:
        table = frame.select([c for c in columns if c in frame.columns]).to_arrow()
        writer = self._writers.get(name)
        if writer is None:
            self._written.append(f"{name}.parquet")
            writer = self._writers[name] = pq.ParquetWriter(self._tmp(f"{name}.parquet"), table.schema)
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
        """Finish the files and rename each into place; a result file that got no rows is still written (empty,
        with its columns)."""
        for name, frame in (empty_like or {}).items():
            if name not in self._writers:
                cols = {"tickets": self.ticket_columns, "turns": TURN_COLUMNS, "rule_results": RULE_COLUMNS}[
                    name
                ]
                self._written.append(f"{name}.parquet")
                frame.select([c for c in cols if c in frame.columns]).head(0).write_parquet(
                    self._tmp(f"{name}.parquet")
                )
        self._close_files()
        for name in self._written:
            os.replace(self._tmp(name), self.out / name)

    def abort(self) -> None:
        """The run failed: drop what was written, and leave the files of the last finished run as they were."""
        self._close_files()
        for name in self._written:
            self._tmp(name).unlink(missing_ok=True)

    def _close_files(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
        self._quarantine.close()
