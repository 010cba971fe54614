"""Parquet (.parquet): one row per turn, read a batch of rows at a time with pyarrow (bounded by the row group).

Columns are turned into text so that every format meets the same checks: timestamps become ISO 8601 (UTC when the
column has a time zone), numbers their decimal form, a struct `metadata` column its JSON.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from qa_engine.errors import QAError
from qa_engine.sources.flat import contract_columns, flat_batches
from qa_engine.sources.registry import register_source
from qa_engine.validation.raw import RawBatch

ROWS_PER_READ = 64_000


def _as_text(name: str, dtype: pl.DataType, label: str) -> pl.Expr:
    column = pl.col(name)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return column.dt.to_string("%Y-%m-%dT%H:%M:%S%.f")
        return column.dt.convert_time_zone("UTC").dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ")
    if isinstance(dtype, pl.Date):
        return column.dt.to_string("%Y-%m-%d")
    if isinstance(dtype, pl.Struct) and name == "metadata":
        return column.struct.json_encode()
    if dtype.is_numeric() or isinstance(dtype, pl.String | pl.Boolean | pl.Categorical | pl.Enum | pl.Null):
        return column.cast(pl.String)
    raise QAError("Q002", path=label, detail=f"column {name} holds {dtype}, which cannot be read as text")


def _chunks(parquet: pq.ParquetFile, columns: tuple[str, ...], label: str) -> Iterator[pl.DataFrame]:
    rows_before = 0
    for batch in parquet.iter_batches(batch_size=ROWS_PER_READ, columns=list(columns)):
        frame = pl.from_arrow(batch)
        yield frame.select(
            pl.int_range(rows_before + 1, rows_before + 1 + frame.height, dtype=pl.Int64).alias("_line"),
            *(_as_text(name, dtype, label).alias(name) for name, dtype in frame.schema.items()),
            _problem=pl.lit(None, pl.String),
            _problem_detail=pl.lit(None, pl.String),
        )
        rows_before += frame.height


@register_source(".parquet")
def read_parquet(path: Path, label: str) -> Iterator[RawBatch]:
    """Blocks of whole tickets from a Parquet file; Q002 when it is not Parquet, Q005 when a column is missing."""
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as error:
        raise QAError("Q002", path=label, detail=f"it is not a Parquet file ({error})") from error
    columns = contract_columns(parquet.schema_arrow.names, label)
    try:
        chunks = _chunks(parquet, columns, label)
        first = next(chunks, None)
        if first is None:
            return
        # Compressed, dictionary-encoded sizes say little about the rows in memory: scale up the first chunk's.
        size = first.estimated_size() * parquet.metadata.num_rows // max(first.height, 1)
        yield from flat_batches(label, columns, itertools.chain([first], chunks), size)
    except pa.ArrowException as error:
        raise QAError("Q002", path=label, detail=f"its data cannot be read ({error})") from error
