"""CSV (.csv, and .tsv for tab-separated files): one row per turn, UTF-8, a header row naming the columns.

The delimiter is the comma, or the one the header row shows: spreadsheets set to a European locale save CSV with
semicolons, some exports use tabs or pipes. The first of `DELIMITERS` that splits the header into every required
column is used; with none, the comma (and Q005 names the missing columns).

The file is read in blocks of CHUNK_BYTES cut at row boundaries (a newline outside quotes), each parsed by polars
with every value as text; a block polars refuses (a row with more fields than the header) is parsed again by
Python's csv module, which marks just the ragged rows. Rows with bytes that are not UTF-8 are marked too. Marked
rows quarantine their ticket; the rest of the file is read as usual.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from qa_engine.errors import QAError
from qa_engine.sources.flat import REQUIRED, contract_columns, flat_batches
from qa_engine.sources.inputs import UTF8_BOM, check_text_file, is_utf8
from qa_engine.sources.registry import register_source
from qa_engine.validation.raw import RawBatch

CHUNK_BYTES = 16 << 20
DELIMITERS = (",", ";", "\t", "|")
BAD_TEXT = "[\ufffd\x00]"  # undecodable bytes read leniently, and NUL bytes


def _column_name(written: str) -> str:
    """A header cell as the contract names columns: spreadsheets and exports write "Ticket_ID" or "Turn Index"."""
    return re.sub(r"[\s-]+", "_", written.strip().lower())


def _header(path: Path, label: str) -> tuple[list[str], str]:
    """The header's column names and the file's delimiter."""
    with path.open("rb") as handle:
        line = handle.readline().removeprefix(UTF8_BOM)
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise QAError("Q002", path=label, detail="its header row is not UTF-8 text") from error
    for delimiter in DELIMITERS:
        names = [_column_name(name) for name in next(csv.reader([text], delimiter=delimiter), [])]
        if all(name in names for name in REQUIRED):
            break
    else:
        delimiter = ","
        names = [_column_name(name) for name in next(csv.reader([text]), [])]
    duplicated = sorted({name for name in names if names.count(name) > 1 and name})
    if duplicated:
        raise QAError("Q002", path=label, detail=f"its header names {', '.join(duplicated)} more than once")
    return names, delimiter


def _record_end(data: bytes) -> int:
    """Where the last complete row of `data` ends: after the last newline outside quotes (0: none yet)."""
    end = data.rfind(b"\n")
    while end >= 0 and data.count(b'"', 0, end) % 2:
        end = data.rfind(b"\n", 0, end)
    return end + 1


def _parse_with_polars(piece: bytes, width: int, delimiter: str) -> pl.DataFrame:
    names = [f"c{index}" for index in range(width)]
    return pl.read_csv(
        io.BytesIO(piece),
        has_header=False,
        separator=delimiter,
        new_columns=names,
        schema=dict.fromkeys(names, pl.String),
        encoding="utf8-lossy",
    ).with_columns(_problem=pl.lit(None, pl.String), _problem_detail=pl.lit(None, pl.String))


def _parse_with_csv_module(piece: bytes, width: int, delimiter: str) -> pl.DataFrame:
    """The slow, forgiving path for a block with ragged rows: each such row is kept, marked malformed_row."""
    rows, problems, details = [], [], []
    text = io.StringIO(piece.decode("utf-8", errors="replace"), newline="")
    for fields in csv.reader(text, delimiter=delimiter):
        if not fields:
            continue
        extra = len(fields) > width
        # Short rows are padded and empty cells are null, as polars reads them.
        rows.append([value or None for value in (fields + [""] * width)[:width]])
        problems.append("malformed_row" if extra else None)
        details.append(f"has {len(fields)} fields, the header has {width}" if extra else None)
    names = [f"c{index}" for index in range(width)]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")
    return frame.with_columns(
        _problem=pl.Series(problems, dtype=pl.String), _problem_detail=pl.Series(details)
    )


def _chunks(
    path: Path, header: list[str], delimiter: str, columns: tuple[str, ...]
) -> Iterator[pl.DataFrame]:
    """The data rows as frames of text columns named by the contract, `_line` numbering them from 1."""
    positions = {name: f"c{header.index(name)}" for name in columns}
    rows_before = 0
    with path.open("rb") as handle:
        handle.readline()
        carry = b""
        while True:
            block = handle.read(CHUNK_BYTES)
            data = carry + block
            cut = _record_end(data) if block else len(data)
            piece, carry = data[:cut], data[cut:]
            if piece.strip():
                try:
                    frame = _parse_with_polars(piece, len(header), delimiter)
                except pl.exceptions.PolarsError:  # ragged rows, in any form polars reports them
                    frame = _parse_with_csv_module(piece, len(header), delimiter)
                frame = frame.select(
                    *(pl.col(position).alias(name) for name, position in positions.items()),
                    "_problem",
                    "_problem_detail",
                ).filter(~pl.all_horizontal(pl.col(name).is_null() for name in columns))  # blank lines
                if b"\x00" in piece or not is_utf8(piece):
                    bad = pl.any_horizontal(pl.col(name).str.contains(BAD_TEXT) for name in columns)
                    frame = frame.with_columns(
                        _problem=pl.when(bad).then(pl.lit("invalid_encoding")).otherwise("_problem"),
                        _problem_detail=pl.when(bad)
                        .then(pl.lit("holds bytes that are not UTF-8 text"))
                        .otherwise("_problem_detail"),
                    )
                yield frame.with_row_index("_line", offset=rows_before + 1).with_columns(
                    pl.col("_line").cast(pl.Int64)
                )
                rows_before += frame.height
            if not block:
                return


@register_source(".csv", ".tsv")
def read_csv(path: Path, label: str) -> Iterator[RawBatch]:
    """Blocks of whole tickets from a CSV file; Q005 when a required column is missing."""
    check_text_file(path, label)
    header, delimiter = _header(path, label)
    columns = contract_columns(header, label)
    yield from flat_batches(label, columns, _chunks(path, header, delimiter, columns), path.stat().st_size)
