"""Excerpts: personal data masked wherever the window falls, the evidence span marked, never a half-cut hit."""

from __future__ import annotations

import pytest

from qa_engine.reports.excerpts import excerpt

CARD = "4111 1111 1111 1111"
TEXT = (
    "Hello Anna, I checked your account for you today. Your card on file is "
    + CARD
    + " and your password is "
    "Secr3t!x9, so please call +49 30 1234567 or write to anna.berg@example.com if anything looks wrong."
)
PLANTED = (CARD, "Secr3t!x9", "+49 30 1234567", "anna.berg@example.com", "1234567", "example.com")


def _span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


@pytest.mark.parametrize(
    "span",
    [None, _span(TEXT, CARD), _span(TEXT, "password is"), _span(TEXT, "call"), (0, len(TEXT)), (3, 9)],
    ids=["no-span", "card", "password", "phone", "whole-turn", "start"],
)
@pytest.mark.parametrize("radius", [5, 30, 90])
def test_no_planted_data_survives_any_window(span: tuple[int, int] | None, radius: int) -> None:
    shown = excerpt(TEXT, "en", span, radius=radius, limit=120)
    for secret in PLANTED:
        assert secret not in shown.text
    assert "4111" not in shown.text and "1111" not in shown.text  # a card keeps none of its digits


def test_the_evidence_span_is_marked_and_masked() -> None:
    shown = excerpt(TEXT, "en", _span(TEXT, CARD))
    assert shown.marked == "[CARD]"
    assert "[PASSWORD]" in shown.text and "[PHONE]" in shown.text  # the e-mail lies beyond the window


def test_a_span_that_starts_inside_a_hit_marks_the_whole_tag() -> None:
    start, end = _span(TEXT, CARD)
    shown = excerpt(TEXT, "en", (start + 5, end + 4), radius=10)
    assert shown.marked.startswith("[CARD]")
    assert "1111 1111" not in shown.text


def test_a_window_edge_inside_a_hit_widens_to_the_whole_hit() -> None:
    start, _ = _span(TEXT, CARD)
    shown = excerpt(TEXT, "en", (start - 12, start + 3), radius=4)  # the window would end inside the card
    assert shown.text.endswith("[CARD]")


def test_a_whole_turn_span_marks_nothing_and_long_text_is_cut_between_words() -> None:
    shown = excerpt(TEXT, "en", (0, len(TEXT)), limit=60)
    assert shown.marked == ""
    assert shown.cut_after and not shown.cut_before
    assert TEXT.startswith(shown.text) and len(shown.text) <= 60
    assert TEXT[len(shown.text)] == " "


def test_cjk_text_is_masked_and_marked() -> None:
    text = "您好，我是小李。您的卡号是4111111111111111，密码是abc12345，电话13812345678。"
    shown = excerpt(text, "zh", _span(text, "4111111111111111"))
    assert shown.marked == "[CARD]"
    assert "abc12345" not in shown.text and "13812345678" not in shown.text
    assert shown.language == "zh"


def test_missing_text_gives_an_empty_excerpt() -> None:
    assert excerpt(None, "en", (0, 5)).pieces == ()
