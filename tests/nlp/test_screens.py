"""Screens may let too much through, never too little: every text a matcher matches gets through its screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from qa_engine.nlp.pipelines import get_nlp
from qa_engine.nlp.screens import (
    LiteralScreen,
    Screen,
    lemma_needles,
    regex_needles,
    token_needles,
)

PACK = Path(__file__).resolve().parents[2] / "rules" / "default"


def _pack_patterns() -> list[tuple[str, bool]]:
    """(pattern, case_sensitive) for every regular expression in the default pack."""
    found: list[tuple[str, bool]] = []

    def walk(node: object, case_sensitive: bool = False) -> None:
        if isinstance(node, dict):
            sensitive = bool(node.get("case_sensitive", case_sensitive))
            for key, value in node.items():
                if key == "patterns" and isinstance(value, dict):
                    found.extend((p, sensitive) for patterns in value.values() for p in patterns)
                else:
                    walk(value, sensitive)
        elif isinstance(node, list):
            for item in node:
                walk(item, case_sensitive)

    for path in sorted(PACK.glob("*.yaml")):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return found


def _corpus() -> list[str]:
    from bench.generate import generate_tickets

    texts = [turn["text"] for t in generate_tickets(400, seed=5) for turn in t["turns"]]
    return [*texts, "I HAVE REFUNDED IT", "Wir haben es ERSTATTET.", "paſſword", "İ am here", "KM"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\b(?:i|we)\b[^.!?]{0,30}?\b(?:refunded|reimbursed)\b", {"refunded", "reimbursed"}),
        (r"(?:吗|嗎|呢)(?:。|$)", {"吗", "嗎", "呢", "吗。", "嗎。", "呢。"}),
        (r"バカ(?!ンス)", {"バカ"}),
        (r"(?<!ピン)ボケ", {"ボケ"}),
        (r"\?", {"?"}),
        (r"ab{2}c", {"abbc"}),
    ],
)  # fmt: skip
def test_regex_needles_find_the_literals_every_match_holds(pattern: str, expected: set[str]) -> None:
    assert regex_needles(pattern, re.IGNORECASE)[0] == expected


@pytest.mark.parametrize("pattern", [r"[a-z]+", r"\d{3,4}", r"(?:x)?y?", r"(\w)\1", r"(?:abc|\w+)"])
def test_patterns_without_a_required_literal_get_no_needles(pattern: str) -> None:
    assert regex_needles(pattern) is None


def test_every_default_pack_pattern_match_gets_through_its_screen() -> None:
    patterns = _pack_patterns()
    assert len(patterns) > 100
    corpus = _corpus()
    matched = 0
    for pattern, sensitive in patterns:
        regex = re.compile(pattern, 0 if sensitive else re.IGNORECASE)
        screen = Screen.build([regex_needles(pattern, regex.flags)])
        for text in corpus:
            if regex.search(text):
                matched += 1
                assert screen is None or screen.search(text), (pattern, text)
    assert matched > 1000  # the corpus really exercises the patterns


def test_literal_screen_ignores_case_like_ignorecase_does() -> None:
    screen = LiteralScreen(["password", "info"])
    for text in ("PASSWORD", "paſſword", "İNFO", "my Password"):
        assert screen.search(text), text
    assert LiteralScreen(["İstanbul"]).search("İSTANBUL") and LiteralScreen(["İstanbul"]).search("istanbul")
    assert not screen.search("nothing to see")


def test_non_latin1_needles_fall_back_to_the_regex() -> None:
    screen = LiteralScreen(["σας"])
    assert screen.search("ΣΑΣ") and screen.search("σας")


def test_token_needles_keep_the_longest_safe_run() -> None:
    assert token_needles("prüfnummer") == {"prüfnummer"}  # Latin-1 letters are safe
    assert token_needles("ωmega") == {"mega"}
    assert token_needles("ω") is None
    assert token_needles("İstanbul".lower()) == {"stanbul"}  # the combining dot of "i̇" is left out
    assert LiteralScreen(token_needles("İstanbul".lower())).search("İSTANBUL")


def test_lemma_needles_cover_inflections_and_irregular_forms() -> None:
    nlp = get_nlp("en")
    assert {"verify", "verified", "verifies", "verifying"} <= lemma_needles(nlp, "verify")
    assert {"is", "was", "were", "been", "'s", "am"} <= lemma_needles(nlp, "be")
    assert {"went", "gone", "going"} <= lemma_needles(nlp, "go")
    assert lemma_needles(get_nlp("de"), "prüfen") is None  # no rule lemmatizer: no screen


def test_screen_needs_every_part_of_an_alternative() -> None:
    screen = Screen.build([[{"within "}, {"hours", "days"}], [{"tomorrow"}]])
    assert screen.search("We ship within two days.")
    assert not screen.search("We ship within the week.")
    assert screen.search("Tomorrow!")
    assert Screen.build([[{"a"}], None]) is None  # an alternative without needles: no promise possible


def test_rule_results_are_the_same_with_screens_switched_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The default pack over 300 generated tickets (every language, upset customers, refunds, PII), with and
    without screens: identical outcomes, details and evidence."""
    import polars as pl

    from bench.generate import generate_tickets, write_tickets
    from qa_engine.nlp.language import detect_languages
    from qa_engine.nlp.pipelines import make_docs
    from qa_engine.rules import evaluate, load_pack
    from qa_engine.sources.read import read_inputs

    source = tmp_path / "tickets.jsonl"
    write_tickets(generate_tickets(300, seed=23), source, "jsonl")
    batch = next(iter(read_inputs([source], 300)))
    turns = batch.turns
    tickets = detect_languages(batch.tickets, turns)
    pack = load_pack(PACK)
    screened = evaluate(pack, tickets, turns, make_docs(tickets, turns))
    monkeypatch.setattr(LiteralScreen, "search", lambda self, *args: True)
    monkeypatch.setattr(Screen, "search", lambda self, *args: True)
    unscreened = evaluate(load_pack(PACK), tickets, turns, make_docs(tickets, turns))
    assert screened.height == 300 * len(pack.rules)
    assert screened.filter(pl.col("outcome") == "fail").height > 100
    assert screened.equals(unscreened)
