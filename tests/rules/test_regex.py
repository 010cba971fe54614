"""Rule-pack regular expressions cannot hang a run: catastrophic ones are rejected at load, RE2 runs what it can
with `re`'s exact meaning, and `re` reads long turns in windows (`qa_engine.rules.regex`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from qa_engine.errors import QAError
from qa_engine.rules import evaluate, load_pack
from qa_engine.rules.regex import WINDOW, RulePattern, catastrophe, to_re2

DEFAULT_PACK = Path(__file__).parents[2] / "rules" / "default"


def _pack_file(tmp_path: Path, rule: dict[str, Any]) -> Path:
    file = tmp_path / "pack.yaml"
    file.write_text(yaml.safe_dump({"rules": [rule]}, sort_keys=False), encoding="utf-8")
    return file


@pytest.mark.parametrize("pattern", [r"(\w+\s?)+$", r"(a+)+", r"(a|aa)+", r"(?:\s*\w+)*x", r"(\d+)*z"])
def test_catastrophic_pattern_is_rejected_with_file_line_and_rule(
    tmp_path: Path, rule_dict: Callable[..., dict], pattern: str
) -> None:
    rule = rule_dict(id="lead_rule", kind="pattern", mode="must_match", patterns={"en": [pattern]})
    with pytest.raises(QAError) as caught:
        load_pack(_pack_file(tmp_path, rule))
    message = str(caught.value)
    assert "\n" not in message
    assert re.match(
        r"\[Q109\] Rule lead_rule in .*pack\.yaml:\d+, field 'patterns\.en': the pattern ", message
    )
    assert repr(pattern) in message and "exponential" in message


def test_rejected_in_groups_of_other_kinds_too(tmp_path: Path, rule_dict: Callable[..., dict]) -> None:
    rule = rule_dict(kind="phrase", mode="must_say", groups=[{"patterns": {"*": [r"(?:\w+\s?)+!"]}}])
    with pytest.raises(QAError, match=r"\[Q109\] .*field 'groups\[0\]\.patterns\.\*'"):
        load_pack(_pack_file(tmp_path, rule))


@pytest.mark.parametrize(
    "pattern",
    [
        r"(?:\w+\s)+",
        r"\w+(?:\s\w+)*",
        r"(?:foo|bar)+",
        r"(?:\d+[.,])+\d+",
        r"a{1,3}b+",
        r"\b(?:i|we)\b[^.!?]{0,30}?x",
    ],
)
def test_unambiguous_repetitions_are_accepted(pattern: str) -> None:
    assert catastrophe(pattern, re.IGNORECASE) is None


def test_default_pack_loads_and_runs_cjk_patterns_on_re2() -> None:
    pack = load_pack(DEFAULT_PACK)
    assert len(pack) > 0
    assert to_re2("工号\\s*\\d+", re.IGNORECASE) is not None
    assert (
        RulePattern("(?:吗|嗎|呢)(?:。|$)", re.IGNORECASE).engine == "re"
    )  # `$` also matches before a final \n
    assert RulePattern(r"\bwithin\b", re.IGNORECASE).engine == "re"  # RE2's \b is ASCII-only
    assert RulePattern("バカ(?!ンス)").engine == "re"  # RE2 has no lookarounds


def _pack_patterns_and_texts() -> tuple[list[str], list[str]]:
    patterns: list[str] = []
    texts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "patterns" and isinstance(value, dict):
                    patterns.extend(p for entries in value.values() for p in entries)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            texts.append(node)

    for file in sorted(DEFAULT_PACK.glob("*.yaml")):
        walk(yaml.safe_load(file.read_text(encoding="utf-8")))
    return patterns, texts


# letters whose case rules differ between engines unless translated exactly: Turkish i, long s, Kelvin, sharp s,
# Greek sigma, fullwidth and Arabic-Indic digits, no-break and ideographic spaces
ODD = "İı ſ K ß ẞ Σσς ＡＢ１２ ١٢٣ a\u00a0b\u3000c Ⅻ ǅ"


@pytest.mark.slow  # every pattern of the default packs over their texts: about ten seconds
def test_re2_finds_exactly_what_re_finds_on_the_default_packs_texts() -> None:
    patterns, texts = _pack_patterns_and_texts()
    texts = (
        texts + [t.upper() for t in texts] + [ODD, ODD.lower(), ODD.upper(), "工号 ١٢٣", "12天内", "3 日以内"]
    )
    on_re2 = 0
    for flags in (re.IGNORECASE, 0):
        for pattern in patterns:
            compiled = RulePattern(pattern, flags)
            if compiled.engine != "re2":
                continue
            on_re2 += 1
            for text in texts:
                want = [m.span() for m in compiled.regex.finditer(text) if m.end() > m.start()]
                got = [(m.start(), m.end()) for m in compiled.finditer(text) if m.end() > m.start()]
                assert got == want, (pattern, flags, text)
    assert on_re2 >= 40


@pytest.mark.parametrize(
    "source", [r"[a-zäöüß]+", r"\w+", r"\d+", r"\s+", r"[^.!?]+", r"(?-i:[A-ZÄÖÜ]\w+)", "k+"]
)
def test_translated_classes_match_res_meaning_on_odd_letters(source: str) -> None:
    for flags in (re.IGNORECASE, 0):
        compiled = RulePattern(source, flags)
        assert compiled.engine == "re2"
        for text in (ODD, ODD.upper(), ODD.lower()):
            assert [m.span() for m in compiled.regex.finditer(text)] == [
                (m.start(), m.end()) for m in compiled.finditer(text)
            ]


def test_windowed_re_finds_the_same_matches_as_reading_whole() -> None:
    text = "".join(f"foo bar {i} " if i % 7 else f"foo baz {i}. " for i in range(20_000))
    assert len(text) > 50 * WINDOW
    compiled = RulePattern(r"\bfoo\b(?= baz)|(?<=bar )\d+\b", re.IGNORECASE)
    assert compiled.engine == "re"
    assert [(m.start(), m.end()) for m in compiled.finditer(text)] == [
        m.span() for m in compiled.regex.finditer(text)
    ]


def _long_turn(text: str) -> dict[str, Any]:
    return {"id": "T", "turns": [("customer", "Where is my parcel?"), ("agent", text)]}


@pytest.mark.timeout(60)
def test_million_character_turn_with_a_quadratic_pattern_on_re2(judge: Callable) -> None:
    # `re` reading this whole would try every start in the digits and back off every length: ~5e11 steps
    rule = {"kind": "pattern", "mode": "must_not_match", "patterns": {"en": [r"\d+\s*days"]}}
    assert RulePattern(r"\d+\s*days", re.IGNORECASE).engine == "re2"
    assert judge(rule, _long_turn("days " + "1" * 999_000))["T"]["outcome"] == "pass"


@pytest.mark.timeout(60)
def test_million_character_turn_with_a_polynomial_lookaround_pattern_on_windowed_re(judge: Callable) -> None:
    pattern = r"\b\w+\s*(?<!y)\w+x\b"  # ~n³ steps from the start of a long word; ~1e17 for this one
    rule = {"kind": "pattern", "mode": "must_not_match", "patterns": {"en": [pattern]}}
    assert RulePattern(pattern, re.IGNORECASE).engine == "re"
    assert judge(rule, _long_turn("x " + "a" * 999_000))["T"]["outcome"] == "pass"
    found = judge(rule, _long_turn("x " + "a" * 500_000 + " gogox " + "a" * 400_000))["T"]
    assert found["outcome"] == "fail" and "gogox" in str(found["evidence"])


@pytest.mark.timeout(120)
def test_default_pack_on_a_million_character_turn(frames: Callable) -> None:
    pack = load_pack(DEFAULT_PACK)
    words = "the parcel refund we have issued your address within 3 days hier ist Frau Müller 退款 已经 ありがとう "
    text = (words * (1_000_000 // len(words)))[:999_000]
    results = evaluate(pack, *frames(_long_turn(text)))
    assert results.height == len(pack)
