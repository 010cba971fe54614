"""KPI targets and settings, as data in the rule pack (`targets.yaml`): what good looks like for each KPI, the SLA
per channel, what an agent hour costs, and where a customer's balance becomes a churn risk.

A mistake fails at load with the file and line: an unknown KPI name lists the known ones (Q801), anything else
names the field (Q802). Without a targets file the contract's default SLAs apply, with no targets and no cost.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfoNotFoundError

import yaml

from qa_engine.calendars import DEFAULT_CHANNELS, WEEKDAYS, MarketHours, holiday_dates
from qa_engine.errors import QAError
from qa_engine.kpi.definitions import KPI_NAMES, SHARE_KPIS
from qa_engine.pack.files import TARGETS_FILE, pack_file, pack_path
from qa_engine.pack.yamlfile import YamlDocument, read_yaml
from qa_engine.pack.yamlfile import key_line as _line

TARGET_KPIS: tuple[str, ...] = tuple(name for name in KPI_NAMES if name != "tickets")
DEFAULT_SLA_SECONDS: Mapping[str, float] = MappingProxyType(
    {"chat": 120.0, "social": 3600.0, "email": 86400.0, "other": 86400.0}
)
SLA_CHANNELS: tuple[str, ...] = ("chat", "email", "social", "other")  # phone has no SLA (CONTRACT section 5)
# The most seconds one agent turn counts as agent time (the reading and typing before it); phone: None, uncapped.
DEFAULT_ACTIVE_CAP: Mapping[str, float | None] = MappingProxyType(
    {"chat": 300.0, "social": 600.0, "email": 900.0, "other": 900.0, "phone": None}
)
DEFAULT_CHURN_RISK_BELOW = -6.0
SETTINGS_KEYS: tuple[str, ...] = (
    "targets", "sla_seconds", "active_cap", "business_hours", "agent_hour_cost", "currency", "churn_risk_below",
)  # fmt: skip
HOURS_KEYS: tuple[str, ...] = ("timezone", "days", "hours", "holidays", "subdivision", "channels")
BOUNDS: tuple[str, ...] = ("at_least", "at_most")

Status = Literal["met", "missed"]


@dataclass(frozen=True)
class Target:
    """One KPI's bound: `at_least` (higher is better) or `at_most` (lower is better), inclusive."""

    kpi: str
    bound: Literal["at_least", "at_most"]
    value: float

    def status(self, measured: float | None) -> Status | None:
        """met / missed, or None when there is nothing to measure."""
        if measured is None or (isinstance(measured, float) and math.isnan(measured)):
            return None
        ok = measured >= self.value if self.bound == "at_least" else measured <= self.value
        return "met" if ok else "missed"

    def describe(self) -> str:
        return f"{'≥' if self.bound == 'at_least' else '≤'} {self.value:g}"


@dataclass(frozen=True)
class KpiSettings:
    """Targets per KPI and the settings the KPI definitions need."""

    targets: Mapping[str, Target] = field(default_factory=dict)
    sla_seconds: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SLA_SECONDS))
    active_cap: Mapping[str, float | None] = field(default_factory=lambda: dict(DEFAULT_ACTIVE_CAP))
    # market (metadata.market) -> its support desk's hours: SLAs count only open seconds there (qa_engine.calendars)
    business_hours: Mapping[str, MarketHours] = field(default_factory=dict)
    agent_hour_cost: float | None = None
    currency: str | None = None
    churn_risk_below: float = DEFAULT_CHURN_RISK_BELOW
    source: str | None = None  # the file they came from, None for the built-in defaults

    def status(self, kpi: str, measured: float | None) -> Status | None:
        """met / missed against the KPI's target; None without a target or a measurement."""
        target = self.targets.get(kpi)
        return target.status(measured) if target else None


def targets_file(path: str | Path | None = None) -> Path | None:
    """The targets file for `path` (a YAML file, or a pack folder holding targets.yaml); without a path, the default
    pack's. None when a folder has no targets file (defaults apply)."""
    base = pack_path(path)
    if base.is_dir():
        return pack_file(base, TARGETS_FILE, fallback=False)
    if not base.exists():
        raise QAError("Q803", path=base)
    return base


def load_settings(path: str | Path | None = None) -> KpiSettings:
    """Read and validate the targets file for `path` (see `targets_file`); the built-in defaults when there is none."""
    file = targets_file(path)
    return KpiSettings() if file is None else settings_from(read_yaml(file, "Q802", field="(yaml)"))


def settings_from(document: YamlDocument) -> KpiSettings:
    """The settings a parsed targets file gives; Q801 / Q802 naming file, line and field when one is wrong."""
    data, node, name = document.data, document.node, str(document.file)
    if data is None:
        return KpiSettings(source=name)
    if not isinstance(data, dict):
        raise QAError("Q802", file=name, line=1, field="(file)", detail="expected a mapping of settings")
    if "rules" in data:
        raise QAError("Q802", file=name, line=_line(node, "rules"), field="rules",
                      detail="a targets file holds no rules; keep them in the pack's rule files")  # fmt: skip
    for key in data:
        if key not in SETTINGS_KEYS:
            raise QAError("Q802", file=name, line=_line(node, key), field=key,
                          detail=f"unknown setting; known: {', '.join(SETTINGS_KEYS)}")  # fmt: skip
    return KpiSettings(
        targets=_targets(name, node, data.get("targets")),
        sla_seconds=_sla_seconds(name, node, data.get("sla_seconds", dict(DEFAULT_SLA_SECONDS))),
        active_cap=_active_cap(name, node, data.get("active_cap", {})),
        business_hours=_business_hours(name, node, data.get("business_hours", {})),
        agent_hour_cost=_number(name, node, data, "agent_hour_cost", minimum=0.0, optional=True),
        currency=_text(name, node, data, "currency"),
        churn_risk_below=_number(name, node, data, "churn_risk_below", default=DEFAULT_CHURN_RISK_BELOW),
        source=name,
    )


def pack_settings(pack: str | Path | None = None) -> KpiSettings:
    """The settings of a rule pack: targets.yaml in its folder, or beside a single pack file (the default pack's
    without a pack); built-in defaults when the pack has none."""
    file = pack_file(pack, TARGETS_FILE, fallback=False)
    return load_settings(file) if file is not None else KpiSettings()


def _targets(file: str, node: yaml.Node, raw: Any) -> dict[str, Target]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise QAError("Q802", file=file, line=_line(node, "targets"), field="targets",
                      detail="expected a mapping of KPI name -> {at_least: N} or {at_most: N}")  # fmt: skip
    targets = {}
    for kpi, spec in raw.items():
        line = _line(node, "targets", kpi)
        if kpi == "tickets":
            raise QAError("Q802", file=file, line=line, field="targets.tickets",
                          detail="a ticket count has no target; known: " + ", ".join(TARGET_KPIS))  # fmt: skip
        if kpi not in TARGET_KPIS:
            raise QAError("Q801", kpi=kpi, file=file, line=line, known=", ".join(TARGET_KPIS))
        where = f"targets.{kpi}"
        if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in BOUNDS:
            raise QAError("Q802", file=file, line=line, field=where,
                          detail="give exactly one bound: {at_least: N} or {at_most: N}")  # fmt: skip
        bound, value = next(iter(spec.items()))
        if not _is_number(value):
            raise QAError(
                "Q802", file=file, line=line, field=f"{where}.{bound}", detail=f"{value!r} is not a number"
            )
        if kpi in SHARE_KPIS and not 0 <= value <= 1:
            raise QAError("Q802", file=file, line=line, field=f"{where}.{bound}",
                          detail=f"{value} is outside 0..1 ({kpi} is a share)")  # fmt: skip
        targets[kpi] = Target(kpi=kpi, bound=bound, value=float(value))
    return targets


def _sla_seconds(file: str, node: yaml.Node, raw: Any) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise QAError("Q802", file=file, line=_line(node, "sla_seconds"), field="sla_seconds",
                      detail="expected a mapping of channel -> seconds")  # fmt: skip
    sla = dict(DEFAULT_SLA_SECONDS)  # a channel left out keeps the contract's default
    for channel, seconds in raw.items():
        line, where = _line(node, "sla_seconds", channel), f"sla_seconds.{channel}"
        if channel not in SLA_CHANNELS:
            detail = (
                "phone has no SLA (phone tickets never count towards sla_attainment)"
                if channel == "phone"
                else f"unknown channel; known: {', '.join(SLA_CHANNELS)}"
            )
            raise QAError("Q802", file=file, line=line, field=where, detail=detail)
        if not _is_number(seconds) or seconds <= 0:
            raise QAError(
                "Q802", file=file, line=line, field=where, detail=f"{seconds!r} is not a positive number"
            )
        sla[channel] = float(seconds)
    return sla


def _active_cap(file: str, node: yaml.Node, raw: Any) -> dict[str, float | None]:
    if not isinstance(raw, dict):
        raise QAError("Q802", file=file, line=_line(node, "active_cap"), field="active_cap",
                      detail="expected a mapping of channel -> seconds (null: uncapped)")  # fmt: skip
    caps = dict(DEFAULT_ACTIVE_CAP)  # a channel left out keeps the contract's default
    for channel, seconds in raw.items():
        line, where = _line(node, "active_cap", channel), f"active_cap.{channel}"
        if channel not in DEFAULT_ACTIVE_CAP:
            raise QAError("Q802", file=file, line=line, field=where,
                          detail=f"unknown channel; known: {', '.join(DEFAULT_ACTIVE_CAP)}")  # fmt: skip
        if seconds is not None and (not _is_number(seconds) or seconds <= 0):
            raise QAError("Q802", file=file, line=line, field=where,
                          detail=f"{seconds!r} is not a positive number (or null: uncapped)")  # fmt: skip
        caps[channel] = None if seconds is None else float(seconds)
    return caps


def _business_hours(file: str, node: yaml.Node, raw: Any) -> dict[str, MarketHours]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise QAError("Q802", file=file, line=_line(node, "business_hours"), field="business_hours",
                      detail="expected a mapping of market (DE, JP...) -> {timezone, days, hours, holidays}")  # fmt: skip
    found = {}
    for market, spec in raw.items():

        def bad(detail: str, key: str | None = None, market: Any = market) -> QAError:
            where = ("business_hours", market, key) if key else ("business_hours", market)
            return QAError("Q802", file=file, line=_line(node, *where), field=".".join(map(str, where)),
                           detail=detail)  # fmt: skip

        if not (isinstance(market, str) and len(market) == 2 and market.isalpha() and market.isupper()):
            raise bad("a market is an upper-case ISO 3166 country code (DE, JP, US...)")
        if not isinstance(spec, dict) or "timezone" not in spec:
            raise bad(
                "expected {timezone: Europe/Berlin, days: [mon, ...], hours: '09:00-18:00', holidays: true}"
            )
        for key in spec:
            if key not in HOURS_KEYS:
                raise bad(f"unknown key; known: {', '.join(HOURS_KEYS)}", key)
        days = spec.get("days", list(WEEKDAYS[:5]))
        if not isinstance(days, list) or not days or any(d not in WEEKDAYS for d in days):
            raise bad(f"expected a list of days out of {', '.join(WEEKDAYS)}", "days")
        hours = spec.get("hours", "09:00-18:00")
        try:
            opens, closes = (time.fromisoformat(part.strip()) for part in str(hours).split("-"))
        except ValueError:
            raise bad(f"{hours!r} is not HH:MM-HH:MM", "hours") from None
        if closes <= opens:
            raise bad(f"{hours!r} closes before it opens", "hours")
        country = spec.get("holidays", True)
        if not isinstance(country, bool | str):
            raise bad("true (the market's own country), false, or a country code", "holidays")
        country = market if country is True else (country or None)
        subdivision = spec.get("subdivision")
        channels = spec.get("channels", list(DEFAULT_CHANNELS))
        if not isinstance(channels, list) or any(c not in (*SLA_CHANNELS, "phone") for c in channels):
            raise bad(f"expected a list of channels out of {', '.join(SLA_CHANNELS)}", "channels")
        try:
            found[market] = MarketHours(
                timezone=str(spec["timezone"]), days=tuple(WEEKDAYS.index(d) for d in days), open=opens,
                close=closes, holidays=country, subdivision=None if subdivision is None else str(subdivision),
                channels=tuple(channels),
            )  # fmt: skip
        except (ZoneInfoNotFoundError, ValueError):
            raise bad(f"{spec['timezone']!r} is not an IANA time zone", "timezone") from None
        if country is not None:
            try:
                holiday_dates(country, found[market].subdivision, 2026)
            except NotImplementedError:
                raise bad(f"the holidays library has no calendar for {country!r}", "holidays") from None
    return found


def _number(
    file: str, node: yaml.Node, data: dict, key: str, *, minimum: float | None = None, optional: bool = False,
    default: float | None = None,
) -> float | None:  # fmt: skip
    value = data.get(key)
    if value is None:
        return None if optional else default
    if not _is_number(value) or (minimum is not None and value < minimum):
        detail = f"{value!r} is not a number" + (f" of at least {minimum:g}" if minimum is not None else "")
        raise QAError("Q802", file=file, line=_line(node, key), field=key, detail=detail)
    return float(value)


def _text(file: str, node: yaml.Node, data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise QAError("Q802", file=file, line=_line(node, key), field=key, detail=f"{value!r} is not text")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
