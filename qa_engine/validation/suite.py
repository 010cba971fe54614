"""The Great Expectations suite over the turns table, and running it on a prepared batch.

Each expectation carries, in its `meta`, the quarantine reason it stands for and a one-line message template filled
from the failing row (`{where}` names the turn: `turns[2].` in JSON, `row 7: ` in flat files; ticket-level checks
drop it for JSON, where the ticket is the whole line). The context, the data asset and the suite are built once per
process: Great Expectations takes seconds to import and set up, a batch then validates in well under a second.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

import polars as pl

from qa_engine.errors import QAError
from qa_engine.schema import CHANNELS, SPEAKERS

if TYPE_CHECKING:
    import great_expectations as gx

SUITE_NAME = "qa_engine.turns"
INDEX_COLUMN = "_row"
MAX_TEXT_PARAMETER = "max_text_chars"
FAILURES: dict[str, pl.DataType] = {
    INDEX_COLUMN: pl.Int64(),
    "reason": pl.String(),
    "detail": pl.String(),  # the template, filled by the caller from the failing row
    "level": pl.String(),  # "turn", "ticket", or "text" (a turn without text: set aside alone, see validate.py)
}


def _meta(reason: str, detail: str, level: str = "turn") -> dict[str, str]:
    return {"reason": reason, "detail": detail, "level": level}


def _import_gx() -> Any:
    # Its usage analytics would try the network on every run; a user can still turn them on explicitly.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx_module

    return gx_module


def build_suite() -> gx.ExpectationSuite:
    """The turns suite: every value check of CONTRACT.md section 1, one expectation per rule and column.

    `text_len` is compared with the suite parameter `max_text_chars`, given when a batch is validated.
    """
    gx_module = _import_gx()
    _context()  # Great Expectations builds suites only inside an active context
    gxe = gx_module.expectations
    speakers, channels = ", ".join(SPEAKERS), ", ".join(CHANNELS)
    expectations = [
        gxe.ExpectColumnValuesToNotBeNull(
            column="ticket_id", meta=_meta("missing_field", "{where}ticket_id is missing or empty", "ticket")
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="raw_turn_index", meta=_meta("missing_field", "{where}turn_index is missing")
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="turn_index_is_integer",
            value_set=[True],
            meta=_meta("invalid_turn_index", "{where}turn_index {raw_turn_index!r} is not a whole number"),
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="turn_index_count",
            max_value=1,
            meta=_meta(
                "duplicate_turn_index", "{where}turn_index {turn_index} is used by {turn_index_count} rows"
            ),
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="speaker", meta=_meta("missing_field", "{where}speaker is missing")
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="speaker",
            value_set=list(SPEAKERS),
            meta=_meta("unknown_speaker", f"{{where}}speaker {{speaker!r}} is not one of {speakers}"),
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="text", meta=_meta("missing_field", "{where}text is missing", "text")
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="text_stripped_len", min_value=1, meta=_meta("empty_text", "{where}text is empty", "text")
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="text_len",
            max_value={"$PARAMETER": MAX_TEXT_PARAMETER},
            meta=_meta(
                "text_too_long",
                "{where}text has {text_len:,} characters, more than the limit of {max_text_chars:,}",
            ),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="ts_is_valid",
            value_set=[True],
            meta=_meta("invalid_timestamp", "{where}ts {raw_ts!r} is not an ISO 8601 timestamp"),
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="ts",
            column_B="ts_prev",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=_meta(
                "timestamp_backwards", "{where}ts {raw_ts!r} is earlier than an earlier turn's {ts_prev}"
            ),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="created_at_is_valid",
            value_set=[True],
            meta=_meta(
                "invalid_timestamp",
                "{where}created_at {raw_created_at!r} is not an ISO 8601 timestamp",
                "ticket",
            ),
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="ticket_field_variants",
            max_value=1,
            meta=_meta(
                "ticket_fields_disagree",
                "ticket-level columns differ between its rows: {disagreeing}",
                "ticket",
            ),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="channel",
            value_set=list(CHANNELS),
            meta=_meta(
                "invalid_channel", f"{{where}}channel {{channel!r}} is not one of {channels}", "ticket"
            ),
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="language",
            regex=r"^[a-z]{2}$",
            meta=_meta(
                "invalid_language",
                "{where}language {language!r} is not a two-letter ISO 639-1 code",
                "ticket",
            ),
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="csat_number",
            min_value=1,
            max_value=5,
            meta=_meta("invalid_csat", "{where}csat {raw_csat} is not a whole number from 1 to 5", "ticket"),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="csat_is_integer",
            value_set=[True],
            meta=_meta("invalid_csat", "{where}csat {raw_csat} is not a whole number from 1 to 5", "ticket"),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="escalated_is_valid",
            value_set=[True],
            meta=_meta(
                "invalid_escalated", "{where}escalated {raw_escalated!r} is not true or false", "ticket"
            ),
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="metadata_is_object",
            value_set=[True],
            meta=_meta("invalid_metadata", "{where}metadata is not a JSON object", "ticket"),
        ),
    ]
    suite = gx_module.ExpectationSuite(name=SUITE_NAME)
    for expectation in expectations:
        suite.add_expectation(expectation)
    return suite


def suite_columns(suite: gx.ExpectationSuite) -> list[str]:
    """The prepared columns the suite reads, in first-use order."""
    columns: dict[str, None] = {}
    for expectation in suite.expectations:
        kwargs = expectation.configuration.kwargs
        for key in ("column", "column_A", "column_B"):
            if key in kwargs:
                columns[kwargs[key]] = None
    return list(columns)


@cache
def _context() -> Any:
    """One ephemeral context per process: nothing written to disk, no GX Cloud, no progress bars."""
    gx_module = _import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx_module.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


@cache
def _runtime() -> tuple[Any, gx.ExpectationSuite, list[str]]:
    """The context's pandas batch definition, the suite and the columns it reads, built once per process."""
    asset = _context().data_sources.add_pandas("qa_engine").add_dataframe_asset("turns")
    batch_definition = asset.add_batch_definition_whole_dataframe("batch")
    suite = build_suite()
    return batch_definition, suite, suite_columns(suite)


def _raised(exception_info: Any) -> str | None:
    """The error message if Great Expectations caught an exception while checking (it reports, not raises)."""
    infos = (
        [exception_info] if "raised_exception" in (exception_info or {}) else (exception_info or {}).values()
    )
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            return str(info.get("exception_message"))
    return None


def _validate(batch: Any, suite: gx.ExpectationSuite, result_format: Any, max_text_chars: int) -> list[Any]:
    results = batch.validate(
        suite, result_format=result_format, expectation_parameters={MAX_TEXT_PARAMETER: max_text_chars}
    ).results
    for outcome in results:
        error = _raised(outcome.exception_info)
        if error is not None:
            config = outcome.expectation_config
            raise QAError("Q007", expectation=f"{config.type}({config.kwargs})", detail=error)
    return results


def run_suite(prepared: pl.DataFrame, max_text_chars: int) -> pl.DataFrame:
    """Validate a prepared batch; one FAILURES row per failing (row, expectation).

    Two passes: a pass/fail pass over the whole suite (most batches pass everything), then the failing
    expectations alone with COMPLETE results, which name every failing row. This halves the time of a clean batch.
    """
    batch_definition, suite, columns = _runtime()
    if prepared.is_empty():
        return pl.DataFrame(schema=FAILURES)
    # Great Expectations takes pandas, not polars; only the columns it checks go across.
    frame = prepared.select(INDEX_COLUMN, *columns).to_pandas()
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    failed = [
        outcome.expectation_config.to_domain_obj()
        for outcome in _validate(batch, suite, "BOOLEAN_ONLY", max_text_chars)
        if not outcome.success
    ]
    failures: dict[str, list[Any]] = {name: [] for name in FAILURES}
    if not failed:
        return pl.DataFrame(failures, schema=FAILURES)
    complete = {"result_format": "COMPLETE", "unexpected_index_column_names": [INDEX_COLUMN]}
    failing_suite = _import_gx().ExpectationSuite(name=f"{SUITE_NAME}.failing", expectations=failed)
    for outcome in _validate(batch, failing_suite, complete, max_text_chars):
        meta = outcome.expectation_config.meta
        for unexpected in outcome.result.get("unexpected_index_list") or []:
            failures[INDEX_COLUMN].append(int(unexpected[INDEX_COLUMN]))
            for key in ("reason", "detail", "level"):
                failures[key].append(meta[key])
    return pl.DataFrame(failures, schema=FAILURES)
