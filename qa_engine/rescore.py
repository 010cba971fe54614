"""Re-score stored tickets (after a rule pack or model change) from the transcripts the store already holds.

The store keeps every scored ticket's input fields and turns, so no source file is needed. Human reviews live in
their own tables and are never touched by a re-score.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl

from qa_engine import schema
from qa_engine.pipeline import ScoreConfig
from qa_engine.runner import Runner, RunSummary
from qa_engine.store import Store


def stored_batches(store: Store, since: date, batch_tickets: int):
    """(tickets, turns) frames in the canonical input shape, `batch_tickets` tickets at a time."""
    ids = store.query(
        "SELECT ticket_id FROM tickets WHERE started_at >= ? OR started_at IS NULL ORDER BY ticket_id",
        [since],
    )["ticket_id"].to_list()
    ticket_cols = ", ".join(schema.TICKETS_IN)
    turn_cols = ", ".join(schema.TURNS_IN)
    for start in range(0, len(ids), batch_tickets):
        chunk = ids[start : start + batch_tickets]
        with store.connect(read_only=True) as con:
            con.register("wanted", pl.DataFrame({"ticket_id": chunk}).to_arrow())
            tickets = con.sql(
                f"SELECT {ticket_cols} FROM tickets JOIN wanted USING (ticket_id) ORDER BY ticket_id"
            ).pl()
            turns = con.sql(
                f"SELECT {turn_cols} FROM turns JOIN wanted USING (ticket_id) ORDER BY ticket_id, turn_index"
            ).pl()
        yield tickets.cast(schema.TICKETS_IN), turns.cast(schema.TURNS_IN)


def rescore_since(since: date, config: ScoreConfig) -> RunSummary:
    """Re-score every stored ticket that started on or after `since` with the current rule pack and models."""
    from qa_engine.sources import SourceBatch

    config = replace(config, force=True)
    with Runner([f"rescore --since {since}"], config) as run:
        batches = stored_batches(run.store, since, config.batch_tickets)
        run.run(SourceBatch(tickets=tickets, turns=turns, quarantine=[]) for tickets, turns in batches)
    return run.summary
