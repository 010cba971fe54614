"""The results store: an embedded DuckDB file (`qa.duckdb` by default)."""

from qa_engine.store.duck import Store

__all__ = ["Store"]
