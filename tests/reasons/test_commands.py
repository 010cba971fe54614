"""`qa reasons ...` as users call it: bad data files are one-line errors naming file, line and field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

QA = [sys.executable, "-m", "qa_engine"]


def qa(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*QA, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_reasons_is_mounted() -> None:
    result = subprocess.run([*QA, "reasons", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "fit" in result.stdout and "eval" in result.stdout


@pytest.mark.parametrize(
    ("args", "content", "expected"),
    [
        (["eval", "--reasons-set", "set.tsv"], "language\treason\ttext\nen\tshipping\tWhere is it?\n",
         "set.tsv:2, field 'reason': 'shipping' is not one of"),
        (["eval", "--reasons-set", "set.tsv"], "lang\treason\ttext\n", "set.tsv:1, field 'language': missing column(s)"),
        (["eval", "--escalation-set", "set.tsv"], "language\tlabel\ttext\nen\tescalating\t \n",
         "set.tsv:2, field 'text'"),
        (["fit", "--taxonomy", "set.tsv"], "reasons:\n  shipping: {}\n", "[Q701] Invalid contact-reason taxonomy"),
        (["fit", "--signals", "set.tsv"], "model_weight: 2\n", "[Q702] Invalid escalation signal file"),
    ],
)  # fmt: skip
def test_bad_files_are_one_line_errors(tmp_path: Path, args: list[str], content: str, expected: str) -> None:
    (tmp_path / "set.tsv").write_text(content, encoding="utf-8")
    result = qa("reasons", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], result.stderr
