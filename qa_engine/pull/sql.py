"""A SQL database or warehouse (CONTRACT.md section 6): any SQLAlchemy URL, a query file, paged by `updated_at`.

The query gives one row per turn with the flat-table columns of section 1 plus `updated_at`. A ticket's version is
the latest `updated_at` of its rows; pages are keyset pages over (version, ticket id), so the saved cursor (the last
ticket of the last stored page) is exact: the next pull reads the tickets changed after it, each with all its rows.
Values are bound, never formatted into the SQL; the URL (with its password) comes from the environment and never
appears in a message.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from qa_engine.pull.base import Known, Page, register_connector, ticket_quarantine
from qa_engine.pull.config import SqlSource
from qa_engine.pull.http import SourceFailed, scrub

TICKET_COLUMNS = ("channel", "language", "team", "customer_id", "created_at", "csat", "metadata")
TICKET_AGENT = (
    "ticket_agent_id"  # a flat file's agent_id is the turn's; the ticket's owner is the most active
)


def _text(value: Any) -> Any:
    """A database value as the JSON record's value: times as ISO 8601, numbers of ids as text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _cursor_value(value: Any) -> dict[str, Any]:
    if isinstance(value, datetime):
        return {"type": "datetime", "value": value.isoformat()}
    return {"type": type(value).__name__, "value": value}


def _bound(saved: dict[str, Any]) -> Any:
    return datetime.fromisoformat(saved["value"]) if saved["type"] == "datetime" else saved["value"]


def _start_bound(sample: Any, start: datetime) -> Any:
    """The first pull's lower bound in the type the database gives `updated_at` in."""
    if isinstance(sample, datetime):
        return start if sample.tzinfo else start.astimezone(UTC).replace(tzinfo=None)
    if isinstance(sample, int | float) and not isinstance(sample, bool):
        return type(sample)(start.timestamp())
    if isinstance(sample, str):
        separator = "T" if len(sample) > 10 and sample[10] == "T" else " "
        return start.astimezone(UTC).strftime(f"%Y-%m-%d{separator}%H:%M:%S")
    return start


def build_tickets(name: str, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list]:
    """Canonical records from one page's rows (each ticket's rows together); disagreeing ticket fields quarantine."""
    by_ticket: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_ticket.setdefault(str(row["ticket_id"]), []).append(row)
    records, quarantine = [], []
    for tid, group in by_ticket.items():
        fields: dict[str, Any] = {}
        disagree = []
        for column in (*TICKET_COLUMNS, TICKET_AGENT):
            values = {repr(_text(r.get(column))) for r in group if r.get(column) is not None}
            if len(values) > 1:
                disagree.append(column)
            found = [r[column] for r in group if r.get(column) is not None]
            if found:
                fields[column] = _text(found[0])
        if disagree:
            detail = f"rows of ticket {tid} give different values for {', '.join(disagree)}"
            quarantine.append(
                ticket_quarantine(name, tid, "rows", "ticket_fields_disagree", detail, group, ticket_id=tid)
            )
            continue
        if fields.get("csat") is not None and isinstance(fields["csat"], str) and fields["csat"].isdigit():
            fields["csat"] = int(fields["csat"])
        if isinstance(fields.get("metadata"), str):
            with contextlib.suppress(ValueError):  # else validation quarantines it as invalid_metadata
                fields["metadata"] = json.loads(fields["metadata"])
        if TICKET_AGENT in fields:
            fields["agent_id"] = str(fields.pop(TICKET_AGENT))
        for key in ("team", "customer_id"):
            if key in fields:
                fields[key] = str(fields[key])
        turns = []
        for row in sorted(group, key=lambda r: (r.get("turn_index") is None, _sort_key(r.get("turn_index")))):
            turn = {"speaker": row.get("speaker"), "text": row.get("text")}
            if row.get("ts") is not None:
                turn["ts"] = _text(row["ts"])
            if row.get("agent_id") is not None:
                turn["agent_id"] = str(row["agent_id"])
            turns.append(turn)
        records.append({"ticket_id": tid, **fields, "turns": turns})
    return records, quarantine


def _sort_key(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _connect_args(url: str, timeout: float) -> dict[str, Any]:
    """A time limit on connecting (and, on PostgreSQL, on each statement) in the driver's own words."""
    if url.startswith("sqlite"):
        return {"timeout": timeout}
    if url.startswith("postgresql"):
        return {
            "connect_timeout": max(1, int(timeout)),
            "options": f"-c statement_timeout={int(timeout * 1000)}",
        }
    if url.startswith("mysql"):
        return {"connect_timeout": max(1, int(timeout))}
    return {}


def _with_installed_driver(url: str) -> str:
    """`postgresql://` means psycopg2 to SQLAlchemy; when only psycopg 3 is installed (as here), use it."""
    import importlib.util

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if (
        parsed.drivername == "postgresql"
        and importlib.util.find_spec("psycopg2") is None
        and importlib.util.find_spec("psycopg") is not None
    ):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


@register_connector("sql")
def pull_sql(source: SqlSource, cursor: dict[str, Any] | None, known: Known) -> Iterator[Page]:
    """Keyset pages of tickets changed after the saved cursor (or `start`), each ticket with all its rows."""
    from sqlalchemy import String, bindparam, cast, column, create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    from qa_engine.pull.config import secret

    url = secret(source, "url_env")
    secrets = source.secrets()
    try:
        query = source.query.read_text(encoding="utf-8").strip().rstrip(";").strip()
    except OSError as exc:
        raise SourceFailed(
            source.name, f"cannot read the query file {source.query}: {exc.strerror}"
        ) from None
    try:
        url = _with_installed_driver(url)
        engine = create_engine(url, connect_args=_connect_args(url, source.timeout), pool_pre_ping=True)
    except Exception as exc:  # a malformed URL or a missing driver: the message may quote the URL
        raise SourceFailed(
            source.name, scrub(f"cannot use its database URL ({type(exc).__name__}: {exc})", secrets)
        ) from None
    tid = str(cast(column("ticket_id"), String()).compile(dialect=engine.dialect))
    changed = text(
        f"SELECT {tid} AS tid, MAX(updated_at) AS version FROM ({query}) q GROUP BY {tid} "
        f"HAVING MAX(updated_at) > :after OR (MAX(updated_at) = :after AND {tid} > :after_id) "
        f"ORDER BY version, tid LIMIT :n"
    )
    rows_of = text(f"SELECT * FROM ({query}) q WHERE {tid} IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    try:
        with engine.connect() as con:
            if cursor:
                after, after_id = _bound(cursor["updated_at"]), cursor["ticket_id"]
            else:
                sample = con.execute(
                    text(f"SELECT updated_at FROM ({query}) q WHERE updated_at IS NOT NULL LIMIT 1")
                ).scalar()
                after, after_id = _start_bound(sample, source.start_time()), ""
            while True:
                found = con.execute(
                    changed, {"after": after, "after_id": after_id, "n": source.page_tickets}
                ).all()
                if not found:
                    return
                versions = {str(r.tid): str(_text(r.version)) for r in found}
                unchanged = known(versions)
                wanted = [t for t in versions if t not in unchanged]
                rows = [dict(r._mapping) for r in con.execute(rows_of, {"ids": wanted})] if wanted else []
                records, quarantine = build_tickets(source.name, rows)
                last = found[-1]
                page = Page(
                    cursor={"updated_at": _cursor_value(last.version), "ticket_id": str(last.tid)},
                    tickets=records, quarantine=quarantine, listed=len(found), skipped=len(unchanged),
                    versions={t: versions[t] for t in wanted},
                )  # fmt: skip
                yield page
                if len(found) < source.page_tickets:
                    return
                after, after_id = last.version, str(last.tid)
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        detail = first[0] if first else type(exc).__name__
        raise SourceFailed(
            source.name, scrub(f"database error: {type(exc).__name__}: {detail}", secrets)
        ) from None
    finally:
        engine.dispose()
