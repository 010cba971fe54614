"""What a connector hands to `qa pull`: pages of canonical tickets (or files), each with the cursor after it.

A connector is a generator function registered by kind (`@register_connector("zendesk")`, spaCy's habit): it
takes the source's configuration, its saved cursor (None on the first pull) and a `Known` check against the
ledger, and yields `Page`s in order. It never writes the store: `qa_engine.pull.run` stores each page's tickets and
only then saves the page's cursor and ledger entries.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa_engine.pull.http import ItemUnavailable
from qa_engine.validation.quarantine import QuarantineRecord
from qa_engine.validation.structure import repair_surrogates

Known = Callable[[Mapping[str, str]], set[str]]  # {item: version} -> the items already stored at that version


@dataclass
class Page:
    """One page of a source: the tickets to score (CONTRACT.md section 1 records), or files to read like `qa
    score`, what was quarantined, and the state to save once they are stored."""

    cursor: dict[str, Any] | None  # where the next pull starts once this page is stored (None: unchanged)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[QuarantineRecord] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # ledger: item -> version, saved with the cursor
    details: dict[str, str] = field(default_factory=dict)  # ledger: item -> detail (a file's path)
    files: list[Path] = field(default_factory=list)
    listed: int = 0  # items the page listed, unchanged and deleted ones included
    skipped: int = 0  # of those, not fetched again (unchanged since stored) or skipped (deleted)

    def to_fetch(
        self,
        tickets: list[dict[str, Any]],
        known: Known,
        *,
        gone: Callable[[dict[str, Any]], bool],
        version: str,
        no_id: Callable[[], Exception],
    ) -> dict[str, tuple[dict[str, Any], str]]:
        """The listed helpdesk tickets worth fetching, as id -> (ticket, version): each must have an id (else
        `no_id()` is raised), deleted ones (`gone`) and those stored at their `version` field's value are counted
        as skipped. A ticket listed twice keeps its later copy, the newer one."""
        live: dict[str, dict[str, Any]] = {}
        for ticket in tickets:
            if ticket.get("id") is None:
                raise no_id()
            if gone(ticket):
                self.skipped += 1
                continue
            live[str(ticket["id"])] = ticket
        versions = {tid: str(t.get(version)) for tid, t in live.items()}
        unchanged = known(versions)
        self.skipped += len(unchanged)
        return {tid: (t, versions[tid]) for tid, t in live.items() if tid not in unchanged}

    def add(
        self, item: str, version: str, built: tuple[dict[str, Any] | None, list[QuarantineRecord]]
    ) -> None:
        """A fetched ticket: its record (if it had a usable turn), its quarantine, its ledger version."""
        record, quarantine = built
        if record:
            self.tickets.append(record)
        self.quarantine.extend(quarantine)
        self.versions[item] = version

    def add_fetched(
        self, name: str, item: str, version: str, ticket: dict[str, Any], build: Callable[[], tuple]
    ) -> None:
        """`add` what `build()` makes of a listed ticket it fetches; a ticket whose comments or messages are gone
        since it was listed (`ItemUnavailable`) is quarantined instead, and the pull goes on."""
        try:
            built = build()
        except ItemUnavailable as gone:
            built = unavailable(name, item, ticket, gone)
        self.add(item, version, built)


Connector = Callable[[Any, dict[str, Any] | None, Known], Iterator[Page]]
CONNECTORS: dict[str, Connector] = {}


def register_connector(kind: str) -> Callable[[Connector], Connector]:
    """Register a connector for a `kind:` of SOURCES.yaml."""

    def register(connector: Connector) -> Connector:
        if kind in CONNECTORS:
            raise ValueError(f"a connector for {kind} is already registered")
        CONNECTORS[kind] = connector
        return connector

    return register


def ticket_quarantine(
    name: str,
    raw_id: Any,
    location: str,
    reason: str,
    detail: str,
    record: Any,
    ticket_id: str | None = None,
) -> QuarantineRecord:
    """A quarantined piece of a pulled ticket, with the contract's source `NAME:ticket/ID`; `ticket_id` is the
    stored id (default `NAME:ID`, the helpdesks' form)."""
    text = record if isinstance(record, str) else json.dumps(record, ensure_ascii=False, default=str)
    text = repair_surrogates(text)  # a lone surrogate (a broken emoji) is kept as U+FFFD
    stored = ticket_id if ticket_id is not None else f"{name}:{raw_id}"
    return QuarantineRecord(f"{name}:ticket/{raw_id}", location, reason, detail, text, stored)


def text_id(value: Any) -> str | None:
    """An id as the canonical text form (vendors send numbers, some as 113.0), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def unavailable(name: str, raw_id: Any, ticket: dict[str, Any], why: Exception) -> tuple[None, list]:
    """`Page.add`'s record for a listed ticket whose comments or messages are gone (404, 410): no record, the ticket
    to the quarantine, so the pull goes on and the ledger has it (a later change lists it again)."""
    detail = f"{getattr(why, 'detail', why)}: deleted or merged since it was listed"
    return None, [ticket_quarantine(name, raw_id, "ticket", "ticket_unavailable", detail, ticket)]


class Repeats:
    """Pagination that hands back a cursor, link or page it already gave would loop for ever: each is noted, and a
    repeat fails the source in one line."""

    def __init__(self, fail: Callable[[str], Exception], what: str) -> None:
        self.fail, self.what, self.seen = fail, what, set()

    def check(self, step: Any) -> None:
        if step in self.seen:
            raise self.fail(f"{self.what} handed back a page it already gave: stopping instead of looping")
        self.seen.add(step)
