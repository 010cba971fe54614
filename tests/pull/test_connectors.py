"""Each helpdesk connector against its local stand-in: the contract's field mapping, pages, skips and quarantine.

The connectors run for real over HTTP on 127.0.0.1; nothing is scored here (tests/pull/test_pull.py does that).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qa_engine.pull.base import Page
from qa_engine.pull.config import FreshdeskSource, GorgiasSource, ZendeskSource
from qa_engine.pull.freshdesk import pull_freshdesk
from qa_engine.pull.gorgias import pull_gorgias
from qa_engine.pull.zendesk import pull_zendesk
from tests.pull import data
from tests.pull.helpdesks import Freshdesk, Gorgias, Zendesk

TOKEN = "zd-secret-token-123"


def nothing_known(items) -> set[str]:
    return set()


def collect(pages: Iterator[Page]) -> tuple[dict[str, dict], list, list[Page]]:
    pages = list(pages)
    tickets = {t["ticket_id"]: t for p in pages for t in p.tickets}
    return tickets, [q for p in pages for q in p.quarantine], pages


@pytest.fixture
def zendesk(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Zendesk, ZendeskSource]]:
    monkeypatch.setenv("ZD_TOKEN", TOKEN)
    with Zendesk("qa-bot@acme.example", TOKEN) as desk:
        ids = data.fill_zendesk(desk)
        source = ZendeskSource(
            name="zd", kind="zendesk", url=desk.url, email="qa-bot@acme.example", token_env="ZD_TOKEN",
            start="2026-11-01",
        )  # fmt: skip
        desk.ids = ids
        yield desk, source


def test_zendesk_maps_tickets_comments_roles_channels_and_csat(zendesk) -> None:
    desk, source = zendesk
    tickets, quarantine, pages = collect(pull_zendesk(source, None, nothing_known))
    assert len(pages) > 3  # the export came in pages of 2, followed along after_url
    for i, (via, channel) in enumerate(data.ZENDESK_CHANNELS.items()):
        ticket = tickets[f"zd:{100 + i}"]
        assert ticket["channel"] == channel, via
        assert (ticket["agent_id"], ticket["team"], ticket["customer_id"]) == ("2001", "360001", "1001")
        speakers = [(t["speaker"], t.get("agent_id")) for t in ticket["turns"]]
        author = "2002" if i % 2 else "2001"  # admins are agents too
        assert speakers == [("customer", None), ("agent", author), ("customer", None)]
        assert ticket["turns"][0]["text"] == data.QUESTION
    assert tickets["zd:100"]["csat"] == 5
    assert tickets["zd:101"]["csat"] == 1
    assert "csat" not in tickets["zd:102"] and "csat" not in tickets["zd:103"]  # offered, none: no rating
    assert all(data.PRIVATE_NOTE not in t["text"] for tk in tickets.values() for t in tk["turns"])
    assert "zd:200" not in tickets  # deleted: skipped, not quarantined
    assert "zd:201" not in tickets
    by_reason = {(q.source, q.reason) for q in quarantine}
    assert ("zd:ticket/201", "no_usable_turn") in by_reason
    assert ("zd:ticket/202", "missing_author") in by_reason
    assert all(data.PRIVATE_NOTE not in q.record for q in quarantine)  # private notes are not kept anywhere
    assert [t["text"] for t in tickets["zd:202"]["turns"]] == [data.QUESTION, data.ANSWER]
    assert desk.fetched("/users/show_many.json")  # third comments' authors were not side-loaded
    assert not desk.fetched("/tickets/200/")  # a deleted ticket's comments are never asked for
    assert pages[-1].cursor and "after_cursor" in pages[-1].cursor


def test_zendesk_resumes_from_the_saved_cursor_and_skips_what_the_ledger_holds(zendesk) -> None:
    desk, source = zendesk
    pages = list(pull_zendesk(source, None, nothing_known))
    cursor = next(p.cursor for p in reversed(pages) if p.cursor)
    desk.log.clear()
    again = list(pull_zendesk(source, cursor, nothing_known))
    assert sum(len(p.tickets) for p in again) == 0
    assert not desk.fetched("/comments.json")
    # a new comment on one ticket, and a new ticket
    desk.tickets[105]["updated_at"] = data.stamp(0, day=21)
    desk.comments[105].append(
        data.zendesk_comment(9001, data.CUSTOMER, "One more thing: can I change the address?", 60)
    )
    desk.put(data.zendesk_ticket(300, "chat", 0, updated_at=data.stamp(1, day=21)), list(desk.comments[104]))
    desk.log.clear()
    changed, _, _ = collect(pull_zendesk(source, cursor, nothing_known))
    assert sorted(changed) == ["zd:105", "zd:300"]
    assert len(changed["zd:105"]["turns"]) == 4  # all its turns, not only the new one
    assert sorted({p.split("/")[4] for p in desk.fetched("/comments.json")}) == ["105", "300"]
    # the ledger: a ticket listed again at the version it was stored at is not fetched again
    desk.log.clear()
    versions = {"105": data.stamp(0, day=21), "300": data.stamp(1, day=21)}
    unchanged, _, pages = collect(pull_zendesk(source, cursor, lambda items: set(versions) & set(items)))
    assert unchanged == {} and sum(p.skipped for p in pages) == 2 and not desk.fetched("/comments.json")


def test_freshdesk_maps_description_conversations_sources_and_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FD_KEY", "fd-key-456")
    with Freshdesk("fd-key-456") as desk:
        data.fill_freshdesk(desk, count=105)  # more than one page of 100
        source = FreshdeskSource(
            name="fd", kind="freshdesk", url=desk.url, api_key_env="FD_KEY", start="2026-11-01"
        )
        tickets, quarantine, pages = collect(pull_freshdesk(source, None, nothing_known))
        lists = [q for path, q in desk.log if path == "/api/v2/tickets"]
        newest = max(t["updated_at"] for t in desk.tickets.values())
    assert [q["page"] for q in lists] == ["1", "2"]
    assert all(q["include"] == "description" and q["order_by"] == "updated_at" for q in lists)
    assert lists[0]["updated_since"] == "2026-11-01T00:00:00Z"
    assert len(tickets) == 106  # 105 + the one with an authorless conversation
    for i, (code, channel) in enumerate(data.FRESHDESK_SOURCES.items()):
        assert tickets[f"fd:{i + 1}"]["channel"] == channel, code
    one = tickets["fd:1"]
    assert [(t["speaker"], t.get("agent_id"), t["text"]) for t in one["turns"]] == [
        ("customer", None, data.QUESTION), ("agent", "2001", data.ANSWER), ("customer", None, data.THANKS),
    ]  # fmt: skip
    assert (one["agent_id"], one["team"], one["customer_id"]) == ("2001", "77", "1001")
    assert "fd:500" not in tickets and "fd:501" not in tickets
    assert {(q.source, q.reason) for q in quarantine} == {
        ("fd:ticket/501", "no_usable_turn"), ("fd:ticket/502", "missing_author"),
    }  # fmt: skip
    assert pages[-1].cursor == {"updated_since": newest}  # the newest updated_at listed


def test_gorgias_maps_messages_channels_and_follows_cursors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GG_KEY", "gg-key-789")
    with Gorgias("qa-bot@acme.example", "gg-key-789") as desk:
        data.fill_gorgias(desk)
        desk.messages[701].extend(
            data.gorgias_message(
                7019 + k, k % 2 == 1, data.AGENT if k % 2 else data.CUSTOMER, f"Follow-up {k}.", 10 + k
            )
            for k in range(3)
        )
        source = GorgiasSource(
            name="gg", kind="gorgias", url=desk.url, username="qa-bot@acme.example", api_key_env="GG_KEY",
            start="2026-11-01",
        )  # fmt: skip
        tickets, quarantine, pages = collect(pull_gorgias(source, None, nothing_known))
        assert len(desk.fetched("/api/tickets/701/messages")) == 3  # 6 messages, 2 a page
        for i, (value, channel) in enumerate(data.GORGIAS_CHANNELS.items()):
            assert tickets[f"gg:{700 + i}"]["channel"] == channel, value
        one = tickets["gg:700"]
        assert [(t["speaker"], t.get("agent_id")) for t in one["turns"]] == [
            ("customer", None), ("agent", "2001"), ("customer", None),
        ]  # fmt: skip
        assert (one["agent_id"], one["customer_id"]) == ("2001", "1001")
        assert len(tickets["gg:701"]["turns"]) == 6
        assert "gg:800" not in tickets and "gg:801" not in tickets
        assert {(q.source, q.reason) for q in quarantine} == {
            ("gg:ticket/801", "no_usable_turn"), ("gg:ticket/802", "missing_author"),
        }  # fmt: skip
        # the next pull resumes at the last page: only a ticket changed since is new
        cursor = next(p.cursor for p in reversed(pages) if p.cursor)
        desk.tickets[703]["updated_datetime"] = data.stamp(0, day=22)
        seen = {tid: t["updated_datetime"] for tid, t in ((str(k), v) for k, v in desk.tickets.items())}
        stored = lambda items: {k for k, v in items.items() if seen.get(k) == v and k != "703"}  # noqa: E731
        again, _, _ = collect(pull_gorgias(source, cursor, stored))
    assert sorted(again) == ["gg:703"]
