"""Shared fixtures: small ticket files, an offline environment, and the bundled examples scored once per test run."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("PREFECT_HOME"):
    # each pytest-xdist worker its own Prefect home (its ephemeral server's SQLite database), set before Prefect loads
    _prefect_home = Path(os.environ["PREFECT_HOME"]) / os.environ["PYTEST_XDIST_WORKER"]
    _prefect_home.mkdir(exist_ok=True)
    os.environ["PREFECT_HOME"] = str(_prefect_home)

TICKETS = [
    {
        "ticket_id": "P-1", "channel": "chat", "language": "en", "agent_id": "a-1", "team": "EU-1",
        "customer_id": "c-1", "created_at": "2026-11-20T09:00:00Z", "csat": 5,
        "turns": [
            {"speaker": "customer", "text": "Hi, my parcel has not arrived yet. Order 302-1234567.", "ts": "2026-11-20T09:00:00Z"},
            {"speaker": "agent", "text": "Hello, this is Mia. I'm sorry for the wait! Could you confirm your postcode?", "ts": "2026-11-20T09:01:00Z"},
            {"speaker": "customer", "text": "Sure, it is 10115.", "ts": "2026-11-20T09:02:00Z"},
            {"speaker": "agent", "text": "Thanks! I have asked the carrier to investigate; you will get an update within 24 hours. Is there anything else I can help with?", "ts": "2026-11-20T09:03:00Z"},
            {"speaker": "customer", "text": "No, that's all, thank you very much!", "ts": "2026-11-20T09:04:00Z"},
            {"speaker": "agent", "text": "Thank you for contacting us, have a great day!", "ts": "2026-11-20T09:04:30Z"},
        ],
    },
    {
        "ticket_id": "P-2", "channel": "chat", "language": "en", "agent_id": "a-2", "team": "EU-1",
        "customer_id": "c-2", "created_at": "2026-11-20T10:00:00Z",
        "turns": [
            {"speaker": "customer", "text": "I want to pay for my order again, what card do you have on file?", "ts": "2026-11-20T10:00:00Z"},
            {"speaker": "agent", "text": "Your card on file is 4111 1111 1111 1111.", "ts": "2026-11-20T10:01:00Z"},
            {"speaker": "customer", "text": "ok", "ts": "2026-11-20T10:02:00Z"},
        ],
    },
    {
        "ticket_id": "P-3", "channel": "email", "language": "de", "agent_id": "a-3", "team": "EU-2",
        "turns": [
            {"speaker": "customer", "text": "Ich möchte die Bestellung zurückgeben.", "ts": "2026-11-19T08:00:00Z"},
            {"speaker": "agent", "text": "Guten Tag, hier ist Jonas. Das Rücksendeetikett ist unterwegs.", "ts": "2026-11-19T09:00:00Z"},
        ],
    },
]  # fmt: skip
BAD_LINES = [
    '{"ticket_id": "P-bad", "turns": []}',
    "{not json",
]


# The longest files, longest first (seconds of one worker, docs/testing.md): the workers take them first and fill
# in with the short ones. pytest-xdist's own order (the files with the most tests first) left these few-test files
# for last, and one core idled minutes while the other finished them. scripts/test.sh passes --no-loadscope-reorder.
LONGEST_FILES = (
    "tests/reasons/test_fit.py",
    "tests/flows/test_nightly.py",
    "tests/test_packaging.py",
    "tests/reports/test_build.py",
    "tests/store/test_postgres_runs.py",
    "tests/pull/test_pull.py",
    "tests/scoring/test_pipeline.py",
    "tests/affect/test_model_card.py",
    "tests/review/test_commands.py",
    "tests/bench/test_score.py",
    "tests/reasons/test_model_card.py",
    "tests/test_cli.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest files first, then the others with the most tests first; each file's tests in their own order."""
    files = [item.path.relative_to(config.rootpath).as_posix() for item in items]
    count = Counter(files)
    rank = {file: (LONGEST_FILES.index(file) if file in LONGEST_FILES else len(LONGEST_FILES), -count[file])
            for file in count}  # fmt: skip
    order = sorted(range(len(items)), key=lambda i: (rank[files[i]], files[i], i))
    items[:] = [items[i] for i in order]


@pytest.fixture
def ticket_file(tmp_path: Path) -> Path:
    file = tmp_path / "tickets.jsonl"
    lines = [json.dumps(t, ensure_ascii=False) for t in TICKETS] + BAD_LINES
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return file


@pytest.fixture
def model_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of texts each real model call received (the models still run: this only counts them)."""
    from qa_engine.affect.backends.embedded_backend import EmbeddedBackend
    from qa_engine.affect.backends.hf_backend import HuggingFaceBackend

    calls: list[int] = []
    # the embedded model encodes in predict_pairs (one pass whatever the languages); a Hugging Face one in predict
    for backend_class, method in ((EmbeddedBackend, "predict_pairs"), (HuggingFaceBackend, "predict")):
        real = getattr(backend_class, method)

        def counting(self, texts, tasks, *args, _real=real, **kwargs):
            calls.append(len(texts))
            return _real(self, texts, tasks, *args, **kwargs)

        monkeypatch.setattr(backend_class, method, counting)
    return calls


@pytest.fixture
def qa(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """Run `qa ARGS...`; (exit status, stdout, stderr)."""
    from qa_engine.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["qa", *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@dataclass(frozen=True)
class ScoredExamples:
    """examples/tickets.jsonl scored with the default pack and models: the store, the contract's files, the summary.

    Shared by every test of the run, so nothing may change it: a test that writes copies `db` first."""

    db: Path
    out: Path
    summary: object  # qa_engine.pipeline.RunSummary


def _digest(scored: ScoredExamples) -> dict[str, str]:
    files = [scored.db, *sorted(f for f in scored.out.iterdir() if f.is_file())]
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def _score_examples(folder: Path) -> ScoredExamples:
    from qa_engine import paths
    from qa_engine.pipeline import ScoreConfig, score_files

    db, out = folder / "qa.duckdb", folder / "out"
    summary = score_files([str(paths.examples_dir() / "tickets.jsonl")], ScoreConfig(db=db, out=out))
    assert summary.scored == summary.read > 0 and summary.quarantined == 0, summary
    return ScoredExamples(db, out, summary)


@pytest.fixture(scope="session")
def scored_examples(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScoredExamples]:
    """The bundled examples scored once for the whole run (about a minute: spaCy and the affect model load).

    Under pytest-xdist the first worker that needs them scores them into the run's shared temporary folder while the
    others wait on a file lock, then every worker reads that one store. At the end the files must be byte for byte
    what was scored: a test that changed them fails here, since every later test would have read its changes."""
    from filelock import FileLock

    if not os.environ.get("PYTEST_XDIST_WORKER"):  # one process: its own folder
        scored = _score_examples(tmp_path_factory.mktemp("examples"))
    else:  # the run's folder, above every worker's own
        folder = tmp_path_factory.getbasetemp().parent / "scored-examples"
        folder.mkdir(exist_ok=True)
        with FileLock(str(folder) + ".lock"):
            done = folder / "summary.pickle"
            if done.exists():
                scored = ScoredExamples(folder / "qa.duckdb", folder / "out", pickle.loads(done.read_bytes()))
            else:
                scored = _score_examples(folder)
                done.write_bytes(pickle.dumps(scored.summary))
    before = _digest(scored)
    yield scored
    changed = sorted(name for name, digest in _digest(scored).items() if before.get(name) != digest)
    assert not changed, f"a test changed the shared scored examples ({changed}): give it a copy of the store"
