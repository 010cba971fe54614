"""Service KPIs against targets, daily snapshots, and the coaching loop (CONTRACT.md sections 2 and 5).

What reports and the review app call:
- `kpi_table(db, by, start, end)` -> KpiTable: `.rows()` (the `qa kpi --json` objects), `.statuses()` (met/missed)
- `load_settings(path)` -> KpiSettings: targets, SLA per channel, cost of an agent hour, churn-risk threshold
- `read_snapshots(db, group_by)`, `crossed_targets(db, day)`: trends and what crossed its target
- `add_session(...)`, `list_sessions(db, agent_id)`, `coaching_effect(db, agent_id)`: the coaching loop
- `customer_balance(db, customer_id)`: a customer's running emotional balance and churn-risk flag

Names load on first use (polars and DuckDB stay out of `qa kpi --help`, which imports `qa_engine.cli.kpi`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa_engine.lazy import lazy_getattr

_EXPORTS: dict[str, str] = {
    "CoachingEffect": "coaching_loop", "CoachingSession": "coaching_loop", "add_session": "coaching_loop",
    "coaching_effect": "coaching_loop", "list_sessions": "coaching_loop",
    "KpiTable": "compute", "kpi_table": "compute",
    "CustomerBalance": "customers", "TicketBalance": "customers", "customer_balance": "customers",
    "GROUPINGS": "definitions", "KPI_NAMES": "definitions",
    "Crossing": "snapshots", "crossed_targets": "snapshots", "nightly_snapshot": "snapshots",
    "read_snapshots": "snapshots", "write_snapshot": "snapshots",
    "KpiSettings": "targets", "Target": "targets", "load_settings": "targets", "pack_settings": "targets",
}  # fmt: skip
__all__ = [
    "GROUPINGS",
    "KPI_NAMES",
    "CoachingEffect",
    "CoachingSession",
    "Crossing",
    "CustomerBalance",
    "KpiSettings",
    "KpiTable",
    "Target",
    "TicketBalance",
    "add_session",
    "coaching_effect",
    "crossed_targets",
    "customer_balance",
    "kpi_table",
    "list_sessions",
    "load_settings",
    "nightly_snapshot",
    "pack_settings",
    "read_snapshots",
    "write_snapshot",
]

if TYPE_CHECKING:
    from qa_engine.kpi.coaching_loop import (
        CoachingEffect,
        CoachingSession,
        add_session,
        coaching_effect,
        list_sessions,
    )
    from qa_engine.kpi.compute import KpiTable, kpi_table
    from qa_engine.kpi.customers import CustomerBalance, TicketBalance, customer_balance
    from qa_engine.kpi.definitions import GROUPINGS, KPI_NAMES
    from qa_engine.kpi.snapshots import (
        Crossing,
        crossed_targets,
        nightly_snapshot,
        read_snapshots,
        write_snapshot,
    )
    from qa_engine.kpi.targets import KpiSettings, Target, load_settings, pack_settings


__getattr__ = lazy_getattr(__name__, _EXPORTS)
