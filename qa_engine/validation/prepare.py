"""Row-level normalisation of a raw batch, plus the helper columns the Great Expectations suite checks.

Great Expectations checks columns one value at a time; what needs parsing or a look at the neighbouring rows of the
same ticket (is this timestamp parseable, does it go backwards, do the rows of a ticket agree) is computed here, in
polars expressions, as plain columns it can check. Nothing is dropped or rejected here: a value that does not parse
becomes null beside a flag saying so.
"""

from __future__ import annotations

import json
import zoneinfo
from datetime import timedelta

import polars as pl

from qa_engine.errors import QAError
from qa_engine.validation.raw import TICKET_FIELDS

# ISO 8601 as people write it: "Z" or an offset (+02:00, +0200), fractions, a space for the "T", or no time zone
# (read in the run's time zone, UTC unless `qa score --tz` says otherwise), or a bare date (midnight there). Tried
# in this order.
ZONED_FORMATS: tuple[str, ...] = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M%#z")
LOCAL_FORMATS: tuple[str, ...] = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d")
TIMESTAMP_FORMATS: tuple[str, ...] = ZONED_FORMATS + LOCAL_FORMATS
DEFAULT_TIME_ZONE = "UTC"


def check_time_zone(zone: str, option: str = "--tz") -> str:
    """The zone, when both zoneinfo (the IANA database) and polars know it; else the one-line QAError Q008.
    `option` names where it came from (`--tz`, a source's `timezone:`)."""
    try:
        zoneinfo.ZoneInfo(zone)
        pl.Series([0], dtype=pl.Datetime("us")).dt.replace_time_zone(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, pl.exceptions.PolarsError):
        raise QAError("Q008", zone=zone, option=option) from None
    return zone


RAW_RENAMED: tuple[str, ...] = (
    "turn_index",
    "ts",
    "created_at",
    "csat",
    "metadata",
    "escalated",
)  # kept as raw_<name>
# `escalated` as written in JSON (true/false) or in a flat file's column (also 1/0, as spreadsheets export it)
ESCALATED_WORDS: dict[str, bool] = {"true": True, "false": False, "1": True, "0": False}
# Ticket-level columns compared across the rows of a ticket, in their normalised form.
AGREEING: tuple[str, ...] = tuple("raw_csat" if name == "csat" else name for name in TICKET_FIELDS)


def parse_timestamp(text: pl.Expr, time_zone: str = DEFAULT_TIME_ZONE) -> pl.Expr:
    """ISO 8601 text to a UTC datetime (us); null when it does not parse.

    A value with "Z" or an offset keeps it; one without is a wall-clock time in `time_zone` (an IANA name: a
    run's `--tz`, later a source's own setting). Of a time that a daylight-saving change shows twice, the first is
    meant; a time that it skips is read as the clock shows it an hour later."""
    cleaned = text.str.strip_chars().str.to_uppercase().str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T")
    zoned = [
        cleaned.str.to_datetime(fmt, strict=False, time_unit="us", time_zone="UTC") for fmt in ZONED_FORMATS
    ]
    local = pl.coalesce([cleaned.str.to_datetime(fmt, strict=False, time_unit="us") for fmt in LOCAL_FORMATS])
    if time_zone == DEFAULT_TIME_ZONE:
        in_zone = local.dt.replace_time_zone("UTC")
    else:
        placed = local.dt.replace_time_zone(time_zone, ambiguous="earliest", non_existent="null")
        skipped = (local + timedelta(hours=1)).dt.replace_time_zone(
            time_zone, ambiguous="earliest", non_existent="null"
        )
        in_zone = pl.coalesce([placed, skipped]).dt.convert_time_zone("UTC")
    return pl.coalesce([*zoned, in_zone])


def _cleaned(name: str) -> pl.Expr:
    """Trimmed text, with empty text as null: a blank CSV cell and "" in JSON both mean "not given"."""
    text = pl.col(name).str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text)


def _date_only(name: str) -> pl.Expr:
    return _cleaned(name).str.contains(r"^\d{4}-\d{2}-\d{2}$").fill_null(False)


def _given(name: str) -> pl.Expr:
    return _cleaned(name).is_not_null()


def _number(name: str) -> pl.Expr:
    return _cleaned(name).cast(pl.Float64, strict=False)


def _is_whole(number: pl.Expr) -> pl.Expr:
    return number.is_finite() & (number == number.floor())


def _canonical_objects(values: pl.Series) -> dict[str, str | None]:
    """Each distinct metadata text -> its canonical JSON (sorted keys), or None when it is not a JSON object."""
    canonical: dict[str, str | None] = {}
    for text in values.drop_nulls().unique():
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        canonical[text] = (
            json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            if isinstance(value, dict)
            else None
        )
    return canonical


def prepare(raw: pl.DataFrame, time_zone: str = DEFAULT_TIME_ZONE) -> pl.DataFrame:
    """Normalised values and check helpers for a RAW_TURNS frame, sorted by ticket and turn, with a `_row` index.

    Normalised: ids, speaker, channel and language trimmed (empty -> null); speaker and channel lower-cased;
    language lower-cased with its region dropped (zh-CN -> zh); ts and created_at parsed to UTC (zone-less values
    read in `time_zone`); turn_index and
    csat as whole numbers; metadata as canonical JSON. The raw text of the parsed ones stays as raw_<name>.
    """
    frame = raw.rename({name: f"raw_{name}" for name in RAW_RENAMED})
    metadata = _canonical_objects(frame["raw_metadata"])
    turn_number, csat_number = _number("raw_turn_index"), _number("raw_csat")
    frame = frame.with_columns(
        ticket_id=_cleaned("ticket_id"),
        speaker=_cleaned("speaker").str.to_lowercase(),
        agent_id=_cleaned("agent_id"),
        channel=_cleaned("channel").str.to_lowercase(),
        language=_cleaned("language").str.to_lowercase().str.replace(r"[-_].*$", ""),
        ticket_agent_id=_cleaned("ticket_agent_id"),
        team=_cleaned("team"),
        customer_id=_cleaned("customer_id"),
        turn_index=pl.when(_is_whole(turn_number)).then(turn_number.cast(pl.Int64)),
        turn_index_is_integer=pl.when(_given("raw_turn_index")).then(_is_whole(turn_number).fill_null(False)),
        # a turn's date without a time says when, not how long anyone waited: read as "no time stamp" (response
        # times of 0 s and whole-day handle times were fiction, and a dated turn after timed ones went "backwards")
        ts=pl.when(_date_only("raw_ts")).then(None).otherwise(parse_timestamp(pl.col("raw_ts"), time_zone)),
        created_at=parse_timestamp(pl.col("raw_created_at"), time_zone),
        csat_number=csat_number,
        csat=pl.when(_is_whole(csat_number)).then(csat_number.cast(pl.Int64)),
        csat_is_integer=pl.when(_given("raw_csat")).then(_is_whole(csat_number).fill_null(False)),
        metadata=pl.col("raw_metadata").replace_strict(metadata, default=None, return_dtype=pl.String),
        escalated=_cleaned("raw_escalated")
        .str.to_lowercase()
        .replace_strict(ESCALATED_WORDS, default=None, return_dtype=pl.Boolean),
        text_len=pl.col("text").str.len_chars(),
        text_stripped_len=pl.col("text").str.strip_chars().str.len_chars(),
    ).with_columns(
        ts_is_valid=pl.when(_given("raw_ts")).then(pl.col("ts").is_not_null() | _date_only("raw_ts")),
        created_at_is_valid=pl.when(_given("raw_created_at")).then(pl.col("created_at").is_not_null()),
        metadata_is_object=pl.when(_given("raw_metadata")).then(pl.col("metadata").is_not_null()),
        escalated_is_valid=pl.when(_given("raw_escalated")).then(pl.col("escalated").is_not_null()),
        raw_csat=_cleaned("raw_csat"),
    )
    # Conversation order, then per-ticket facts that need it.
    frame = frame.sort("_rec", "turn_index", nulls_last=True, maintain_order=True).with_row_index("_row")
    return frame.with_columns(
        # The latest timestamp of the turns before this one: a turn earlier than it goes backwards.
        ts_prev=pl.col("ts").cum_max().forward_fill().shift(1).over("_rec"),
        turn_index_count=pl.when(pl.col("turn_index").is_not_null()).then(
            pl.len().over("_rec", "turn_index")
        ),
        # Rows the reader marked (ragged, undecodable) hold shifted or mangled values: they do not vote.
        ticket_field_variants=pl.max_horizontal(
            pl.when(pl.col("_problem").is_null()).then(name).drop_nulls().n_unique().over("_rec")
            for name in AGREEING
        ),
    ).with_columns(
        # Indexes, lengths and counts as Int64: Great Expectations compares int64 and float64 columns vectorised,
        # any other integer type with one Python call per row.
        pl.col("_row", "text_len", "text_stripped_len", "turn_index_count", "ticket_field_variants").cast(
            pl.Int64
        )
    )
