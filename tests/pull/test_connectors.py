"""Each helpdesk connector against its local stand-in: the contract's field mapping, pages, skips and quarantine.

The connectors run for real over HTTP on 127.0.0.1; nothing is scored here (tests/pull/test_pull.py does that).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from qa_engine.pipeline import ScoreConfig
from qa_engine.pull.base import Page
from qa_engine.pull.config import FreshdeskSource, GorgiasSource, ZendeskSource
from qa_engine.pull.freshdesk import pull_freshdesk
from qa_engine.pull.gorgias import pull_gorgias
from qa_engine.pull.http import SourceFailed
from qa_engine.pull.run import page_batches
from qa_engine.pull.zendesk import EXPORT, pull_zendesk
from tests.pull import data
from tests.pull.helpdesks import Fault, Freshdesk, Gorgias, Zendesk

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
    # the second page is asked from the newest change of the first (not as page 2: see the editing test below)
    assert [q["page"] for q in lists] == ["1", "1"]
    assert all(q["include"] == "description" and q["order_by"] == "updated_at" for q in lists)
    assert lists[0]["updated_since"] == "2026-11-01T00:00:00Z"
    assert lists[1]["updated_since"] == pages[0].cursor["updated_since"]
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


def test_a_ticket_whose_comments_are_gone_is_quarantined_and_the_pull_goes_on(zendesk) -> None:
    desk, source = zendesk
    desk.faults.append(
        Fault("/api/v2/tickets/103/comments.json", 404, times=5)
    )  # deleted since it was listed
    tickets, quarantine, pages = collect(pull_zendesk(source, None, nothing_known))
    assert "zd:103" not in tickets and {"zd:102", "zd:104", "zd:105"} <= set(tickets)  # its page-mates too
    (gone,) = [q for q in quarantine if q.reason == "ticket_unavailable"]
    assert gone.source == "zd:ticket/103" and "HTTP 404" in gone.detail
    assert any("103" in p.versions for p in pages)  # on the ledger: listed again only when it changes


def test_pagination_that_repeats_itself_fails_the_source_instead_of_looping(zendesk) -> None:
    desk, source = zendesk
    cursor = "c2FtZQ=="
    same = {"tickets": [], "after_cursor": cursor, "end_of_stream": False,
            "after_url": f"{desk.url}/api/v2/incremental/tickets/cursor.json?cursor={cursor}"}  # fmt: skip
    desk.faults.append(Fault(EXPORT, 200, body=json.dumps(same).encode(), times=50))
    with pytest.raises(SourceFailed, match="the incremental export handed back a page it already gave"):
        list(pull_zendesk(source, None, nothing_known))
    assert desk.faults[0].times == 48  # stopped at the second page, not the fiftieth
    desk.faults.clear()
    # comments whose next_page points at itself
    loop = f"{desk.url}/api/v2/tickets/100/comments.json?page=1"
    desk.faults.append(Fault("/tickets/100/comments.json", 200, times=50, body=json.dumps(
        {"comments": [], "users": [], "next_page": loop}).encode()))  # fmt: skip
    with pytest.raises(SourceFailed, match="the comments of ticket 100 handed back a page it already gave"):
        list(pull_zendesk(source, None, nothing_known))


def test_freshdesk_loses_no_ticket_edited_while_the_list_is_paged(monkeypatch: pytest.MonkeyPatch) -> None:
    # ticket 5, already read, is edited while page 2 is asked for: it moves to the end of the list and every later
    # ticket moves up a place; asked by page number, the one that slid onto page 1 was never fetched
    class Editing(Freshdesk):
        lists = 0

        def route(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
            if path == "/api/v2/tickets":
                self.lists += 1
                if self.lists == 2:
                    self.tickets[5]["updated_at"] = data.stamp(0, day=28)
            return super().route(path, query)

    monkeypatch.setenv("FD_KEY", "fd-key-456")
    with Editing("fd-key-456") as desk:
        data.fill_freshdesk(desk, count=150)
        source = FreshdeskSource(
            name="fd", kind="freshdesk", url=desk.url, api_key_env="FD_KEY", start="2026-11-01"
        )
        tickets, _, _ = collect(pull_freshdesk(source, None, nothing_known))
    assert {f"fd:{i}" for i in range(1, 151)} <= set(tickets)
    assert len(desk.fetched("/tickets/5/conversations")) == 2  # and the edited one again, at its new version


def test_a_lone_surrogate_in_a_pulled_comment_is_kept_as_a_replacement_character() -> None:
    record = {"ticket_id": "zd:1", "turns": [{"speaker": "customer", "text": "broken emoji \ud83d here"},
                                              {"speaker": "agent", "text": "Hi, I'm Mia."}]}  # fmt: skip
    (batch,) = list(page_batches("zd", Page(cursor=None, tickets=[record]), ScoreConfig(), True))
    assert batch.turns["text"].to_list()[0] == "broken emoji \ufffd here"
    assert not batch.quarantine
