import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from qa_engine.errors import QAError
from qa_engine.rules import load_pack

GOOD = """\
rules:
  - id: say_thanks
    title: Thanks the customer
    kind: phrase
    category: closing
    weight: 5
    critical: false
    languages: [en, de]
    channels: [chat, email]
    not_applicable: no agent turn
    coaching: say thanks
    mode: must_say
    phrases:
      en: [thank you]
      de: [danke]
    examples:
      pass:
        - language: en
          turns:
            - agent: Thank you!
      fail:
        - language: de
          turns:
            - agent: Tschüss
"""


def write(tmp_path: Path, text: str, name: str = "pack.yaml") -> Path:
    file = tmp_path / name
    file.write_text(textwrap.dedent(text), encoding="utf-8")
    return file


def replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


def test_good_pack_loads_with_source_and_version(tmp_path: Path) -> None:
    pack = load_pack(write(tmp_path, GOOD))
    rule = pack.get("say_thanks")
    assert (rule.spec.category, rule.spec.weight, rule.spec.channels) == ("closing", 5.0, ["chat", "email"])
    assert rule.file.endswith("pack.yaml") and rule.line == 2
    assert len(pack.version) == 12


def test_version_follows_content_only(tmp_path: Path) -> None:
    a = load_pack(write(tmp_path, GOOD, "a.yaml")).version
    b = load_pack(write(tmp_path, GOOD, "b.yaml")).version
    c = load_pack(write(tmp_path, replace(GOOD, "[thank you]", "[thank you, thanks]"), "c.yaml")).version
    assert a == b != c


def test_folder_reads_every_yaml_file_and_skips_other_pack_data(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    folder.mkdir()
    write(folder, GOOD, "one.yaml")
    write(folder, replace(GOOD, "say_thanks", "say_thanks_too"), "two.yml")
    write(folder, "tier_policy:\n  red: []\n", "tiers.yaml")  # read by scoring, not a rule file
    write(folder, "not yaml at all: [", "notes.txt")
    pack = load_pack(folder)
    assert [r.id for r in pack] == ["say_thanks", "say_thanks_too"]
    before = pack.version
    write(folder, "tier_policy:\n  red: [{when: critical_rule_failed}]\n", "tiers.yaml")
    assert load_pack(folder).version == before  # tiers and targets carry their own versions
    write(folder, replace(GOOD, "say_thanks", "say_thanks_now"), "two.yml")
    assert load_pack(folder).version != before


@pytest.mark.parametrize(
    ("old", "new", "pattern"),
    [
        # Q102: unknown kind, pointing at the kind's line and listing the known kinds
        ("kind: phrase", "kind: phrasal",
         r"\[Q102\] Unknown rule kind 'phrasal' in .*pack.yaml:4 \(rule say_thanks\)\. Known: .*'phrase'.*'sequence'"),
        # Q103: a bad common field, a missing one, a bad kind field, an unknown kind field
        ("category: closing", "category: goodbye", r"\[Q103\] .*pack.yaml:5 \(rule say_thanks\), field 'category'"),
        ("    coaching: say thanks\n", "", r"\[Q103\] .*pack.yaml:2 \(rule say_thanks\), field 'coaching': Field required"),
        ("mode: must_say", "mode: should_say", r"\[Q103\] .*pack.yaml:12 \(rule say_thanks\), field 'mode'"),
        ("mode: must_say", "mode: must_say\n    windoe: agent_turns", r"field 'windoe': Extra inputs"),
        ("      de: [danke]\n", "", r"\[Q103\] .*:14 \(rule say_thanks\), field 'phrases'.*\['de'\]"),
        ("      de: [danke]", "      de: []", r"\[Q103\] .*:14 \(rule say_thanks\), field 'phrases'.*'de' needs"),
        ("weight: 5", "weight: -5", r"\[Q103\] .*:6 \(rule say_thanks\), field 'weight'"),
        ("languages: [en, de]", "languages: [EN]", r"field 'languages'"),
        ("            - agent: Tschüss", "            - agnt: Tschüss", r"\[Q103\] .*:24 .*field 'examples\.fail\[0\]\.turns\[0\]'"),
        ("      fail:\n        - language: de\n          turns:\n            - agent: Tschüss\n", "",
         r"\[Q103\] .*field 'examples\.fail': Field required"),
    ],
)  # fmt: skip
def test_bad_fields_name_file_line_rule_and_field(tmp_path: Path, old: str, new: str, pattern: str) -> None:
    with pytest.raises(QAError, match=pattern):
        load_pack(write(tmp_path, replace(GOOD, old, new)))


def test_q103_bad_regular_expression(tmp_path: Path, rule_dict: Callable[..., dict]) -> None:
    file = tmp_path / "p.yaml"
    rule = rule_dict(kind="pattern", mode="must_match", patterns={"en": ["(unclosed"]})
    file.write_text(yaml.safe_dump({"rules": [rule]}), encoding="utf-8")
    with pytest.raises(QAError, match=r"\[Q103\] .*field 'patterns'.*bad regular expression '\(unclosed'"):
        load_pack(file)


def test_q103_file_without_rules(tmp_path: Path) -> None:
    with pytest.raises(QAError, match=r"\[Q103\] .*x.yaml:1 \(rule -\), field 'rules'"):
        load_pack(write(tmp_path, "tier_policy: {}\n", "x.yaml"))


def test_q104_duplicate_id_across_files(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    folder.mkdir()
    write(folder, GOOD, "a.yaml")
    write(folder, "# comment\n" + GOOD, "b.yaml")
    with pytest.raises(
        QAError,
        match=r"\[Q104\] Duplicate rule id 'say_thanks' in .*b.yaml:3 \(first defined in .*a.yaml:2\)",
    ):
        load_pack(folder)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("rules:\n  - id: [unclosed\n", r"\[Q105\] Invalid YAML in .*pack.yaml:3"),
        (
            replace(GOOD, "    weight: 5\n", "    weight: 5\n    weight: 6\n"),
            r"\[Q105\] .*:7: key 'weight' appears twice",
        ),
    ],
)
def test_q105_bad_yaml(tmp_path: Path, text: str, pattern: str) -> None:
    with pytest.raises(QAError, match=pattern):
        load_pack(write(tmp_path, text))


def test_q105_not_utf8(tmp_path: Path) -> None:
    file = tmp_path / "latin1.yaml"
    file.write_bytes("rules:\n  - title: Grüße\n".encode("latin-1"))
    with pytest.raises(QAError, match=r"\[Q105\] .*latin1.yaml:2: not UTF-8"):
        load_pack(file)


def test_q101_missing_and_q108_empty(tmp_path: Path) -> None:
    with pytest.raises(QAError, match=r"\[Q101\]"):
        load_pack(tmp_path / "nowhere")
    with pytest.raises(QAError, match=r"\[Q108\]"):
        load_pack(tmp_path)


def test_q103_group_missing_a_language_points_at_the_group(
    tmp_path: Path, rule_dict: Callable[..., dict]
) -> None:
    rule = rule_dict(
        id="greet", kind="phrase", mode="must_say", languages=["en", "ja"],
        groups=[{"name": "hello", "phrases": {"en": ["hello"], "ja": ["こんにちは"]}},
                {"name": "name", "patterns": {"en": ["this is"]}}],
    )  # fmt: skip
    file = tmp_path / "greet.yaml"
    file.write_text(yaml.safe_dump({"rules": [rule]}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    line = next(
        i for i, text in enumerate(file.read_text(encoding="utf-8").splitlines(), 1) if "name: name" in text
    )
    with pytest.raises(QAError, match=rf"greet.yaml:{line} \(rule greet\), field 'groups\[1\]'.*\['ja'\]"):
        load_pack(file)
