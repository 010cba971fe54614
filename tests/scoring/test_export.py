"""`--out` result files appear whole or not at all: written under a temporary name, renamed when the run finishes
(`qa_engine.export`)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qa_engine.errors import QAError
from qa_engine.export import TMP_SUFFIX, ResultWriter
from qa_engine.pipeline import ScoreConfig, score_files

TICKETS = pl.DataFrame({"ticket_id": ["T-1", "T-2"], "agent_id": ["a-1", "a-2"], "tier": ["red", "green"]})
TURNS = pl.DataFrame({"ticket_id": ["T-1"], "turn_index": [0], "speaker": ["agent"], "text": ["Hello"]})
RULES = pl.DataFrame({"ticket_id": ["T-1"], "rule_id": ["greeting"], "outcome": ["pass"]})


def test_files_appear_under_their_names_only_when_the_writer_closes(tmp_path: Path) -> None:
    writer = ResultWriter(tmp_path)
    writer.write(TICKETS, TURNS, RULES)
    writer.write_quarantine([{"source": "x.jsonl", "location": "line 3", "reason": "no turns", "record": {}}])
    names = ["tickets.parquet", "turns.parquet", "rule_results.parquet", "quarantine.jsonl"]
    assert not any((tmp_path / name).exists() for name in names)  # a reader finds nothing half-written
    assert all((tmp_path / f"{name}{TMP_SUFFIX}").exists() for name in names)
    writer.close()
    assert pl.read_parquet(tmp_path / "tickets.parquet").equals(TICKETS)
    assert (tmp_path / "quarantine.jsonl").read_text(encoding="utf-8").count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)


def test_an_aborted_writer_leaves_the_last_finished_files_as_they_were(tmp_path: Path) -> None:
    first = ResultWriter(tmp_path)
    first.write(TICKETS, TURNS, RULES)
    first.close()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    second = ResultWriter(tmp_path)
    second.write(TICKETS.head(1), TURNS, RULES)
    second.abort()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.slow
def test_a_run_that_fails_midway_leaves_no_truncated_result_file(tmp_path: Path, ticket_file: Path) -> None:
    out, db = tmp_path / "out", tmp_path / "qa.duckdb"
    score_files([str(ticket_file)], ScoreConfig(db=db, out=out, force=True))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert pl.read_parquet(out / "tickets.parquet").height == 3
    broken = tmp_path / "z-broken.jsonl"  # read after the first file's tickets were written: not UTF-8
    broken.write_bytes(b'{"ticket_id": "\xff\xfe"}\n')
    with pytest.raises(QAError, match=r"Q002"):
        score_files([str(ticket_file), str(broken)], ScoreConfig(db=db, out=out, force=True, batch_tickets=1))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
