"""KPIs as people read them: the same text in the terminal, reports and the review app."""

from __future__ import annotations

import pytest

from qa_engine.kpi import Target
from qa_engine.kpi.display import format_value, target_text


@pytest.mark.parametrize(
    ("kpi", "value", "text"),
    [
        ("sla_attainment", 0.95, "95%"),
        ("sla_attainment", 2 / 3, "66.7%"),
        ("fcr", None, "–"),
        ("first_response_median_s", 75.0, "75 s"),
        ("first_response_median_s", 1590.0, "26.5 min"),
        ("handle_time_median_s", 86400.0, "24.0 h"),
        ("tickets", 12, "12"),
        ("csat_mean", 4.25, "4.25"),
    ],
)
def test_format_value(kpi: str, value: float | None, text: str) -> None:
    assert format_value(kpi, value) == text


def test_cost_carries_the_currency() -> None:
    assert format_value("cost_per_contact", 1.5, "EUR") == "1.50 EUR"


def test_target_text() -> None:
    assert target_text(Target("sla_attainment", "at_least", 0.95)) == "≥ 95%"
    assert target_text(Target("first_response_median_s", "at_most", 120)) == "≤ 2.0 min"
