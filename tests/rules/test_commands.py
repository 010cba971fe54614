import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from qa_engine.cli.rules import default_pack_path, make_app

runner = CliRunner()
app = make_app()  # `qa rules` without the affect models: unpinned example turns are neutral


def write_pack(path: Path, *rules: dict) -> Path:
    path.write_text(yaml.safe_dump({"rules": list(rules)}, allow_unicode=True), encoding="utf-8")
    return path


def test_default_pack_self_test_passes() -> None:
    result = runner.invoke(app, ["test"])
    assert result.exit_code == 0, result.output
    assert "19 rules passed" in result.output


def test_first_wrong_example_names_file_rule_example_expected_and_got(
    tmp_path: Path, rule_dict: Callable
) -> None:
    rule = rule_dict(
        id="say_thanks", kind="phrase", mode="must_say", phrases={"en": ["thank you"]},
        examples={"pass": [{"language": "en", "turns": [{"agent": "Thank you!"}]},
                           {"language": "en", "turns": [{"agent": "Cheers!"}]}],
                  "fail": [{"language": "en", "turns": [{"agent": "Bye"}]}]},
    )  # fmt: skip
    pack = write_pack(tmp_path / "thanks.yaml", rule)
    result = runner.invoke(app, ["test", str(pack)])
    assert result.exit_code == 1
    assert "[Q106] Rule say_thanks" in result.output
    assert "thanks.yaml:" in result.output
    assert "example pass #2 expected pass, got fail" in result.output
    assert "agent: Cheers!" in result.output


def test_list_json_is_one_array_with_the_contract_fields() -> None:
    result = runner.invoke(app, ["list", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert isinstance(rows, list) and len(rows) == 19
    for row in rows:
        assert list(row) == [
            "id", "title", "kind", "category", "weight", "critical", "languages", "channels", "markets",
            "contact_reasons",
        ]  # fmt: skip
    by_id = {r["id"]: r for r in rows}
    pii = by_id["pii_disclosure"]
    assert (pii["critical"], pii["languages"], pii["channels"], pii["markets"]) == (True, "*", "*", "*")
    assert (by_id["formal_address"]["markets"], by_id["formal_address"]["contact_reasons"]) == (
        ["DE", "JP"],
        "*",
    )
    assert by_id["logistics_tracking_or_date"]["contact_reasons"] == [
        "logistics.tracking", "logistics.delayed", "logistics.lost", "logistics.customs", "logistics.wrong_address",
    ]  # fmt: skip
    assert by_id["returns_window_or_next_step"]["contact_reasons"] == ["returns"]


def test_list_table() -> None:
    result = runner.invoke(app, ["list"])
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "id",
        "title",
        "kind",
        "category",
        "weight",
        "critical",
        "languages",
        "channels",
        "markets",
        "contact_reasons",
    ]
    assert any(line.startswith("greeting_own_name ") and "first_impression" in line for line in lines)
    assert len(lines) == 20


def test_bad_pack_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: [\n", encoding="utf-8")
    for command in (["list", str(bad)], ["test", str(bad)], ["list", str(tmp_path / "missing")]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2
        assert result.output.count("\n") == 1 and result.output.startswith("[Q10")


def test_default_path_and_qa_rules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QA_RULES_DIR", raising=False)
    assert default_pack_path() == Path(__file__).resolve().parents[2] / "rules" / "default"
    pack = write_pack(tmp_path / "only.yaml", _one_rule())
    monkeypatch.setenv("QA_RULES_DIR", str(pack))
    assert default_pack_path() == pack
    result = runner.invoke(app, ["list", "--json"])
    assert [r["id"] for r in json.loads(result.output)] == ["only_rule"]


def _one_rule() -> dict:
    return {
        "id": "only_rule", "title": "Only", "kind": "pii", "category": "compliance", "weight": 1, "critical": True,
        "languages": "*", "channels": "*", "not_applicable": "no agent turn", "coaching": "never share secrets",
        "examples": {"pass": [{"language": "en", "turns": [{"agent": "Hi"}]}],
                     "fail": [{"language": "en", "turns": [{"agent": "CVV 123"}]}]},
    }  # fmt: skip
