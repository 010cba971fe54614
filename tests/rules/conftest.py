"""Helpers for rule tests: tickets and turns frames from compact specs, and one-rule packs from dicts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from qa_engine.rules import RulePack, evaluate, load_pack
from qa_engine.schema import EMOTION_SCORES, TURNS_IN

START = datetime(2026, 1, 1, tzinfo=UTC)
EMOTIONS = tuple(EMOTION_SCORES.to_schema())

Turn = tuple  # (speaker, text) or (speaker, text, {"ts": seconds, "emotion": ..., "sentiment_score": ...})


def _frames(*tickets: dict[str, Any]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Tickets and turns frames; each ticket is {"id", "language"="en", "channel"="chat", "turns": [Turn, ...]}."""
    ticket_rows, turn_rows = [], []
    for ticket in tickets:
        ticket_rows.append({"ticket_id": ticket["id"], "language": ticket.get("language", "en"),
                            "channel": ticket.get("channel", "chat")})  # fmt: skip
        for index, (speaker, text, *rest) in enumerate(ticket["turns"]):
            extra = rest[0] if rest else {}
            ts = extra.get("ts")
            emotion = extra.get("emotion")
            turn_rows.append({
                "ticket_id": ticket["id"], "turn_index": index, "speaker": speaker, "text": text,
                "ts": START + timedelta(seconds=ts) if isinstance(ts, int | float) else ts, "agent_id": None,
                "sentiment": None, "sentiment_score": extra.get("sentiment_score"), "emotion": emotion,
                "emotion_scores": {e: extra.get("emotion_score", 0.9) if e == emotion else 0.0 for e in EMOTIONS}
                if emotion else None,
            })  # fmt: skip
    schema = {**TURNS_IN, "sentiment": pl.String, "sentiment_score": pl.Float32, "emotion": pl.String,
              "emotion_scores": EMOTION_SCORES}  # fmt: skip
    tickets_df = pl.DataFrame(
        ticket_rows, schema={"ticket_id": pl.String, "language": pl.String, "channel": pl.String}
    )
    return tickets_df, pl.DataFrame(turn_rows, schema=schema)


EXAMPLE = {"language": "en", "turns": [{"agent": "placeholder"}]}


def _rule_dict(**fields: Any) -> dict[str, Any]:
    """A valid rule mapping; `fields` add kind parameters or override the common ones."""
    return {
        "id": "r", "title": "A rule", "category": "compliance", "weight": 1, "critical": False, "languages": "*",
        "channels": "*", "not_applicable": "when it does not apply", "coaching": "do better",
        "examples": {"pass": [EXAMPLE], "fail": [EXAMPLE]}, **fields,
    }  # fmt: skip


@pytest.fixture
def frames() -> Callable[..., tuple[pl.DataFrame, pl.DataFrame]]:
    """frames(ticket, ...) -> (tickets, turns); see _frames."""
    return _frames


@pytest.fixture
def rule_dict() -> Callable[..., dict[str, Any]]:
    """rule_dict(**fields) -> a valid rule mapping; see _rule_dict."""
    return _rule_dict


@pytest.fixture
def make_pack(tmp_path: Path) -> Callable[..., RulePack]:
    """make_pack(rule_dict(...), ...) -> a loaded pack with those rules in one file."""

    def make(*rules: dict[str, Any]) -> RulePack:
        file = tmp_path / f"pack{len(list(tmp_path.iterdir()))}.yaml"
        file.write_text(
            yaml.safe_dump({"rules": list(rules)}, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        return load_pack(file)

    return make


@pytest.fixture
def judge(make_pack: Callable[..., RulePack]) -> Callable[..., dict[str, dict[str, Any]]]:
    """judge(rule_fields, *tickets) -> {ticket_id: result row} for a one-rule pack."""

    def run(fields: dict[str, Any], *tickets: dict[str, Any]) -> dict[str, dict[str, Any]]:
        pack = make_pack(_rule_dict(**fields))
        results = evaluate(pack, *_frames(*tickets))
        return {row["ticket_id"]: row for row in results.iter_rows(named=True)}

    return run
