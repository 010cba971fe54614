"""The report's rulebook agrees with the validated rule pack, and a broken pack is a coded error with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_engine import paths
from qa_engine.errors import QAError
from qa_engine.reports.rulebook import DEFAULT_ESCALATION_RED, DEFAULT_SLA_SECONDS, load_rulebook

RULE = """
rules:
  - id: fast
    title: Answers fast
    kind: response_time
    category: timeliness
    weight: 5
    critical: false
    languages: "*"
    channels: "*"
    not_applicable: no customer turn
    mode: first_response
    sla_seconds: {chat: 60, social: null}
    coaching: >-
      Answer   within a minute.
    examples:
      pass: [{language: en, turns: [{customer: Hi, ts: 0}, {agent: Hello, ts: 30}]}]
      fail: [{language: en, turns: [{customer: Hi, ts: 0}, {agent: Hello, ts: 90}]}]
"""


def test_titles_tips_weights_and_slas_match_the_loaded_default_pack() -> None:
    from qa_engine.rules import load_pack
    from qa_engine.rules.kinds.response_time import ResponseTimeParams

    pack = load_pack(paths.rules_dir())
    book = load_rulebook()
    assert list(book.notes) == [rule.id for rule in pack]  # the pack's order, FIRE first
    for rule in pack:
        note = book.notes[rule.id]
        assert (note.title, note.category, note.weight, note.critical) == (
            rule.spec.title, rule.spec.category, rule.spec.weight, rule.spec.critical
        )  # fmt: skip
        assert note.coaching == " ".join(rule.spec.coaching.split())
    first = next(
        r
        for r in pack
        if isinstance(r.kind.params, ResponseTimeParams) and r.kind.params.mode == "first_response"
    )
    assert book.first_response_sla == first.kind.slas()


def _pack(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "pack.yaml"
    file.write_text(text, encoding="utf-8")
    return file


def test_a_channel_set_to_null_has_no_sla_and_a_rule_not_in_the_pack_gets_a_stand_in(tmp_path: Path) -> None:
    book = load_rulebook(_pack(tmp_path, RULE))
    assert book.first_response_sla == {"chat": 60.0, "email": 86400.0, "other": 86400.0}
    assert book.notes["fast"].coaching == "Answer within a minute."
    assert book.note("gone").title == "gone" and "not in the current rule pack" in book.note("gone").coaching
    no_first_response = RULE.replace("mode: first_response", "mode: each_reply")
    assert load_rulebook(_pack(tmp_path, no_first_response)).first_response_sla == DEFAULT_SLA_SECONDS


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("rules:\n  - id: a\n    title: [unclosed\n", "Q105", 4),
        (RULE.replace("  - id: fast\n    title", "  - title"), "Q103", 3),
        ("rules:\n  - just a string\n", "Q103", 2),
    ],
    ids=["bad-yaml", "no-id", "not-a-mapping"],
)
def test_a_broken_pack_names_file_and_line(tmp_path: Path, text: str, code: str, line: int) -> None:
    file = _pack(tmp_path, text)
    with pytest.raises(QAError) as info:
        load_rulebook(file)
    assert info.value.code == code
    assert f"{file}:{line}" in str(info.value)


def test_a_missing_pack_is_q101(tmp_path: Path) -> None:
    with pytest.raises(QAError, match=r"\[Q101\]"):
        load_rulebook(tmp_path / "nowhere")


def test_signal_titles_and_the_red_escalation_threshold_come_from_the_pack() -> None:
    import yaml

    book = load_rulebook()
    tiers = yaml.safe_load((paths.rules_dir() / "tiers.yaml").read_text(encoding="utf-8"))["tier_policy"]
    red = [c["min_risk"] for c in tiers["red"] if c["when"] == "escalation_risk_at_least"]
    assert red and book.escalation_red == min(red)
    signals = yaml.safe_load((paths.rules_dir() / "escalation.yaml").read_text(encoding="utf-8"))["signals"]
    for signal in signals:
        assert book.signal_title(signal["id"]) == signal["title"]
    assert book.signal_title("repeat_contact") != "repeat_contact"  # the store-based signal has words too
    assert book.signal_title("not_a_signal") == "not_a_signal"


def test_a_pack_without_a_red_escalation_condition_uses_the_contracts_threshold(tmp_path: Path) -> None:
    _pack(tmp_path, RULE)
    (tmp_path / "tiers.yaml").write_text(
        "tier_policy:\n  red:\n    - when: critical_rule_failed\n  yellow:\n"
        "    - when: escalation_risk_at_least\n      min_risk: 0.3\n",
        encoding="utf-8",
    )
    assert load_rulebook(tmp_path).escalation_red == DEFAULT_ESCALATION_RED == 0.5  # CONTRACT.md section 5
    (tmp_path / "tiers.yaml").write_text(
        "tier_policy:\n  red:\n    - when: escalation_risk_at_least\n      min_risk: 0.8\n", encoding="utf-8"
    )
    assert load_rulebook(tmp_path).escalation_red == 0.8
