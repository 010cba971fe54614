"""Where each source's pulls stand, kept in the store beside the results (CONTRACT.md section 6).

`pull_cursors`: one row per source, the cursor its next pull starts from (a JSON object whose shape the connector
owns: Zendesk's `after_cursor`, Freshdesk's `updated_since`, ...). `pull_ledger`: the items a source has stored and
the version each was stored at (a helpdesk ticket and its `updated_at`; a folder's file by content hash, with its
size and path), so a ticket listed again with the same version is not fetched again and a file delivered twice is
not read again.

Both move only after what they cover is stored: `save_page` runs after the page's tickets were written, in one
transaction. A pull that dies between the two re-reads that page next time; its tickets are unchanged, so their
content hashes match and nothing is scored twice. Plain SQL (`ON CONFLICT ... DO UPDATE`) that DuckDB and
PostgreSQL both speak.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from qa_engine.store import Store

DDL = """
CREATE TABLE IF NOT EXISTS pull_cursors (
    source VARCHAR PRIMARY KEY,           -- the name in SOURCES.yaml
    kind VARCHAR NOT NULL,                -- zendesk / freshdesk / gorgias / sql / folder
    cursor VARCHAR,                       -- JSON: where the next pull starts (the connector's own shape)
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS pull_ledger (
    source VARCHAR NOT NULL,
    item VARCHAR NOT NULL,                -- the helpdesk's ticket id, or a file's sha256
    version VARCHAR NOT NULL,             -- the ticket's updated_at, or the file's size
    detail VARCHAR,                       -- a file's path (folders)
    pulled_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, item)
);
"""


class PullState:
    """Cursor and ledger of the sources pulled into one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def init(self) -> None:
        with self.store.connect() as con:
            con.execute(DDL)

    def cursor(self, source: str) -> dict[str, Any] | None:
        """The saved cursor of a source; None before its first finished page."""
        with self.store.connect() as con:
            row = con.execute("SELECT cursor FROM pull_cursors WHERE source = ?", [source]).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def known(self, source: str, items: Mapping[str, str]) -> set[str]:
        """Of these {item: version}, the items stored at exactly that version."""
        if not items:
            return set()
        with self.store.connect() as con:
            rows = con.execute(
                "SELECT item, version FROM pull_ledger WHERE source = ? AND item IN "
                f"({', '.join('?' for _ in items)})",
                [source, *items],
            ).fetchall()
        return {item for item, version in rows if items.get(item) == version}

    def save_page(
        self,
        source: str,
        kind: str,
        cursor: Mapping[str, Any] | None,
        versions: Mapping[str, str],
        details: Mapping[str, str] | None = None,
    ) -> None:
        """Record a stored page: its items' versions and the cursor after it, together or not at all."""
        now = datetime.now(UTC)
        with self.store.connect() as con:
            con.begin()
            try:
                if versions:
                    con.executemany(
                        "INSERT INTO pull_ledger (source, item, version, detail, pulled_at) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT (source, item) DO UPDATE SET version = excluded.version, "
                        "detail = excluded.detail, pulled_at = excluded.pulled_at",
                        [[source, item, v, (details or {}).get(item), now] for item, v in versions.items()],
                    )
                if cursor is not None:
                    con.execute(
                        "INSERT INTO pull_cursors (source, kind, cursor, updated_at) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (source) DO UPDATE SET kind = excluded.kind, cursor = excluded.cursor, "
                        "updated_at = excluded.updated_at",
                        [source, kind, json.dumps(cursor, sort_keys=True, default=str), now],
                    )
                con.commit()
            except Exception:
                con.rollback()
                raise

    def record_run(self, run_id: str, failed: bool, sources: list[dict[str, Any]]) -> None:
        """Add the per-source outcome to the run's summary; a run with a failed source is marked failed."""
        with self.store.connect() as con:
            row = con.execute("SELECT summary FROM runs WHERE run_id = ?", [run_id]).fetchone()
            summary = json.loads(row[0]) if row and row[0] else {}
            summary["sources"] = sources
            con.execute(
                "UPDATE runs SET summary = ?, status = CASE WHEN ? THEN 'failed' ELSE status END WHERE run_id = ?",
                [json.dumps(summary), failed, run_id],
            )
