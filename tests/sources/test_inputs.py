"""Files that cannot be read at all stop the run with a one-line, coded error naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from qa_engine.errors import QAError
from qa_engine.sources import SOURCES, read_inputs

from .support import FIXTURES, read_all

GOOD = json.dumps({"ticket_id": "T-1", "turns": [{"speaker": "customer", "text": "hi"}]})


def error_of(inputs: list, **options: int) -> QAError:
    with pytest.raises(QAError) as caught:
        list(read_inputs(inputs, **options))
    message = str(caught.value)
    assert "\n" not in message  # the CLI prints it as one line
    return caught.value


def test_a_missing_file_is_q001_and_nothing_is_read_before_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    error = error_of([FIXTURES / "tickets.jsonl", missing])
    assert error.code == "Q001" and str(missing) in str(error)


def test_a_pattern_that_matches_nothing_is_q003(tmp_path: Path) -> None:
    error = error_of([str(tmp_path / "*.jsonl")])
    assert error.code == "Q003" and str(tmp_path / "*.jsonl") in str(error)


def test_an_unknown_format_is_q004(tmp_path: Path) -> None:
    path = tmp_path / "tickets.xlsx"
    path.write_bytes(b"PK")
    assert error_of([path]).code == "Q004"
    assert set(SOURCES) == {".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet"}


@pytest.mark.parametrize(
    ("name", "content", "detail"),
    [
        ("utf16.jsonl", (GOOD + "\n").encode("utf-16"), "UTF-16"),
        ("utf16.csv", "ticket_id,turn_index,speaker,text\n".encode("utf-16"), "UTF-16"),
        ("nul.jsonl", b"\x00" * 4000 + GOOD.encode(), "NUL"),
        ("latin1.jsonl", bytes(range(128, 256)) * 40, "1 of its first 1 lines are not UTF-8"),
        (
            "latin1.csv",
            b"ticket_id,turn_index,speaker,text\n"
            + "T-1,0,customer,Où est mon colis, café\n".encode("latin-1") * 9,
            "9 of its first 10 lines are not UTF-8",
        ),
        ("prose.jsonl", b"This is not JSON.\n" * 25 + GOOD.encode(), "none of its first 20 non-empty lines"),
        ("prose.json", b"Dear customer,\n" + GOOD.encode(), "neither a JSON array"),
        ("broken.json", b'[{"ticket_id": "T-1", "turns": []},\n {"ticket_id": ', "invalid JSON at line 2"),
        ("garbage-after.json", b'[{"ticket_id": "T-1"}] trailing', "unexpected text after the array"),
        ("fake.parquet", b"not parquet at all", "not a Parquet file"),
    ],
)
def test_an_unreadable_file_is_q002_naming_it(tmp_path: Path, name: str, content: bytes, detail: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    error = error_of([path])
    assert error.code == "Q002"
    assert str(path) in str(error) and detail in str(error)


def test_a_folder_is_q002(tmp_path: Path) -> None:
    assert error_of([tmp_path]).code == "Q002"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_flat_file_without_the_required_columns_is_q005(tmp_path: Path, suffix: str) -> None:
    frame = pl.DataFrame({"ticket_id": ["T-1"], "speaker": ["customer"], "message": ["hi"]})
    path = tmp_path / f"turns{suffix}"
    frame.write_csv(path) if suffix == ".csv" else frame.write_parquet(path)
    error = error_of([path])
    assert error.code == "Q005"
    assert str(path) in str(error) and "turn_index, text" in str(error)


@pytest.mark.parametrize(
    ("option", "value"), [("batch_tickets", 0), ("max_text_chars", -5), ("batch_tickets", 2.5)]
)
def test_a_bad_option_is_q006(option: str, value: object) -> None:
    error = error_of([FIXTURES / "tickets.jsonl"], **{option: value})
    assert error.code == "Q006" and option in str(error)


def test_an_array_item_that_is_not_a_ticket_is_quarantined_with_its_line_and_item(tmp_path: Path) -> None:
    path = tmp_path / "items.json"
    path.write_text(f'[\n  {GOOD},\n  "just text",\n  {{"ticket_id": "T-3"}}\n]\n', encoding="utf-8")
    run = read_all([path])
    assert [(q.location, q.reason, q.record) for q in run.quarantine] == [
        ("line 3 (item 2)", "not_an_object", '"just text"'),
        ("line 4 (item 3)", "missing_turns", '{"ticket_id": "T-3"}'),
    ]
    assert run.tickets["ticket_id"].to_list() == ["T-1"]


def test_an_empty_file_gives_no_batches(tmp_path: Path) -> None:
    for name in ("empty.jsonl", "empty.json"):
        (tmp_path / name).write_text("\n\n", encoding="utf-8")
    (tmp_path / "empty.csv").write_text("ticket_id,turn_index,speaker,text\n", encoding="utf-8")
    assert list(read_inputs([str(tmp_path / "empty.*")])) == []


def test_a_utf8_bom_and_crlf_line_ends_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + GOOD.encode() + b"\n")
    (tmp_path / "bom.csv").write_bytes(
        b"\xef\xbb\xbfticket_id,turn_index,speaker,text\r\nT-2,0,customer,hi\r\n"
    )
    run = read_all([tmp_path / "bom.jsonl", tmp_path / "bom.csv"])
    assert run.quarantine == [] and run.tickets["ticket_id"].to_list() == ["T-1", "T-2"]
    assert run.turns["text"].to_list() == ["hi", "hi"]
