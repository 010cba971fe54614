"""Shared fixtures: small ticket files, an offline environment."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

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
