"""A pack's contact-reason names are checked against the taxonomy where both meet: a misspelt sub-reason must fail
with its file and line, not make a rule `na` on every ticket or a tier condition never fire."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa_engine import paths
from qa_engine.cli.rules import make_app
from qa_engine.errors import QAError
from qa_engine.pack import load_pack
from qa_engine.pack.reason_names import check_reason_names
from qa_engine.reasons import load_taxonomy


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def _pack_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "pack"
    shutil.copytree(paths.rules_dir(), folder)
    return folder


def _replace(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8")


def _line_of(file: Path, needle: str) -> int:
    return next(
        i for i, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1) if needle in line
    )


def test_the_default_pack_names_only_known_reasons(taxonomy) -> None:
    check_reason_names(load_pack(paths.rules_dir()), taxonomy)


def test_a_misspelt_sub_reason_in_a_rule_scope_names_rule_file_line_and_the_near_name(
    tmp_path, taxonomy
) -> None:
    folder = _pack_copy(tmp_path)
    rules = folder / "10_scoped.yaml"
    _replace(rules, "[logistics.tracking,", "[logistics.trackng,")
    with pytest.raises(QAError) as caught:
        check_reason_names(load_pack(folder), taxonomy)
    error = caught.value
    assert error.code == "Q109"
    assert f"10_scoped.yaml:{_line_of(rules, 'logistics.trackng')}" in str(error)
    assert "logistics_tracking_or_date" in str(error) and "contact_reasons" in str(error)
    assert "did you mean 'logistics.tracking'?" in str(error)


def test_a_misspelt_sub_reason_in_the_tier_policy_names_its_line(tmp_path, taxonomy) -> None:
    folder = _pack_copy(tmp_path)
    tiers = folder / "tiers.yaml"
    _replace(
        tiers,
        "sub_reasons: [logistics.lost, payment.double_charge]",
        "sub_reasons: [logistics.lost, payment.doublecharge]",
    )
    with pytest.raises(QAError) as caught:
        check_reason_names(load_pack(folder), taxonomy)
    error = caught.value
    assert error.code == "Q107"
    assert f"tiers.yaml:{_line_of(tiers, 'payment.doublecharge')}" in str(error)
    assert "tier_policy.yellow[" in str(error) and "'payment.doublecharge'" in str(error)
    assert "did you mean 'payment.double_charge'?" in str(error)


def test_a_whole_reason_is_a_known_name(tmp_path, taxonomy) -> None:
    folder = _pack_copy(tmp_path)
    _replace(
        folder / "tiers.yaml",
        "sub_reasons: [logistics.lost, payment.double_charge]",
        "sub_reasons: [complaint]",
    )
    check_reason_names(load_pack(folder), taxonomy)


def test_qa_rules_test_reports_the_misspelt_name_in_one_line(tmp_path) -> None:
    folder = _pack_copy(tmp_path)
    _replace(folder / "10_scoped.yaml", "logistics.customs,", "logistics.custom,")
    result = CliRunner().invoke(make_app(), ["test", str(folder)])
    assert result.exit_code == 2
    assert result.output.startswith("[Q109] Rule logistics_tracking_or_date")
    assert "'logistics.custom'" in result.output and result.output.count("\n") == 1


def test_qa_score_stops_on_the_misspelt_name_before_the_models_load(tmp_path) -> None:
    folder = _pack_copy(tmp_path)
    _replace(folder / "tiers.yaml", "[logistics.lost,", "[logistics.lsot,")
    tickets = paths.examples_dir() / "tickets.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "qa_engine", "score", str(tickets), "--rules", str(folder),
         "--db", str(tmp_path / "qa.duckdb")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode != 0 and "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("qa: [Q107]") and "'logistics.lsot'" in lines[0]
    assert not (tmp_path / "qa.duckdb").exists()  # nothing scored, nothing stored
