"""The key-issue columns in the store: a store created before them gains them on open and keeps its rows."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import polars as pl

from qa_engine.reasons import REASON_COLUMNS
from qa_engine.store import Store


def test_an_existing_store_gains_the_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    store = Store(tmp_path / "qa.duckdb")
    ddl = resources.files("qa_engine.store").joinpath("schema.sql").read_text(encoding="utf-8")
    before = "\n".join(line for line in ddl.splitlines() if "ADD COLUMN IF NOT EXISTS" not in line)
    with store.connect() as con:  # a store from before key issues existed, with one scored ticket
        con.execute(before)
        con.execute("INSERT INTO tickets (ticket_id, tier, qa_score) VALUES ('OLD-1', 'green', 100)")
    assert not set(REASON_COLUMNS) & set(store.query("SELECT * FROM tickets").columns)

    store.init()  # what every run does first
    rows = store.query("SELECT * FROM tickets")
    assert set(REASON_COLUMNS) <= set(rows.columns)
    assert rows.select("ticket_id", "tier", "contact_reason", "escalation_risk").rows() == [
        ("OLD-1", "green", None, None)
    ]

    new = pl.DataFrame(
        {"ticket_id": ["NEW-1"], "contact_reason": ["logistics"], "contact_reason_score": [0.91],
         "contact_reasons_other": [["payment"]], "escalation_risk": [0.8], "escalation_signals": [["chargeback"]],
         "order_refs": [["11277305612048813"]], "customer_resolved": [False]},
    )  # fmt: skip
    store.write_results(new, pl.DataFrame(), pl.DataFrame())
    got = store.query("SELECT * FROM tickets WHERE ticket_id = 'NEW-1'").row(0, named=True)
    assert (got["contact_reasons_other"], got["escalation_signals"]) == (["payment"], ["chargeback"])
