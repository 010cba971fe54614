"""The KPI catalog is the one list of KPIs: what computes them, what prints them and what judges their trend agree
with it, so a KPI added or renamed there reaches `qa kpi`, the reports and the review app alike."""

from __future__ import annotations

import polars as pl
import pytest

from qa_engine.kpi.catalog import BY_NAME, KPI_NAMES, KPIS, SECONDS_KPIS, SHARE_KPIS, higher_is_better
from qa_engine.kpi.definitions import compute_kpis, kpi_expressions
from qa_engine.kpi.display import format_value
from qa_engine.kpi.targets import TARGET_KPIS, KpiSettings, Target
from qa_engine.reports import kpi_section as report_kpis
from qa_engine.reports.team import AGENT_KPI_TITLES, AGENT_KPIS
from qa_engine.review.scoped_kpis import _better


def test_the_computed_kpis_are_the_catalog_in_its_order() -> None:
    assert tuple(kpi_expressions(None)) == KPI_NAMES == tuple(BY_NAME)
    assert KPI_NAMES[1:] == TARGET_KPIS


def test_every_kpi_has_a_label_title_definition_and_a_unit_its_printers_know() -> None:
    for kpi in KPIS:
        assert kpi.label and kpi.title and kpi.definition and "\n" not in kpi.definition, kpi.name
        assert kpi.unit in ("count", "seconds", "share", "csat", "balance", "money"), kpi.name
        assert (kpi.direction is None) == (kpi.name == "tickets"), kpi.name
    assert {"sla_attainment", "fcr", "escalation_rate", "language_coverage"} <= SHARE_KPIS
    assert {"first_response_median_s", "handle_time_median_s", "agent_time_median_s"} == SECONDS_KPIS


@pytest.mark.parametrize("name", KPI_NAMES)
def test_the_terminal_and_the_reports_print_a_kpi_in_its_unit(name: str) -> None:
    unit = BY_NAME[name].unit
    terminal = format_value(name, 0.5)
    assert terminal.endswith("%") == (unit == "share")
    assert terminal.endswith(" s") == (unit == "seconds")
    if name != "tickets":
        assert report_kpis.KINDS[name] == {"seconds": "duration", "share": "rate"}.get(unit, unit)
        assert report_kpis.TITLES[name] == BY_NAME[name].title


@pytest.mark.parametrize("name", KPI_NAMES[1:])
def test_reports_and_app_agree_on_which_way_is_better_without_a_target(name: str) -> None:
    better = BY_NAME[name].direction == "higher"
    assert higher_is_better(name) is better
    assert report_kpis.higher_is_better(name) is better
    assert _better(KpiSettings(), name) is better


def test_a_target_decides_which_way_is_better_over_the_catalog() -> None:
    settings = KpiSettings(
        targets={"escalation_rate": Target(kpi="escalation_rate", bound="at_least", value=0.1)}
    )
    assert _better(settings, "escalation_rate") is True and higher_is_better("escalation_rate") is False
    assert report_kpis.higher_is_better("escalation_rate", "≥ 10%") is True


def test_the_team_reports_agent_columns_are_the_kpis_with_a_short_head() -> None:
    assert AGENT_KPIS == (  # the figures a team lead compares agents by, in the catalog's order
        "first_response_median_s", "sla_attainment", "fcr", "csat_satisfied", "service_recovery", "escalation_rate",
        "emotional_balance_mean", "cost_per_contact",
    )  # fmt: skip
    assert AGENT_KPI_TITLES["sla_attainment"] == "SLA" and "handle_time_median_s" not in AGENT_KPI_TITLES


def test_compute_kpis_gives_every_catalog_kpi_as_a_column() -> None:
    facts = pl.DataFrame(
        schema={
            "team": pl.String, "first_response_s": pl.Float64, "sla_met": pl.Boolean, "fcr": pl.Boolean,
            "csat": pl.Float64, "handle_time_s": pl.Float64, "recovered": pl.Boolean, "escalation_risk": pl.Float64,
            "emotional_balance": pl.Float64, "agent_time_s": pl.Float64, "escalated": pl.Boolean,
            "language_covered": pl.Boolean,
        }
    )  # fmt: skip
    assert compute_kpis(facts, "team", None).columns == ["team", *KPI_NAMES]
