"""The `qa` command as users and scripts call it: exit codes, one-line errors, the contract's files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

QA = [sys.executable, "-m", "qa_engine"]


def qa(*args: str, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*QA, *args], capture_output=True, text=True, cwd=cwd, input=stdin, timeout=600)


def test_help_lists_the_contract_commands() -> None:
    result = qa("--help")
    assert result.returncode == 0
    for command in ("score", "demo", "rescore", "rules", "models", "schedule"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["score", "no-such-file.jsonl", "--db", "x.duckdb"], "no-such-file.jsonl"),
        (["score", "nothing-*.jsonl", "--db", "x.duckdb"], "nothing-*.jsonl"),
        (["rescore", "--since", "yesterday", "--db", "x.duckdb"], "yesterday"),
        (["score", "x.jsonl", "--model", "bogus", "--db", "x.duckdb"], "bogus"),
        (
            ["score", "x.jsonl", "--tz", "Mars/Olympus", "--db", "x.duckdb"],
            "[Q008] Unknown time zone 'Mars/Olympus'",
        ),
    ],
)
def test_user_errors_are_one_line_without_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    result = qa(*args, cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scor"], "No such command 'scor'. Did you mean 'score'"),
        (["users", "add"], "Missing argument 'username'"),
        (["score", "--no-such-option"], "No such option: --no-such-option"),
    ],
)
def test_usage_errors_show_clicks_usage_message_not_an_internal_error(args: list[str], message: str) -> None:
    # typer bundles its own copy of click: its usage errors must be caught as usage errors (exit 2)
    result = qa(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [[], ["rules"], ["users"]])
def test_a_bare_group_prints_its_help_without_an_error(args: list[str]) -> None:
    result = qa(*args)
    assert result.returncode == 2  # click's usage exit code, as for any missing command
    assert "Usage: " in result.stdout and "Commands" in result.stdout
    assert "internal error" not in result.stderr


@pytest.mark.slow
def test_score_writes_the_contract_files(tmp_path: Path, ticket_file: Path) -> None:
    result = qa("score", str(ticket_file), "--out", "res", "--db", "qa.duckdb", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["read"], summary["quarantined"]) == (3, 2)
    res = tmp_path / "res"
    tickets = pl.read_parquet(res / "tickets.parquet")
    for col in ("ticket_id", "agent_id", "channel", "language", "tier", "qa_score", "tier_reasons",
                "customer_sentiment_start", "customer_sentiment_end"):  # fmt: skip
        assert col in tickets.columns
    turns = pl.read_parquet(res / "turns.parquet")
    assert {"sentiment", "sentiment_score", "emotion", "emotion_scores"} <= set(turns.columns)
    rules = pl.read_parquet(res / "rule_results.parquet")
    assert set(rules["outcome"]) <= {"pass", "fail", "na"}
    quarantine = [json.loads(line) for line in (res / "quarantine.jsonl").read_text().splitlines()]
    assert all({"source", "location", "reason", "record"} <= set(q) for q in quarantine)


def test_help_does_not_import_heavy_libraries() -> None:
    """`qa --help` must stay instant: torch, spaCy, Great Expectations and Prefect load inside the commands."""
    code = (
        "import sys, qa_engine.cli; "
        "print(sorted({'torch', 'spacy', 'great_expectations', 'prefect', 'transformers'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "[]", result.stdout
