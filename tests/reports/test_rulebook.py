"""The report's rulebook agrees with the validated rule pack, and a broken pack is a coded error with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_engine import paths
from qa_engine.errors import QAError
from qa_engine.reports.rulebook import DEFAULT_SLA_SECONDS, load_rulebook


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
    assert book.first_response_sla == first.kind.params.slas()


def _pack(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "pack.yaml"
    file.write_text(text, encoding="utf-8")
    return file


def test_a_channel_set_to_null_has_no_sla_and_a_rule_not_in_the_pack_gets_a_stand_in(tmp_path: Path) -> None:
    book = load_rulebook(_pack(tmp_path, """
rules:
  - id: fast
    title: Answers fast
    kind: response_time
    mode: first_response
    sla_seconds: {chat: 60, social: null}
    coaching: >-
      Answer   within a minute.
"""))  # fmt: skip
    assert book.first_response_sla == {"chat": 60.0, "email": 86400.0, "other": 86400.0}
    assert book.notes["fast"].coaching == "Answer within a minute."
    assert book.note("gone").title == "gone" and "not in the current rule pack" in book.note("gone").coaching
    assert load_rulebook(_pack(tmp_path, "tiers: {}\n")).first_response_sla == DEFAULT_SLA_SECONDS


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("rules:\n  - id: a\n    title: [unclosed\n", "Q105", 4),
        ("rules:\n  - id: a\n    title: A\n  - title: no id\n", "Q103", 4),
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
