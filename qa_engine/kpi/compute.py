"""`qa kpi` as a Python call: the service KPIs per group over a period, with each figure's status against its target.

Reports, the review app and the CLI all call `kpi_table`, so the numbers a coach sees in a report are the numbers
`qa kpi --json` prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from qa_engine.errors import QAError
from qa_engine.kpi.definitions import DEFAULT_GROUPING, GROUPINGS, KPI_NAMES, compute_kpis
from qa_engine.kpi.facts import load_facts
from qa_engine.kpi.targets import KpiSettings, Status, load_settings
from qa_engine.store import Store


@dataclass(frozen=True)
class KpiTable:
    """The KPIs of each group (`frame`: the group column, then KPI_NAMES), for tickets that start in the period."""

    by: str
    column: str  # the group's column: agent_id, team, channel, language or contact_reason
    start: date | None
    end: date | None
    frame: pl.DataFrame
    settings: KpiSettings
    undated: int  # stored tickets with no time stamp at all (placed on the day they were received)

    def rows(self) -> list[dict[str, Any]]:
        """One object per group, keyed by the group's column: the contract's JSON (CONTRACT.md section 5)."""
        return self.frame.to_dicts()

    def statuses(self) -> list[dict[str, Status | None]]:
        """Per row, KPI -> met / missed against its target (None: no target, or nothing to measure)."""
        return [{kpi: self.settings.status(kpi, row[kpi]) for kpi in KPI_NAMES} for row in self.rows()]


def check_period(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise QAError("Q808", start=start, end=end)


def kpi_table(
    db: str | Path | Store,
    by: str = DEFAULT_GROUPING,
    start: date | None = None,
    end: date | None = None,
    settings: KpiSettings | None = None,
) -> KpiTable:
    """KPIs per `by` group (agent, team, channel, language or reason) over the stored tickets that start between
    `start` and `end` (inclusive UTC dates; open when None). `settings` default to the default pack's targets."""
    if by not in GROUPINGS:
        raise QAError("Q804", by=by, known=", ".join(GROUPINGS))
    check_period(start, end)
    settings = settings if settings is not None else load_settings()
    store = db if isinstance(db, Store) else Store(db)
    facts, undated = load_facts(
        store,
        settings.sla_seconds,
        start,
        end,
        active_cap=settings.active_cap,
        business_hours=settings.business_hours,
    )
    frame = compute_kpis(facts, GROUPINGS[by], settings.agent_hour_cost)
    return KpiTable(by, GROUPINGS[by], start, end, frame, settings, undated)
