"""How a KPI reads to a person, in the terminal, a report or the review app: shares as percentages, seconds as
s/min/h, money with two decimals, a target as "≥ 95%". The JSON and the Python API keep the raw numbers."""

from __future__ import annotations

from typing import Any

from qa_engine.kpi.catalog import LABELS, SECONDS_KPIS, SHARE_KPIS
from qa_engine.kpi.targets import Target

__all__ = ["LABELS", "MISSING", "SECONDS_KPIS", "format_share", "format_value", "target_text"]

MISSING = "–"  # nothing to measure


def format_share(value: float | None) -> str:
    if value is None:
        return MISSING
    return f"{value:.0%}" if round(value * 100, 1).is_integer() else f"{value:.1%}"


def format_value(kpi: str, value: Any, currency: str | None = None) -> str:
    """A KPI as a person reads it: shares as percentages, seconds as s/min/h, money with two decimals."""
    if value is None:
        return MISSING
    if kpi == "tickets":
        return str(value)
    if kpi in SHARE_KPIS:
        return format_share(value)
    if kpi in SECONDS_KPIS:
        if abs(value) < 120:
            return f"{value:.0f} s"
        return f"{value / 60:.1f} min" if abs(value) < 7200 else f"{value / 3600:.1f} h"
    if kpi == "cost_per_contact":
        return f"{value:.2f}" + (f" {currency}" if currency else "")
    return f"{value:.2f}"


def target_text(target: Target) -> str:
    """e.g. "≥ 95%" for sla_attainment at least 0.95."""
    return f"{'≥' if target.bound == 'at_least' else '≤'} {format_value(target.kpi, target.value)}"
