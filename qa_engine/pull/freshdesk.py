"""Freshdesk API v2 (CONTRACT.md section 6): tickets by `updated_since`, oldest change first, and conversations.

The list is asked page by page from the newest `updated_at` seen so far (`updated_since`, then `page=1`, 100 a
page) until a short page, with `include=description` (without it the list has no `description_text`, turn 0).
Not `page=2, 3, ...` of one query: a ticket edited during the pull moves to the end of the list, every later one
moves up a place, and the ticket that slides onto a page already read would be missed for good (the cursor moves
past it). Tickets at that boundary time are listed again and the ledger skips them; only a full page whose tickets
all changed at one instant is paged on by number. The cursor is the newest `updated_at` of the pages stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from qa_engine.pull.base import (
    Known,
    Page,
    Repeats,
    register_connector,
    text_id,
    ticket_quarantine,
)
from qa_engine.pull.config import FreshdeskSource, secret
from qa_engine.pull.http import HttpClient, RetryPolicy

PER_PAGE = 100
MAX_PAGE = 300
CHANNELS = {1: "email", 2: "email", 10: "email", 3: "phone", 7: "chat", 5: "social", 6: "social"}


def channel(ticket: dict[str, Any]) -> str:
    source = ticket.get("source")
    return CHANNELS.get(source, "other") if isinstance(source, int) else "other"


def _list(
    http: HttpClient, path: str, params: dict[str, Any], what: str, *, item: bool = False
) -> list[dict]:
    body = http.get_json(path, {**params, "per_page": PER_PAGE}, item=item)
    if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
        raise http.fail(
            f"{what} answered with something other than a list (is {http.base.geturl()} Freshdesk?)"
        )
    return body


def conversations(http: HttpClient, ticket_id: str) -> list[dict[str, Any]]:
    """Every conversation of a ticket, page by page; `ItemUnavailable` when they answer 404 or 410."""
    found: list[dict[str, Any]] = []
    what = f"ticket {ticket_id}"
    repeats = Repeats(http.fail, f"the conversations of {what}")
    for page in range(1, MAX_PAGE + 1):
        chunk = _list(http, f"/api/v2/tickets/{ticket_id}/conversations", {"page": page}, what, item=True)
        repeats.check(tuple(str(c.get("id")) for c in chunk) if chunk else None)
        found.extend(chunk)
        if len(chunk) < PER_PAGE:
            break
    return found


def build_ticket(
    name: str, ticket: dict[str, Any], conversations: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, list]:
    """The canonical record: the description by the requester, then each public conversation."""
    tid = text_id(ticket.get("id"))
    turns, quarantine = [], []
    description = ticket.get("description_text")
    if isinstance(description, str) and description.strip():
        turns.append({"speaker": "customer", "text": description, "ts": ticket.get("created_at")})
    public = [c for c in conversations if not c.get("private")]
    for item in sorted(public, key=lambda c: str(c.get("created_at") or "")):
        text = item.get("body_text")
        if not isinstance(text, str) or not text.strip():
            continue
        author = text_id(item.get("user_id"))
        incoming = item.get("incoming")
        if author is None or not isinstance(incoming, bool):
            detail = f"conversation {item.get('id')} has no author (user_id, incoming)"
            quarantine.append(
                ticket_quarantine(name, tid, f"conversation {item.get('id')}", "missing_author", detail, item)
            )
            continue
        turn = {"speaker": "customer" if incoming else "agent", "text": text, "ts": item.get("created_at")}
        if not incoming:
            turn["agent_id"] = author
        turns.append(turn)
    if not turns:
        detail = f"no description text and none of its {len(public)} public conversations is usable"
        record = {"ticket": ticket, "conversations": public}
        return None, [*quarantine, ticket_quarantine(name, tid, "ticket", "no_usable_turn", detail, record)]
    record = {
        "ticket_id": f"{name}:{tid}", "channel": channel(ticket), "agent_id": text_id(ticket.get("responder_id")),
        "team": text_id(ticket.get("group_id")), "customer_id": text_id(ticket.get("requester_id")),
        "created_at": ticket.get("created_at"), "turns": turns,
    }  # fmt: skip
    return {k: v for k, v in record.items() if v is not None}, quarantine


@register_connector("freshdesk")
def pull_freshdesk(source: FreshdeskSource, cursor: dict[str, Any] | None, known: Known) -> Iterator[Page]:
    """Pages of tickets changed since the saved `updated_since` (or `start`), oldest change first."""
    key = secret(source, "api_key_env")
    policy = RetryPolicy(timeout=source.timeout, retries=source.retries)
    since = (cursor or {}).get("updated_since") or source.start_time().strftime("%Y-%m-%dT%H:%M:%SZ")
    with HttpClient(source.name, source.url, (key, "X"), policy, secrets=[key]) as http:
        number = 1
        while number <= MAX_PAGE:
            query = {"updated_since": since, "order_by": "updated_at", "order_type": "asc",
                     "include": "description", "page": number}  # fmt: skip
            tickets = _list(http, "/api/v2/tickets", query, "the ticket list")
            page = Page(cursor=None, listed=len(tickets))
            wanted = page.to_fetch(
                tickets, known, gone=lambda t: bool(t.get("deleted")), version="updated_at",
                no_id=lambda: http.fail("the ticket list holds a ticket without an id"),
            )  # fmt: skip
            for tid, (ticket, version) in wanted.items():
                page.add_fetched(
                    source.name, tid, version, ticket,
                    lambda t=ticket, i=tid: build_ticket(source.name, t, conversations(http, i)),
                )  # fmt: skip
            newest = max((str(t["updated_at"]) for t in tickets if t.get("updated_at")), default=None)
            if newest and newest > since:
                page.cursor = {"updated_since": newest}
            yield page
            if len(tickets) < PER_PAGE:
                return
            # ask again from the newest change seen; a full page all changed at one instant: the next page of it
            since, number = (newest, 1) if newest and newest > since else (since, number + 1)
        raise http.fail(f"the ticket list had more than {MAX_PAGE} full pages changed at {since}")
