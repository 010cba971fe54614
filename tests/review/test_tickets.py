"""The conversation view: turns with mood, evidence highlighted at its characters, masked secrets, escaped text."""

from __future__ import annotations

import pytest

from qa_engine.review.db import ReviewDB
from qa_engine.review.tickets import Span, pieces, render_turn
from qa_engine.store.location import raw
from tests.pgsupport import duckdb_only

from .support import CARD, EMAIL, INJECTION, PHONE, R1_SUGGESTION


def test_the_ticket_has_turns_rules_reasons_and_version(shared_login) -> None:
    ticket = shared_login("lead").get("/api/tickets/R-1").json()
    assert ticket["ticket_id"] == "R-1" and ticket["tier"] == "red" and ticket["version"] == 0
    assert [t["speaker"] for t in ticket["turns"]] == ["customer", "agent", "customer"]
    first = ticket["turns"][0]
    assert (first["sentiment"], first["emotion"]) == ("negative", "anger")
    assert first["sentiment_score"] == pytest.approx(-0.8)
    assert first["emotion_scores"]["anger"] == pytest.approx(0.7)
    blame = next(r for r in ticket["rule_results"] if r["rule_id"] == "no_blaming_customer")
    assert blame["outcome"] == "fail" and blame["critical"] is True
    assert blame["evidence"] == {"turn_index": 1, "start": 0, "end": 17, "text": "That's your fault",
                                 "note": "blame in turn 1"}  # fmt: skip
    assert ticket["tier_reasons"] == ["critical rule failed: no_blaming_customer (blame in turn 1)"]
    assert ticket["tier_evidence"][0]["reason"] == "critical:no_blaming_customer"
    assert ticket["reviews"] == [] and ticket["human"] is None


def test_evidence_is_highlighted_at_its_characters(shared_login) -> None:
    turn = shared_login("lead").get("/api/tickets/R-1").json()["turns"][1]
    [highlight] = turn["highlights"]  # the whole-turn "missing own name" evidence is no highlight
    assert turn["text"][highlight["start"] : highlight["end"]] == "That's your fault"
    assert highlight["kind"] == "tier"
    assert set(highlight["labels"]) == {"no_blaming_customer: fail", "tier: critical:no_blaming_customer"}


def test_evidence_offsets_are_characters_in_any_script(shared_login) -> None:
    turn = shared_login("lead").get("/api/tickets/G-1").json()["turns"][1]
    [highlight] = turn["highlights"]
    assert turn["text"][highlight["start"] : highlight["end"]] == "こんにちは、担当の佐藤です"
    assert highlight["kind"] == "pass"


def test_a_disclosed_card_number_never_leaves_the_store(shared_login) -> None:
    lead = shared_login("lead")
    api = lead.get("/api/tickets/R-2")
    page = lead.get("/tickets/R-2")
    for text in (api.text, page.text):
        assert CARD not in text and "[CARD]" in text
    turn = api.json()["turns"][1]
    [highlight] = turn["highlights"]
    assert turn["text"][highlight["start"] : highlight["end"]] == "[CARD]"
    assert turn["text"].endswith(", anything else?")


def test_e_mail_addresses_and_phone_numbers_are_shown_masked(shared_login) -> None:
    lead = shared_login("lead")
    api, page = lead.get("/api/tickets/R-2"), lead.get("/tickets/R-2")
    for text in (api.text, page.text):
        assert EMAIL not in text and "firma.de" not in text and PHONE not in text and "1234567" not in text
    turn = api.json()["turns"][0]
    assert turn["text"] == "Which card do you have on file? Write to [EMAIL] or call [PHONE]."
    rule = next(r for r in api.json()["rule_results"] if r["rule_id"] == "verify_identity")
    assert rule["evidence"]["text"] == "[EMAIL]"
    [highlight] = turn["highlights"]  # the rule's evidence still marks the (masked) address
    assert turn["text"][highlight["start"] : highlight["end"]] == "[EMAIL]"


@pytest.mark.parametrize("q", ["firma", "jürgen", "@", "1234567", "49 30", "+49"])
def test_search_never_matches_a_masked_value(shared_login, q: str) -> None:
    found = shared_login("lead").get("/api/tickets", params={"q": q}).json()
    assert "R-2" not in [row["ticket_id"] for row in found["items"]]


def test_search_still_finds_the_words_around_a_masked_value(shared_login) -> None:
    found = shared_login("lead").get("/api/tickets", params={"q": "call [PHONE]"}).json()
    assert [row["ticket_id"] for row in found["items"]] == ["R-2"]


def test_transcripts_are_rendered_escaped(shared_login) -> None:
    html = shared_login("lead").get("/tickets/X-1").text
    assert INJECTION not in html and "<img" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in html
    assert "&lt;/textarea&gt;&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script" not in html


def test_the_ticket_page_shows_what_a_reviewer_needs(shared_login) -> None:
    html = shared_login("lead").get("/tickets/R-1").text
    assert '<mark class="tier"' in html and ">That&#39;s your fault</mark>" in html
    for text in (
        "Why red",
        "no_blaming_customer",
        "anger",
        "disgust",
        'id="turn-2"',
        'name="version" value="0"',
    ):
        assert text in html
    assert 'href="#turn-1"' in html


def test_only_the_right_roles_get_the_forms(shared_login) -> None:
    assert 'id="review-form"' in shared_login("lead").get("/tickets/R-1").text
    coach = shared_login("coach1").get("/tickets/R-1").text
    agent = shared_login("agent1").get("/tickets/R-1").text
    assert 'id="review-form"' not in coach and 'id="review-form"' not in agent
    assert "Dispute the latest review" not in agent  # nothing to dispute before a review


@pytest.mark.parametrize("ticket_id", ["NO-SUCH", "R-1'%20OR%20'1'='1", "%3Cscript%3E"])
def test_unknown_tickets_are_404_on_api_and_page(shared_login, ticket_id: str) -> None:
    lead = shared_login("lead")
    api = lead.get(f"/api/tickets/{ticket_id}")
    assert api.status_code == 404 and api.json()["code"] == "Q614"
    page = lead.get(f"/tickets/{ticket_id}")
    assert page.status_code == 404 and "<script>" not in page.text


def test_an_overlong_ticket_id_is_422(shared_login) -> None:
    assert shared_login("lead").get("/api/tickets/" + "T" * 300).status_code == 422


def test_unknown_paths_are_404_without_a_trace(shared_login) -> None:
    lead = shared_login("lead")
    api = lead.get("/api/nothing/here")
    assert api.status_code == 404 and api.json()["code"] == "Q622"
    for path in ("/nothing", "/tickets", "/tickets/R-1/nothing"):
        response = lead.get(path)
        assert response.status_code == 404 and "Traceback" not in response.text


def test_spans_cut_text_into_pieces_with_overlaps_and_masks() -> None:
    text = "call me at 4111 1111 1111 1111 please, thanks"
    spans = [
        Span(11, 30, "pii: fail", "fail", replacement="[CARD]"),
        Span(0, 7, "greeting: pass", "pass"),
        Span(5, 10, "tier: x", "tier"),
    ]
    shown, highlights = render_turn(text, spans)
    assert shown == "call me at [CARD] please, thanks"
    cut = pieces(shown, highlights)
    assert "".join(p["text"] for p in cut) == shown
    marked = [(p["text"], p["kind"]) for p in cut if p["kind"]]
    assert marked == [("call ", "pass"), ("me", "tier"), (" at", "tier"), ("[CARD]", "fail")]


def test_a_failure_inside_is_a_500_with_a_reference_and_no_trace(login, web_db) -> None:
    lead = login("lead")
    with ReviewDB(web_db).write() as con:  # a store damaged behind the app's back
        con.execute("DROP TABLE turns")
    api = lead.get("/api/tickets/R-1")
    assert api.status_code == 500 and api.json()["code"] == "Q621"
    page = lead.get("/tickets/R-1")
    assert page.status_code == 500 and "reference" in page.text
    for text in (api.text, page.text):
        assert "Traceback" not in text and "Catalog" not in text and "turns" not in text


@duckdb_only
def test_a_missing_store_is_503_without_its_path(login, web_db) -> None:
    lead = login("lead")
    web_db.unlink()  # the store moved away under a running app
    for response in (lead.get("/api/tickets"), lead.get("/")):
        assert response.status_code == 503
        assert raw(web_db) not in response.text and "Traceback" not in response.text
    assert lead.get("/api/tickets").json()["code"] == "Q404"


def test_a_failed_rule_shows_its_suggestion_masked_and_escaped(shared_login) -> None:
    client = shared_login("lead")
    rules = {r["rule_id"]: r for r in client.get("/api/tickets/R-1").json()["rule_results"]}
    assert rules["no_blaming_customer"]["suggestion"] == R1_SUGGESTION.replace(EMAIL, "[EMAIL]")
    assert rules["closing_thanks"]["suggestion"] is None
    html = client.get("/tickets/R-1").text
    assert '<div class="suggestion" data-rule="no_blaming_customer">' in html
    assert "I&#39;m sorry this happened &lt;b&gt;. I&#39;ll write to [EMAIL] with the fix today." in html
    assert EMAIL not in html
