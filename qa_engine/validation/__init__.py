"""Validation: structural checks, the Great Expectations suite over the turns table, and the quarantine.

`validate_batch` turns a RawBatch (what a source read) into accepted tickets and QuarantineRecords; REASONS documents
every reason code; `build_suite` builds the Great Expectations suite.
"""

from qa_engine.validation.quarantine import QuarantineRecord, summarize
from qa_engine.validation.raw import RAW_RECORDS, RAW_TURNS, RawBatch
from qa_engine.validation.reasons import REASONS
from qa_engine.validation.suite import build_suite
from qa_engine.validation.validate import FirstSeen, ValidatedBatch, validate_batch

__all__ = [
    "RAW_RECORDS",
    "RAW_TURNS",
    "REASONS",
    "FirstSeen",
    "QuarantineRecord",
    "RawBatch",
    "ValidatedBatch",
    "build_suite",
    "summarize",
    "validate_batch",
]
