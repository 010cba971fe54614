"""JSON Lines (.jsonl, .ndjson): one ticket object per line, the canonical input (CONTRACT.md section 1).

Read line by line as bytes, so a file of any size streams and a bad line (binary junk, broken JSON) is quarantined
on its own while its neighbours are read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from qa_engine.errors import QAError
from qa_engine.sources.inputs import UTF8_BOM, check_text_file
from qa_engine.sources.json_records import json_batches
from qa_engine.sources.registry import register_source
from qa_engine.validation.raw import RawBatch

FIRST_LINES = 20  # if none of these is a JSON object, the file is not JSON Lines


def numbered_lines(path: Path, label: str) -> Iterator[tuple[str, bytes]]:
    """("line N", bytes) for every non-blank line, N counted from 1 over all lines."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            data = line.removeprefix(UTF8_BOM) if number == 1 else line
            data = data.rstrip(b"\r\n")
            if data.strip():
                yield f"line {number}", data


def looks_like_json_lines(path: Path, label: str) -> bool:
    """Whether one of the first FIRST_LINES non-blank lines is a JSON object (True for a file with no lines)."""
    seen = 0
    for seen, (_, line) in enumerate(numbered_lines(path, label), 1):
        try:
            if isinstance(json.loads(line), dict):
                return True
        except (ValueError, RecursionError):
            pass
        if seen >= FIRST_LINES:
            break
    return seen == 0


@register_source(".jsonl", ".ndjson")
def read_json_lines(path: Path, label: str) -> Iterator[RawBatch]:
    """Blocks of whole tickets from a JSON Lines file; Q002 when it is not JSON Lines at all."""
    check_text_file(path, label)
    if not looks_like_json_lines(path, label):
        raise QAError(
            "Q002", path=label, detail=f"none of its first {FIRST_LINES} non-empty lines is a JSON object"
        )
    yield from json_batches(label, numbered_lines(path, label))
