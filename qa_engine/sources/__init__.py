"""Sources: read transcripts (JSON Lines, JSON, CSV, Parquet) into the canonical tables, with their quarantine.

`read_raw` (the read step) and `Validator` (the validate step) are the entry points; `read_inputs` chains them.
Readers register by file suffix (`registry.register_source`); importing this package registers the built-in ones.
"""

from qa_engine.sources import csv_file, json_file, jsonl, parquet_file  # noqa: F401 (their registrations)
from qa_engine.sources.read import SourceBatch, Validator, read_inputs, read_raw
from qa_engine.sources.registry import SOURCES, register_source

__all__ = ["SOURCES", "SourceBatch", "Validator", "read_inputs", "read_raw", "register_source"]
