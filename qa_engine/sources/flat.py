"""Flat tables (CSV, Parquet): one row per turn, grouped into whole tickets in bounded memory.

A reader hands over its file as chunks of rows (every value as text, `_line` numbering the data rows from 1).
Rows of one ticket may lie anywhere in the file, so a large file is first spilled to temporary Parquet files by a
hash of the ticket id (one pass, chunk by chunk); each partition then holds whole tickets and about
PARTITION_BYTES of data, and is grouped and batched on its own. A small file is grouped in memory directly.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import polars as pl

from qa_engine.errors import QAError
from qa_engine.validation.raw import BLOCK_ROWS, RAW_RECORDS, RAW_TURNS, RawBatch

REQUIRED: tuple[str, ...] = ("ticket_id", "turn_index", "speaker", "text")
# `agent_id` is the agent who wrote the row's turn (a ticket can change hands); `metadata` (JSON object text) and
# `csat` and `escalated` (true/false) extend the contract's optional columns so that every JSON ticket field has a flat form.
OPTIONAL: tuple[str, ...] = (
    "ts", "agent_id", "channel", "language", "team", "customer_id", "created_at", "csat", "metadata",
    "escalated",
)  # fmt: skip
COLUMNS: tuple[str, ...] = REQUIRED + OPTIONAL
PARTITION_BYTES = 32 << 20  # data per hash partition of a large file


def contract_columns(header: Sequence[str], label: str) -> tuple[str, ...]:
    """The contract columns a file has, in the file's order; Q005 when a required one is missing."""
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise QAError("Q005", path=label, columns=", ".join(missing))
    return tuple(name for name in header if name in COLUMNS)


def _rows_text(lines: list[int]) -> str:
    """Data row numbers as ranges: [5, 6, 7, 9] -> "rows 5-7, 9"."""
    ranges: list[str] = []
    start = previous = lines[0]
    for line in [*lines[1:], None]:
        if line is not None and line == previous + 1:
            previous = line
            continue
        ranges.append(str(start) if start == previous else f"{start}-{previous}")
        if line is not None:
            start = previous = line
    return ("rows " if len(lines) > 1 else "row ") + ", ".join(ranges)


def _to_raw(frame: pl.DataFrame) -> pl.DataFrame:
    """A chunk of grouped rows in the RAW_TURNS layout (`ticket_agent_id` is JSON-only)."""
    return frame.select(
        pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype).alias(name)
        for name, dtype in RAW_TURNS.items()
    )


def _grouped_batches(frame: pl.DataFrame, source: str, columns: tuple[str, ...]) -> Iterator[RawBatch]:
    """Number the tickets of `frame` (holding whole tickets) in order of their first row; blocks of whole tickets."""
    key = pl.col("ticket_id").str.strip_chars()
    # A row without a ticket id cannot be grouped: it is its own candidate (and fails missing_field).
    first_line = (
        pl.when(key.str.len_chars() > 0).then(pl.col("_line").min().over(key)).otherwise(pl.col("_line"))
    )
    frame = (
        frame.with_columns(_rec=first_line.rank("dense").cast(pl.Int64) - 1)
        .sort("_rec", "_line")
        .with_row_index("_position")
        .with_columns(_where=pl.format("row {}", pl.col("_line")))
    )
    # About BLOCK_ROWS rows per block, never splitting a ticket: a ticket goes where its first row falls.
    block = pl.col("_position").min().over("_rec") // BLOCK_ROWS
    for (_,), part in frame.group_by(block, maintain_order=True):
        lines = part.group_by("_rec", maintain_order=True).agg(pl.col("_line"))
        records = pl.DataFrame(
            {
                "_rec": lines["_rec"],
                "location": [_rows_text(rows) for rows in lines["_line"].to_list()],
                "record": None,
            },
            schema=RAW_RECORDS,
        )
        yield RawBatch(source=source, turns=_to_raw(part), records=records, flat_columns=columns)


def flat_batches(
    source: str, columns: tuple[str, ...], chunks: Iterable[pl.DataFrame], size_bytes: int
) -> Iterator[RawBatch]:
    """Blocks of whole tickets from a flat file's chunks; `size_bytes` (about its data size) picks the partitions.

    Each chunk has the file's contract columns (text), `_line` (the data row, from 1), `_problem` and
    `_problem_detail` (what the reader found wrong with the row, else null).
    """
    partitions = max(1, math.ceil(size_bytes / PARTITION_BYTES))
    if partitions == 1:
        frames = list(chunks)
        if frames:
            yield from _grouped_batches(pl.concat(frames), source, columns)
        return
    with tempfile.TemporaryDirectory(prefix="qa-flat-") as folder:
        bucket = (pl.col("ticket_id").str.strip_chars().hash(seed=0) % partitions).alias("_bucket")
        for number, chunk in enumerate(chunks):
            for (index,), part in chunk.with_columns(bucket).group_by("_bucket"):
                part.drop("_bucket").write_parquet(Path(folder) / f"{index}-{number}.parquet")
        for index in range(partitions):
            files = sorted(Path(folder).glob(f"{index}-*.parquet"))
            if files:
                frame = pl.read_parquet(files)
                yield from _grouped_batches(frame, source, columns)
                del frame
                for file in files:
                    file.unlink()
