from __future__ import annotations

import pytest

from qa_engine.affect import textprep


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        (None, "empty_text"),
        ("", "empty_text"),
        ("   \n\t ", "empty_text"),
        ("...!!!", "no_text_content"),
        ("\x00\x01\x02", "empty_text"),
    ],
)
def test_texts_without_content_are_flagged_not_scored(text: str | None, flag: str) -> None:
    cleaned, got = textprep.clean(text)
    assert cleaned == ""
    assert got == flag


def test_emoji_only_text_is_scored() -> None:
    assert textprep.clean("😡") == ("😡", None)


def test_control_characters_and_lone_surrogates_are_replaced_and_flagged() -> None:
    cleaned, flag = textprep.clean("bad\x00 \ud800 parcel")
    assert "\x00" not in cleaned and "\ud800" not in cleaned
    assert "parcel" in cleaned
    assert flag == "cleaned_invalid_characters"
    cleaned.encode("utf-8")  # encodable now


def test_split_long_keeps_whole_sentences_under_the_budget() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(200))

    def count(parts: list[str]) -> list[int]:
        return [len(p.split()) + 2 for p in parts]

    chunks, sampled = textprep.split_long(text, count, 40)
    assert not sampled
    assert all(sum(count([c])) <= 40 for c in chunks)
    assert " ".join(chunks).split() == text.split()


def test_split_long_samples_the_head_and_tail_of_huge_texts() -> None:
    text = "x. " * 50_000

    def count(parts: list[str]) -> list[int]:
        return [len(p) for p in parts]

    chunks, sampled = textprep.split_long(text, count, 8)
    assert sampled
    assert len(chunks) == textprep.MAX_CHUNKS


def test_unpunctuated_text_longer_than_the_window_is_cut_by_characters() -> None:
    text = "a" * 5000

    def count(parts: list[str]) -> list[int]:
        return [len(p) // 4 + 2 for p in parts]

    chunks, _ = textprep.split_long(text, count, 100)
    assert "".join(chunks) == text
    assert max(count(chunks)) <= 100
