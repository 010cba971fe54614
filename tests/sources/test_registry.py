"""Readers are registered by suffix: a new source is one function and one registration."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa_engine.sources import registry
from qa_engine.sources.json_records import json_batches
from qa_engine.validation import RawBatch

from .support import read_all


@pytest.fixture
def sources(monkeypatch: pytest.MonkeyPatch) -> dict:
    """The registry, restored after the test."""
    copy = dict(registry.SOURCES)
    monkeypatch.setattr(registry, "SOURCES", copy)
    return copy


def test_a_registered_reader_serves_its_suffix_case_insensitively(sources: dict, tmp_path: Path) -> None:
    @registry.register_source(".tickets")
    def read_tab_separated(path: Path, label: str) -> Iterator[RawBatch]:
        """ticket_id<TAB>speaker<TAB>text: one single-turn ticket per line, checked like JSON tickets."""
        rows = (line.split("\t") for line in path.read_text(encoding="utf-8").splitlines())
        records = (
            (f"line {n}", json.dumps({"ticket_id": ticket_id, "turns": [{"speaker": speaker, "text": text}]}))
            for n, (ticket_id, speaker, text) in enumerate(rows, 1)
        )
        yield from json_batches(label, records)

    path = tmp_path / "export.TICKETS"
    path.write_text("T-1\tcustomer\thello\nT-2\trobot\tbeep\n", encoding="utf-8")
    run = read_all([path])
    assert sources[".tickets"] is read_tab_separated
    assert run.tickets["ticket_id"].to_list() == ["T-1"]
    assert [(q.location, q.reason) for q in run.quarantine] == [("line 2", "unknown_speaker")]


def test_a_suffix_cannot_be_registered_twice(sources: dict) -> None:
    with pytest.raises(ValueError, match=r"a reader for \.csv is already registered"):
        registry.register_source(".csv")(lambda path, label: iter(()))
