"""Which reader reads which file, keyed by file suffix (spaCy's habit: a registry, not an if/elif chain).

A new source is one small module with a reader function decorated by `@register_source(".ext")`, plus its import
in `qa_engine/sources/__init__.py`. A reader takes the file and the label to name it by (the path as the user
gave it), and yields RawBatches: blocks of whole candidate tickets of about validation.raw.BLOCK_ROWS rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from qa_engine.errors import QAError
from qa_engine.validation.raw import RawBatch

Reader = Callable[[Path, str], Iterator[RawBatch]]
SOURCES: dict[str, Reader] = {}


def register_source(*suffixes: str) -> Callable[[Reader], Reader]:
    """Register a reader for file suffixes (lower case, with the dot: ".jsonl")."""

    def register(reader: Reader) -> Reader:
        for suffix in suffixes:
            if suffix in SOURCES:
                raise ValueError(
                    f"a reader for {suffix} is already registered: {SOURCES[suffix].__qualname__}"
                )
            SOURCES[suffix] = reader
        return reader

    return register


def reader_for(path: Path, label: str) -> Reader:
    """The reader for a file's suffix (case-insensitive); Q004 for a suffix no reader handles."""
    reader = SOURCES.get(path.suffix.lower())
    if reader is None:
        raise QAError("Q004", path=label)
    return reader
