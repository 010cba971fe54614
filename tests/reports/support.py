"""Helpers for the report tests: the test's own SQL, and the numbers a rendered report carries."""

from __future__ import annotations

import html.parser
from pathlib import Path

import duckdb


def sql(db: Path, query: str, params: list | None = None) -> list[tuple]:
    """The test's own recomputation: a plain read-only query."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


class _Metrics(html.parser.HTMLParser):
    """Collects data-metric -> [data-value, ...] from a rendered report."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "data-metric" in found:
            self.values.setdefault(found["data-metric"] or "", []).append(found.get("data-value") or "")


def metrics(html_text: str) -> dict[str, list[str]]:
    parser = _Metrics()
    parser.feed(html_text)
    return parser.values


def one(values: dict[str, list[str]], name: str) -> float | None:
    """The single numeric value of a metric ('' is None)."""
    (value,) = values[name]
    return None if value == "" else float(value)
