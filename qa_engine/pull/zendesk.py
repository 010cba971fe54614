"""Zendesk Support API v2 (CONTRACT.md section 6): incremental ticket export by cursor, public comments, roles.

Tickets come from the cursor-based incremental export (`start_time` on the first pull, then the saved
`after_cursor`), page after page along `after_url` until `end_of_stream`. A ticket listed at the `updated_at` it
was stored at is not fetched again (the ledger); a deleted one is skipped. Each other ticket's comments are
fetched whole (`next_page`), with their authors side-loaded (`include=users`) and any author still unknown asked
of `users/show_many`. Private notes are not turns.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from qa_engine.pull.base import (
    Known,
    Page,
    Repeats,
    register_connector,
    text_id,
    ticket_quarantine,
    unavailable,
)
from qa_engine.pull.config import ZendeskSource, secret
from qa_engine.pull.http import HttpClient, ItemUnavailable, RetryPolicy, SourceFailed

EXPORT = "/api/v2/incremental/tickets/cursor.json"
SHOW_MANY_IDS = 100  # users/show_many takes at most 100 ids
CHANNELS = {
    **dict.fromkeys(("email", "web", "api"), "email"),
    **dict.fromkeys(("chat", "native_messaging"), "chat"),
    "voice": "phone",
    **dict.fromkeys(("twitter", "facebook", "instagram_dm", "whatsapp", "line", "wechat"), "social"),
}
ROLES = {"end-user": "customer", "agent": "agent", "admin": "agent"}
CSAT = {"good": 5, "bad": 1}


def channel(ticket: dict[str, Any]) -> str:
    via = ticket.get("via") if isinstance(ticket.get("via"), dict) else {}
    return CHANNELS.get(str(via.get("channel") or ""), "other")


def csat(ticket: dict[str, Any]) -> int | None:
    rating = ticket.get("satisfaction_rating")
    return CSAT.get(rating.get("score")) if isinstance(rating, dict) else None


def _list(body: Any, key: str, http: HttpClient, what: str) -> list[dict[str, Any]]:
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise http.fail(f"{what} answered without a `{key}` list (is {http.base.geturl()} a Zendesk URL?)")
    return items


class Roles:
    """Author id -> role, filled from side-loaded users and `users/show_many`, kept for the whole pull."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http
        self.roles: dict[str, str | None] = {}

    def add(self, users: Any) -> None:
        for user in users if isinstance(users, list) else []:
            if isinstance(user, dict) and user.get("id") is not None:
                self.roles[str(user["id"])] = user.get("role")

    def resolve(self, ids: set[str]) -> None:
        missing = sorted(i for i in ids if i not in self.roles)
        for start in range(0, len(missing), SHOW_MANY_IDS):
            chunk = missing[start : start + SHOW_MANY_IDS]
            body = self.http.get_json("/api/v2/users/show_many.json", {"ids": ",".join(chunk)})
            self.add(_list(body, "users", self.http, "users/show_many"))
            for user_id in chunk:
                self.roles.setdefault(user_id, None)  # not found: its comments have no author


def comments(http: HttpClient, ticket_id: str, roles: Roles) -> list[dict[str, Any]]:
    """Every comment of a ticket, in order, following `next_page`; `ItemUnavailable` when the ticket's comments
    answer 404 or 410."""
    found: list[dict[str, Any]] = []
    what = f"the comments of ticket {ticket_id}"
    url, params = f"/api/v2/tickets/{ticket_id}/comments.json", {"include": "users"}
    repeats = Repeats(http.fail, what)
    while url:
        body = http.get_json(url, params, item=True)
        found.extend(_list(body, "comments", http, what))
        roles.add(body.get("users"))
        url, params = _link(body, "next_page", http, what), None
        repeats.check(url)
    return found


def _link(body: dict[str, Any], key: str, http: HttpClient, what: str) -> str | None:
    """The next page's link, or None at the end; a value that is no link fails the source in one line."""
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise http.fail(f"{what} answered an invalid `{key}` ({type(value).__name__}, not a link)")
    return value


def build_ticket(
    name: str, ticket: dict[str, Any], found: list[dict[str, Any]], roles: Roles
) -> tuple[dict[str, Any] | None, list]:
    """The canonical record of a ticket and the quarantine of its unusable parts."""
    tid = text_id(ticket.get("id"))
    public = [c for c in found if c.get("public") is not False]  # private notes are not turns, nor kept
    quarantine, turns = [], []
    for comment in public:
        text = comment.get("plain_body") or comment.get("body") or ""
        if not isinstance(text, str) or not text.strip():
            continue  # an attachment or an empty event: nothing said
        author = text_id(comment.get("author_id"))
        role = ROLES.get(roles.roles.get(author) or "") if author else None
        if role is None:
            detail = f"comment {comment.get('id')}: author {author or 'missing'} is not a known user"
            quarantine.append(
                ticket_quarantine(
                    name, tid, f"comment {comment.get('id')}", "missing_author", detail, comment
                )
            )
            continue
        turn = {"speaker": role, "text": text, "ts": comment.get("created_at")}
        if role == "agent":
            turn["agent_id"] = author
        turns.append(turn)
    if not turns:
        detail = f"none of its {len(public)} public comments has text and a known author"
        record = {"ticket": ticket, "comments": public}
        return None, [*quarantine, ticket_quarantine(name, tid, "ticket", "no_usable_turn", detail, record)]
    record = {
        "ticket_id": f"{name}:{tid}", "channel": channel(ticket), "agent_id": text_id(ticket.get("assignee_id")),
        "team": text_id(ticket.get("group_id")), "customer_id": text_id(ticket.get("requester_id")),
        "created_at": ticket.get("created_at"), "csat": csat(ticket), "turns": turns,
    }  # fmt: skip
    return {k: v for k, v in record.items() if v is not None}, quarantine


def _after_cursor(body: dict[str, Any]) -> str | None:
    if body.get("after_cursor"):
        return str(body["after_cursor"])
    after = body.get("after_url")
    values = parse_qs(urlsplit(after).query).get("cursor") if isinstance(after, str) else None
    return values[0] if values else None


@register_connector("zendesk")
def pull_zendesk(source: ZendeskSource, cursor: dict[str, Any] | None, known: Known) -> Iterator[Page]:
    """Pages of the incremental export from the saved cursor (or `start`), each with its tickets built."""
    token = secret(source, "token_env")
    policy = RetryPolicy(timeout=source.timeout, retries=source.retries)
    with HttpClient(source.name, source.url, (f"{source.email}/token", token), policy) as http:
        roles = Roles(http)
        export_pages = Repeats(http.fail, "the incremental export")
        saved = (cursor or {}).get("after_cursor")
        url, params = (
            EXPORT,
            ({"cursor": saved} if saved else {"start_time": int(source.start_time().timestamp())}),
        )
        while url:
            body = http.get_json(url, params)
            tickets = _list(body, "tickets", http, "the incremental export")
            roles.add(body.get("users"))  # side-loaded with the export when the account asks `include=users`
            after = _after_cursor(body)
            page = Page(cursor={"after_cursor": after} if after else None, listed=len(tickets))
            wanted = page.to_fetch(
                tickets, known, gone=lambda t: t.get("status") == "deleted", version="updated_at",
                no_id=lambda: SourceFailed(source.name, "the incremental export listed a ticket without an id"),
            )  # fmt: skip
            fetched: dict[str, list[dict[str, Any]] | ItemUnavailable] = {}
            for tid in wanted:
                try:
                    fetched[tid] = comments(http, tid, roles)
                except ItemUnavailable as gone:  # deleted or merged since listed: that ticket only
                    fetched[tid] = gone
            authors = {
                text_id(c.get("author_id")) for cs in fetched.values() if isinstance(cs, list) for c in cs
            }
            roles.resolve(authors - {None})
            for tid, found in fetched.items():
                ticket, version = wanted[tid]
                if isinstance(found, ItemUnavailable):
                    page.add(tid, version, unavailable(source.name, tid, ticket, found))
                else:
                    page.add(tid, version, build_ticket(source.name, ticket, found, roles))
            yield page
            next_url = _link(body, "after_url", http, "the incremental export")
            if body.get("end_of_stream") or not next_url:
                break
            export_pages.check(after)
            url, params = next_url, None
