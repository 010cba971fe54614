"""Gorgias REST API (CONTRACT.md section 6): tickets by `updated_datetime`, oldest change first, and messages.

Both lists follow `meta.next_cursor`. The saved cursor is where the next pull resumes: the next page after the
last one stored, or, once the list is read to its end, the last page itself (a changed ticket moves to the end
of an `updated_datetime:asc` list, so it appears there or later). Tickets listed at the `updated_datetime` they
were stored at are skipped by the ledger, trashed ones and ones last changed before `start` are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from qa_engine.pull.base import (
    Known,
    Page,
    Repeats,
    register_connector,
    text_id,
    ticket_quarantine,
)
from qa_engine.pull.config import GorgiasSource, secret
from qa_engine.pull.http import HttpClient, RetryPolicy

LIMIT = 100


def channel(ticket: dict[str, Any]) -> str:
    value = str(ticket.get("channel") or "")
    if value in ("email", "chat", "phone"):
        return value
    if value in ("facebook", "whatsapp") or value.startswith(("instagram", "twitter")):
        return "social"
    return "other"


def _page(
    http: HttpClient, path: str, params: dict[str, Any], what: str, *, item: bool = False
) -> tuple[list[dict], str | None]:
    body = http.get_json(path, params, item=item)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
        raise http.fail(f"{what} answered without a `data` list (is {http.base.geturl()} a Gorgias URL?)")
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    following = meta.get("next_cursor") or None
    if following is not None and not isinstance(following, str):
        raise http.fail(f"{what} answered an invalid `next_cursor` ({type(following).__name__})")
    return data, following


def messages(http: HttpClient, ticket_id: str) -> list[dict[str, Any]]:
    """Every message of a ticket, following `next_cursor`; `ItemUnavailable` when they answer 404 or 410."""
    found, following = [], None
    repeats = Repeats(http.fail, f"the messages of ticket {ticket_id}")
    while True:
        params = {"limit": LIMIT, **({"cursor": following} if following else {})}
        chunk, following = _page(
            http, f"/api/tickets/{ticket_id}/messages", params, f"ticket {ticket_id}", item=True
        )
        found.extend(chunk)
        if not following:
            return found
        repeats.check(following)


def _id(value: Any) -> str | None:
    return text_id(value.get("id")) if isinstance(value, dict) else None


def build_ticket(
    name: str, ticket: dict[str, Any], messages: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, list]:
    """The canonical record: one turn per public message with text."""
    tid = text_id(ticket.get("id"))
    public = [m for m in messages if m.get("public") is not False]  # internal notes are not turns, nor kept
    turns, quarantine = [], []
    for message in public:
        text = message.get("body_text")
        if not isinstance(text, str) or not text.strip():
            continue
        sender = _id(message.get("sender"))
        if sender is None:
            detail = f"message {message.get('id')} has no sender"
            quarantine.append(
                ticket_quarantine(
                    name, tid, f"message {message.get('id')}", "missing_author", detail, message
                )
            )
            continue
        agent = bool(message.get("from_agent"))
        turn = {
            "speaker": "agent" if agent else "customer",
            "text": text,
            "ts": message.get("created_datetime"),
        }
        if agent:
            turn["agent_id"] = sender
        turns.append(turn)
    if not turns:
        detail = f"none of its {len(public)} public messages has text and a sender"
        record = {"ticket": ticket, "messages": public}
        return None, [*quarantine, ticket_quarantine(name, tid, "ticket", "no_usable_turn", detail, record)]
    record = {
        "ticket_id": f"{name}:{tid}", "channel": channel(ticket), "agent_id": _id(ticket.get("assignee_user")),
        "customer_id": _id(ticket.get("customer")), "created_at": ticket.get("created_datetime"), "turns": turns,
    }  # fmt: skip
    return {k: v for k, v in record.items() if v is not None}, quarantine


def _changed_before(ticket: dict[str, Any], start: datetime) -> bool:
    value = ticket.get("updated_datetime")
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return False
    return (when if when.tzinfo else when.replace(tzinfo=start.tzinfo)) < start


@register_connector("gorgias")
def pull_gorgias(source: GorgiasSource, cursor: dict[str, Any] | None, known: Known) -> Iterator[Page]:
    """Pages of the ticket list from the saved page cursor (or the start of the list)."""
    key = secret(source, "api_key_env")
    policy = RetryPolicy(timeout=source.timeout, retries=source.retries)
    start = source.start_time()
    page_cursor = (cursor or {}).get("cursor")
    with HttpClient(source.name, source.url, (source.username, key), policy) as http:
        list_pages = Repeats(http.fail, "the ticket list")
        while True:
            params: dict[str, Any] = {"order_by": "updated_datetime:asc", "limit": LIMIT}
            if page_cursor:
                params["cursor"] = page_cursor
            tickets, next_cursor = _page(http, "/api/tickets", params, "the ticket list")
            page = Page(cursor={"cursor": next_cursor or page_cursor}, listed=len(tickets))
            wanted = page.to_fetch(
                tickets, known, version="updated_datetime",
                gone=lambda t: bool(t.get("trashed_datetime")) or (cursor is None and _changed_before(t, start)),
                no_id=lambda: http.fail("the ticket list holds a ticket without an id"),
            )  # fmt: skip
            for tid, (ticket, version) in wanted.items():
                page.add_fetched(
                    source.name, tid, version, ticket,
                    lambda t=ticket, i=tid: build_ticket(source.name, t, messages(http, i)),
                )  # fmt: skip
            if page.cursor == {"cursor": None}:
                page.cursor = None
            yield page
            if not next_cursor:
                return
            list_pages.check(next_cursor)
            page_cursor = next_cursor
