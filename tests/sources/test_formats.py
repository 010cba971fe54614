"""The same tickets in every format give the same canonical tables and content hashes; defaults; batching;
the bounded-memory path for large flat files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from qa_engine.schema import TICKETS_IN, TURNS_IN
from qa_engine.sources import csv_file, flat, read_inputs

from .support import FIXTURES, read_all

JSONL = FIXTURES / "tickets.jsonl"
CSV = FIXTURES / "tickets.csv"


def canonical(paths: list[Path], **options: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Tickets and turns of a clean run, without where they were read, in ticket order."""
    run = read_all(paths, **options)
    assert run.quarantine == []
    tickets = run.tickets.drop("source", "location").sort("ticket_id")
    return tickets, run.turns.sort("ticket_id", "turn_index")


@pytest.fixture(scope="module")
def from_jsonl() -> tuple[pl.DataFrame, pl.DataFrame]:
    return canonical([JSONL])


@pytest.fixture
def typed_parquet(tmp_path: Path) -> Path:
    """tickets.csv as a Parquet file with real types: integers, UTC datetimes, a struct-free JSON metadata column."""
    frame = pl.read_csv(CSV, infer_schema=False)
    stamps = [None if ts is None else datetime.fromisoformat(ts) for ts in frame["ts"]]
    stamps = [ts if ts is None or ts.tzinfo else ts.replace(tzinfo=UTC) for ts in stamps]
    frame = frame.with_columns(
        pl.col("turn_index", "csat").cast(pl.Int64),
        pl.Series("ts", stamps, dtype=pl.Datetime("ms", "UTC")),
    )
    path = tmp_path / "tickets.parquet"
    frame.write_parquet(path)
    return path


def test_jsonl_tables_have_the_canonical_schema(from_jsonl: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    tickets, turns = from_jsonl
    assert dict(turns.schema) == TURNS_IN
    assert {**tickets.schema} == {k: v for k, v in TICKETS_IN.items() if k not in ("source", "location")}


def test_csv_with_interleaved_rows_gives_the_same_tables_as_jsonl(from_jsonl: tuple) -> None:
    tickets, turns = canonical([CSV])
    assert tickets.equals(from_jsonl[0])
    assert turns.equals(from_jsonl[1])


def test_typed_parquet_gives_the_same_tables_as_jsonl(from_jsonl: tuple, typed_parquet: Path) -> None:
    tickets, turns = canonical([typed_parquet])
    assert tickets.equals(from_jsonl[0])
    assert turns.equals(from_jsonl[1])


def test_a_json_array_and_pretty_printed_objects_give_the_same_tables(
    from_jsonl: tuple, tmp_path: Path
) -> None:
    tickets = [json.loads(line) for line in JSONL.read_text(encoding="utf-8").splitlines()]
    array = tmp_path / "array.json"
    array.write_text(json.dumps(tickets, indent=2, ensure_ascii=False), encoding="utf-8")
    pretty = tmp_path / "pretty.json"
    pretty.write_text("\n".join(json.dumps(t, indent=4) for t in tickets), encoding="utf-8")
    lines = tmp_path / "lines.json"
    lines.write_text(JSONL.read_text(encoding="utf-8"), encoding="utf-8")
    for path in (array, pretty, lines):
        got_tickets, got_turns = canonical([path])
        assert got_tickets.equals(from_jsonl[0]), path.name
        assert got_turns.equals(from_jsonl[1]), path.name
    # Each item is located by the line its "{" opens on.
    starts = [n for n, line in enumerate(array.read_text(encoding="utf-8").splitlines(), 1) if line == "  {"]
    locations = read_all([array]).tickets.sort("ticket_id")["location"].to_list()
    assert locations == [f"line {line} (item {item})" for item, line in enumerate(starts, 1)]


def test_content_hash_is_stable_and_changes_with_the_content(from_jsonl: tuple, tmp_path: Path) -> None:
    hashes = dict(from_jsonl[0].select("ticket_id", "content_hash").rows())
    again = dict(canonical([JSONL])[0].select("ticket_id", "content_hash").rows())
    assert again == hashes and all(len(h) == 64 for h in hashes.values())
    changed = tmp_path / "changed.jsonl"
    changed.write_text(
        JSONL.read_text(encoding="utf-8").replace("Where is my parcel?", "Where is my parcel!")
    )
    after = dict(canonical([changed])[0].select("ticket_id", "content_hash").rows())
    assert [tid for tid in hashes if after[tid] != hashes[tid]] == ["T-1001"]


def test_ticket_defaults_and_normalisation(from_jsonl: tuple) -> None:
    tickets, turns = from_jsonl
    rows = {row["ticket_id"]: row for row in tickets.iter_rows(named=True)}
    # channel: lower-cased, `chat` when absent; language: lower-cased, region dropped.
    assert [rows[t]["channel"] for t in sorted(rows)] == ["chat", "email", "chat", "social", "phone"]
    assert [rows[t]["language"] for t in sorted(rows)] == ["en", "zh", "de", "ja", "es"]
    # agent_id: the ticket's own, else the agent with the most agent turns (a-3 wrote two of T-1002's three).
    assert [rows[t]["agent_id"] for t in sorted(rows)] == ["a-17", "a-3", "a-5", None, "a-8"]
    assert str(rows["T-1002"]["created_at"]) == "2026-11-20 09:00:00+00:00"  # +08:00 in the file
    assert json.loads(rows["T-1001"]["metadata"]) == {
        "platform": "amazon", "market": "DE", "order_id": "302-1234567-7654321",
    }  # fmt: skip
    assert rows["T-1005"]["metadata"] == "{}" and rows["T-1002"]["metadata"] is None
    ts = turns.filter(pl.col("ticket_id") == "T-1004")["ts"].dt.to_string("%Y-%m-%dT%H:%M:%S%.3fZ").to_list()
    assert ts == ["2026-11-21T08:00:00.000Z", "2026-11-21T08:00:05.000Z", "2026-11-21T08:01:00.250Z"]
    assert turns.filter(pl.col("ticket_id") == "T-1001")["text"][2] == "Thanks,\nsee you"


@pytest.mark.parametrize("path", [JSONL, CSV])
def test_five_tickets_in_batches_of_two_give_three_batches_of_whole_tickets(path: Path) -> None:
    batches = list(read_inputs([path], batch_tickets=2))
    assert [b.tickets.height for b in batches] == [2, 2, 1]
    expected_turns = {"T-1001": 3, "T-1002": 4, "T-1003": 3, "T-1004": 3, "T-1005": 2}
    for batch in batches:
        counts = dict(batch.turns.group_by("ticket_id").len().rows())
        assert counts == {tid: expected_turns[tid] for tid in batch.tickets["ticket_id"]}


def test_large_flat_files_are_spilled_by_hash_and_read_in_small_blocks(
    from_jsonl: tuple, monkeypatch: pytest.MonkeyPatch, typed_parquet: Path
) -> None:
    # Shrink the limits so that these small files take the path a multi-gigabyte file takes: blocks of a few
    # rows (cut at row boundaries, also inside quoted newlines), several hash partitions on disk.
    monkeypatch.setattr(csv_file, "CHUNK_BYTES", 64)
    monkeypatch.setattr(flat, "PARTITION_BYTES", 300)
    for path in (CSV, typed_parquet):
        tickets, turns = canonical([path])
        assert tickets.equals(from_jsonl[0]), path.name
        assert turns.equals(from_jsonl[1]), path.name
    run = read_all([CSV])
    assert dict(run.tickets.select("ticket_id", "location").rows())["T-1001"] == "rows 1, 4, 8"


def test_large_flat_file_keeps_bad_rows_and_locations(monkeypatch: pytest.MonkeyPatch) -> None:
    in_memory = read_all([FIXTURES / "bad_rows.csv"])
    monkeypatch.setattr(csv_file, "CHUNK_BYTES", 50)
    monkeypatch.setattr(flat, "PARTITION_BYTES", 100)
    spilled = read_all([FIXTURES / "bad_rows.csv"])
    assert sorted(spilled.tickets["ticket_id"]) == sorted(in_memory.tickets["ticket_id"])
    key = lambda q: (q.location, q.reason, q.detail)  # noqa: E731
    assert sorted(map(key, spilled.quarantine)) == sorted(map(key, in_memory.quarantine))
