"""Helpers for the reasons tests: one-customer-turn conversations with real spaCy Docs."""

from __future__ import annotations

import polars as pl

from qa_engine.nlp.pipelines import make_docs
from qa_engine.rules.conversation import Conversation, build_conversations
from qa_engine.schema import TURNS_IN


def frames(*tickets: tuple[str, list[tuple[str, str]]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Tickets and turns frames from (language, [(speaker, text), ...]) pairs; ticket ids t0, t1, ..."""
    ticket_rows, turn_rows = [], []
    for n, (language, turns) in enumerate(tickets):
        ticket_rows.append({"ticket_id": f"t{n}", "language": language, "channel": "chat"})
        for index, (speaker, text) in enumerate(turns):
            turn_rows.append({"ticket_id": f"t{n}", "turn_index": index, "speaker": speaker, "text": text})
    schema = {k: TURNS_IN[k] for k in ("ticket_id", "turn_index", "speaker", "text")}
    return pl.DataFrame(ticket_rows), pl.DataFrame(turn_rows, schema=schema)


def conversations(*tickets: tuple[str, list[tuple[str, str]]]) -> list[Conversation]:
    tickets_frame, turns = frames(*tickets)
    return build_conversations(tickets_frame, turns, make_docs(tickets_frame, turns))
