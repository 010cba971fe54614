"""The results store: an embedded DuckDB file (`qa.duckdb` by default).

`Store` is imported on first use, so that a command's `--help` and its options (`location.py`) do not load DuckDB
and polars.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qa_engine.store.duck import Store

__all__ = ["Store"]


def __getattr__(name: str) -> Any:
    if name == "Store":
        from qa_engine.store.duck import Store

        return Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
