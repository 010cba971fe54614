"""A store from before `rule_results.suggestion` gains the column in place when opened for writing; its old rows
read null and new results carry their suggestion."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from qa_engine.schema import RULE_RESULTS
from qa_engine.store import Store

OLD_RULE_RESULTS = """
CREATE TABLE rule_results (
    ticket_id VARCHAR NOT NULL, rule_id VARCHAR NOT NULL, outcome VARCHAR, critical BOOLEAN, category VARCHAR,
    weight DOUBLE, evidence STRUCT(turn_index BIGINT, "start" BIGINT, "end" BIGINT, text VARCHAR, note VARCHAR),
    detail VARCHAR, PRIMARY KEY (ticket_id, rule_id)
)
"""


def test_an_older_store_gains_the_suggestion_column(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(OLD_RULE_RESULTS)
        con.execute(
            "INSERT INTO rule_results (ticket_id, rule_id, outcome) VALUES ('old', 'closing_thanks', 'fail')"
        )
    store = Store(path)
    store.init()
    row = {"ticket_id": "new", "rule_id": "closing_thanks", "outcome": "fail", "critical": False,
           "category": "closing", "weight": 5.0, "evidence": None, "detail": "no thanks",
           "suggestion": "After turn 3: Thank you for contacting us, have a lovely day!"}  # fmt: skip
    empty = pl.DataFrame(schema={"ticket_id": pl.String})
    store.write_results(empty, empty, pl.DataFrame([row], schema=RULE_RESULTS))
    got = dict(store.query("SELECT ticket_id, suggestion FROM rule_results ORDER BY 1").iter_rows())
    assert got == {"new": row["suggestion"], "old": None}
