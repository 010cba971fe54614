"""How the KPI page writes its figures: the same words and units as `qa kpi` and the reports
(`qa_engine.kpi.display`), plus the week-over-week change (shares move in percentage points)."""

from __future__ import annotations

from typing import Any

from qa_engine.kpi.catalog import KPI_NAMES, LABELS, SECONDS_KPIS, SHARE_KPIS
from qa_engine.kpi.display import format_value, target_text
from qa_engine.kpi.targets import Target


def format_change(kpi: str, delta: float | None) -> str:
    """+5.0 pp for a share, +12 s for a duration, +0.25 for the rest; "–" when either week has nothing."""
    if delta is None:
        return "–"
    if kpi in SHARE_KPIS:
        return f"{delta * 100:+.1f} pp"
    if kpi in SECONDS_KPIS:
        sign = "+" if delta >= 0 else "−"
        return sign + format_value(kpi, abs(delta))
    if kpi == "tickets":
        return f"{delta:+.0f}"
    return f"{delta:+.2f}"


def format_target(kpi: str, target: dict[str, Any] | None) -> str:
    if not target:
        return ""
    return target_text(Target(kpi=kpi, bound=target["bound"], value=target["value"]))


def kpi_helpers() -> dict[str, Any]:
    """What kpi.html needs besides the figures."""
    return {
        "kpi_names": KPI_NAMES,
        "kpi_label": LABELS.get,
        "kpi_value": format_value,
        "kpi_change": format_change,
        "kpi_target": format_target,
    }
