"""The data-only pack: one read of every pack file, each item with its file and line, no spaCy or torch."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from qa_engine import paths
from qa_engine.errors import QAError
from qa_engine.pack import load_pack, pack_file
from qa_engine.rules.loader import compile_pack

ROOT = Path(__file__).resolve().parents[2]
RULE = """\
rules:
  - id: say_thanks
    title: Thanks the customer
    kind: phrase
    category: closing
    weight: 5
    critical: false
    languages: [en]
    channels: "*"
    not_applicable: no agent turn
    coaching: say thanks
    mode: must_say
    phrases:
      en: [thank you]
    examples:
      pass:
        - language: en
          turns:
            - agent: Thank you!
      fail:
        - language: en
          turns:
            - agent: Bye
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / name
    file.write_text(textwrap.dedent(text), encoding="utf-8")
    return file


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def test_loading_a_pack_imports_neither_spacy_nor_torch() -> None:
    done = _run(
        "from qa_engine.pack import load_pack; load_pack('rules/default'); import sys; "
        "assert 'spacy' not in sys.modules and 'torch' not in sys.modules, "
        "[m for m in ('spacy', 'torch') if m in sys.modules]"
    )
    assert done.returncode == 0, done.stderr


def test_qa_rules_list_imports_neither_spacy_nor_torch() -> None:
    done = _run(
        "import sys; from typer.testing import CliRunner; from qa_engine.cli import app; "
        "result = CliRunner().invoke(app, ['rules', 'list', '--json', 'rules/default']); "
        "assert result.exit_code == 0, result.output; assert 'greeting' in result.output or '\"id\"' in result.output; "
        "assert 'spacy' not in sys.modules and 'torch' not in sys.modules, "
        "[m for m in ('spacy', 'torch') if m in sys.modules]"
    )
    assert done.returncode == 0, done.stderr


def test_default_pack_holds_everything_with_file_and_line() -> None:
    pack = load_pack(paths.rules_dir())
    assert len(pack) > 10
    for entry in pack:
        lines = Path(entry.file).read_text(encoding="utf-8").splitlines()
        assert lines[entry.line - 1].lstrip().startswith("- id:"), (entry.file, entry.line)
        assert lines[entry.line_of("kind") - 1].strip() == f"kind: {entry.spec.kind}"
    assert pack.policy.red and pack.policy_file.name == "tiers.yaml"
    assert pack.escalation.signals and pack.escalation_file.name == "escalation.yaml"
    assert pack.settings.source is not None and pack.settings.sla_seconds["chat"] > 0
    assert compile_pack(pack).version == pack.version


def test_a_pack_without_its_own_files_borrows_the_default_packs(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    write(folder, "rules.yaml", RULE)
    pack = load_pack(folder)
    assert [e.id for e in pack] == ["say_thanks"]
    assert pack.policy_file == pack_file(None, "tiers.yaml") != folder / "tiers.yaml"
    assert pack.escalation_file.parent == pack_file(None, "escalation.yaml").parent
    assert (
        pack.settings.source is None
    )  # no targets.yaml: the built-in defaults, not the default pack's targets
    write(folder, "tiers.yaml", "tier_policy:\n  red: [{when: critical_rule_failed}]\n")
    own = load_pack(folder)
    assert own.policy_file == folder / "tiers.yaml" and [c.when for c in own.policy.red] == [
        "critical_rule_failed"
    ]
    assert own.version == pack.version  # the tier policy carries its own version


@pytest.mark.parametrize(
    ("name", "text", "code", "where"),
    [
        ("tiers.yaml", "tier_policy:\n  red:\n    - when: no_such_condition\n", "Q107", "tiers.yaml:3"),
        ("tiers.yaml", "tier_policy:\n  red:\n    - when: critical_rule_failed\n      confirmed_by_risk: 2.0\n",
         "Q107", "tiers.yaml:4"),
        ("escalation.yaml", "model_weight: 2\n", "Q702", "escalation.yaml:1"),
        ("targets.yaml", "sla_seconds:\n  chat: 60\n  chat: 90\n", "Q105", "targets.yaml:3"),
        ("targets.yaml", "sla_seconds:\n  chat: 60\n  phone: 90\n", "Q802", "targets.yaml:3"),
        ("rules.yaml", RULE.replace("    weight: 5\n", "    weight: 5\n    weight: 6\n"), "Q105", "rules.yaml:7"),
    ],
)  # fmt: skip
def test_a_bad_pack_file_names_file_and_line(
    tmp_path: Path, name: str, text: str, code: str, where: str
) -> None:
    folder = tmp_path / "pack"
    write(folder, "rules.yaml", RULE)
    write(folder, name, text)
    with pytest.raises(QAError) as caught:
        load_pack(folder)
    assert caught.value.code == code and where in str(caught.value), str(caught.value)
