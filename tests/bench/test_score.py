"""The scoring benchmark: the runner's timed read and validate steps give exactly what `read_inputs` gives, and the
benchmark prints every figure the README reports."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.generate import generate_tickets, write_tickets
from qa_engine.pipeline import ScoreConfig
from qa_engine.runner import Clock, read_batches
from qa_engine.sources import read_inputs

ROOT = Path(__file__).resolve().parents[2]


def test_timed_read_batches_equal_read_inputs_and_time_both_steps(tmp_path: Path, ticket_file: Path) -> None:
    generated = tmp_path / "generated.jsonl"
    write_tickets(generate_tickets(30, seed=3), generated, "jsonl")
    inputs = [str(ticket_file), str(generated)]
    clock = Clock()
    timed = list(read_batches(inputs, ScoreConfig(batch_tickets=7), clock))
    timings = clock.seconds
    plain = list(read_inputs(inputs, batch_tickets=7))
    assert len(timed) == len(plain) > 2
    for got, want in zip(timed, plain, strict=True):
        assert got.tickets.equals(want.tickets) and got.turns.equals(want.turns)
        assert [q.to_dict() for q in got.quarantine] == [q.to_dict() for q in want.quarantine]
    assert sum(b.tickets.height for b in timed) == 33 and timings["read"] > 0 and timings["validate"] > 0


@pytest.mark.slow
def test_benchmark_prints_every_stage_the_rerun_speed_up_and_peak_memory(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "score.py"), "--tickets", "12", "--batch-size", "5", "--no-models",
         "--keep", str(tmp_path), "--json", str(tmp_path / "figures.json")],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for stage in ("read", "validate", "language", "nlp", "affect", "rules", "reasons", "tier", "store"):
        assert re.search(rf"^  {stage} +\d+\.\d\d +[\d.]+ +\d+$", result.stdout, re.M), stage
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert figures["first"]["summary"]["scored"] == 12
    assert figures["second"]["whole run"]["seconds"] > 0 and figures["second_speedup"] > 1
    assert figures["forced"]["rules+tier"]["tickets_per_s"] > 0
    assert (
        figures["peak_rss_mb"] > 100
    )  # the process holds the models' tokenizer and the spaCy pipelines at least
    assert "x faster than the first run" in result.stdout
