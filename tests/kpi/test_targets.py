"""The targets file: the default pack's, and every mistake failing with file, line and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_engine import paths
from qa_engine.errors import QAError
from qa_engine.kpi import KpiSettings, Target, load_settings, pack_settings
from qa_engine.kpi.targets import DEFAULT_SLA_SECONDS, TARGET_KPIS


def write(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "targets.yaml"
    file.write_text(text, encoding="utf-8")
    return file


def test_the_default_pack_sets_the_issue_targets_slas_and_cost() -> None:
    settings = load_settings()
    assert settings.source == str(paths.rules_dir() / "targets.yaml")
    assert settings.targets["sla_attainment"] == Target("sla_attainment", "at_least", 0.95)
    assert settings.targets["csat_satisfied"] == Target("csat_satisfied", "at_least", 0.85)
    assert settings.targets["fcr"] == Target("fcr", "at_least", 0.75)
    assert settings.targets["escalation_rate"] == Target("escalation_rate", "at_most", 0.05)
    assert dict(settings.sla_seconds) == {"chat": 120, "social": 3600, "email": 86400, "other": 86400}
    assert settings.agent_hour_cost is not None and settings.agent_hour_cost > 0


def test_the_default_pack_folder_still_loads_as_a_rule_pack() -> None:
    """targets.yaml has no `rules:` key, so the rule loader skips it like tiers.yaml."""
    from qa_engine.kpi.coaching_loop import pack_rule_ids

    assert "first_response_sla" in pack_rule_ids(paths.rules_dir())


def test_a_folder_without_targets_gives_the_contract_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings == KpiSettings()
    assert dict(settings.sla_seconds) == dict(DEFAULT_SLA_SECONDS)
    assert settings.agent_hour_cost is None and not settings.targets


def test_pack_settings_look_beside_a_single_pack_file(tmp_path: Path) -> None:
    write(tmp_path, "targets:\n  fcr: {at_least: 0.5}\n")
    (tmp_path / "pack.yaml").write_text("rules: []\n")
    assert pack_settings(tmp_path / "pack.yaml").targets["fcr"].value == 0.5


def test_active_caps_default_to_the_contract_and_a_pack_may_uncap_a_channel(tmp_path: Path) -> None:
    assert dict(load_settings().active_cap) == {
        "chat": 300,
        "social": 600,
        "email": 900,
        "other": 900,
        "phone": None,
    }
    settings = load_settings(write(tmp_path, "active_cap: {chat: 200, email: null}\n"))
    assert settings.active_cap["chat"] == 200 and settings.active_cap["email"] is None
    assert settings.active_cap["social"] == 600 and settings.active_cap["phone"] is None


def test_business_hours_per_market_with_documented_defaults(tmp_path: Path) -> None:
    assert load_settings().business_hours == {}  # the default pack keeps the contract's wall-clock SLAs
    text = "business_hours:\n  DE: {timezone: Europe/Berlin}\n  JP: {timezone: Asia/Tokyo, days: [mon, sat], hours: '10:00-17:30', holidays: false, channels: [email, chat]}\n"
    hours = load_settings(write(tmp_path, text)).business_hours
    de, jp = hours["DE"], hours["JP"]
    assert (de.days, str(de.open), str(de.close), de.holidays, de.channels) == (
        (0, 1, 2, 3, 4), "09:00:00", "18:00:00", "DE", ("email", "other"),
    )  # fmt: skip
    assert (jp.days, str(jp.open), str(jp.close), jp.holidays, jp.channels) == (
        (0, 5), "10:00:00", "17:30:00", None, ("email", "chat"),
    )  # fmt: skip


def test_a_channel_left_out_keeps_its_default_sla(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "sla_seconds: {chat: 300}\n"))
    assert settings.sla_seconds["chat"] == 300 and settings.sla_seconds["email"] == 86400


@pytest.mark.parametrize(
    ("bound", "value", "measured", "status"),
    [
        ("at_least", 0.95, 0.95, "met"),
        ("at_least", 0.95, 0.9499, "missed"),
        ("at_most", 0.05, 0.05, "met"),
        ("at_most", 0.05, 0.06, "missed"),
        ("at_least", 0.95, None, None),
    ],
)
def test_target_status(bound: str, value: float, measured: float | None, status: str | None) -> None:
    assert Target("fcr", bound, value).status(measured) == status


def test_an_unknown_kpi_names_file_line_and_the_known_names(tmp_path: Path) -> None:
    file = write(tmp_path, "# targets\ntargets:\n  fcr: {at_least: 0.75}\n  nps: {at_least: 30}\n")
    with pytest.raises(QAError) as caught:
        load_settings(file)
    message = str(caught.value)
    assert message.startswith("[Q801]") and f"{file}:4" in message and "'nps'" in message
    assert all(name in message for name in TARGET_KPIS)
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("targets:\n  fcr: 0.75\n", 2, "targets.fcr"),  # a bare number: which way is good?
        ("targets:\n  fcr: {at_least: 0.7, at_most: 0.9}\n", 2, "targets.fcr"),
        ("targets:\n  fcr: {above: 0.7}\n", 2, "targets.fcr"),
        ("targets:\n  fcr: {at_least: high}\n", 2, "targets.fcr.at_least"),
        ("targets:\n  sla_attainment: {at_least: 95}\n", 2, "targets.sla_attainment.at_least"),  # a share
        ("targets:\n  tickets: {at_least: 10}\n", 2, "targets.tickets"),
        ("sla_seconds:\n  chat: 120\n  phone: 60\n", 3, "sla_seconds.phone"),
        ("sla_seconds:\n  fax: 60\n", 2, "sla_seconds.fax"),
        ("sla_seconds:\n  chat: -1\n", 2, "sla_seconds.chat"),
        ("active_cap:\n  fax: 60\n", 2, "active_cap.fax"),
        ("active_cap:\n  chat: 0\n", 2, "active_cap.chat"),
        ("active_cap: 300\n", 1, "active_cap"),
        ("business_hours:\n  de: {timezone: Europe/Berlin}\n", 2, "business_hours.de"),
        ("business_hours:\n  DE: {hours: 09:00-18:00}\n", 2, "business_hours.DE"),
        ("business_hours:\n  DE:\n    timezone: Mars/Olympus\n", 3, "business_hours.DE.timezone"),
        (
            "business_hours:\n  DE:\n    timezone: Europe/Berlin\n    hours: '18:00-09:00'\n",
            4,
            "business_hours.DE.hours",
        ),
        (
            "business_hours:\n  DE:\n    timezone: Europe/Berlin\n    days: [monday]\n",
            4,
            "business_hours.DE.days",
        ),
        ("business_hours:\n  XX:\n    timezone: Europe/Berlin\n", 2, "business_hours.XX"),
        (
            "business_hours:\n  DE:\n    timezone: Europe/Berlin\n    lunch: 12-13\n",
            4,
            "business_hours.DE.lunch",
        ),
        (
            "business_hours:\n  DE:\n    timezone: Europe/Berlin\n    channels: [fax]\n",
            4,
            "business_hours.DE.channels",
        ),
        ("agent_hour_cost: lots\n", 1, "agent_hour_cost"),
        ("agent_hour_cost: -5\n", 1, "agent_hour_cost"),
        ("\n\ncurrency: 5\n", 3, "currency"),
        ("targets: {}\nbudget: 5\n", 2, "budget"),
        ("targets:\n  fcr: {at_least: 0.7}\n  fcr: {at_least: 0.8}\n", 3, "fcr"),
        ("rules:\n  - id: x\n", 1, "rules"),
        ("targets: [fcr]\n", 1, "targets"),
        ("targets:\n  fcr: {at_least: 0.7\n", 3, "(yaml)"),
    ],
)
def test_invalid_settings_name_file_line_and_field(tmp_path: Path, text: str, line: int, field: str) -> None:
    file = write(tmp_path, text)
    with pytest.raises(QAError) as caught:
        load_settings(file)
    message = str(caught.value)
    assert message.startswith(("[Q802]", "[Q801]")), message
    assert f"{file}:{line}" in message, message
    assert field in message, message


def test_a_missing_targets_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(QAError, match=r"\[Q803\].*nope\.yaml"):
        load_settings(tmp_path / "nope.yaml")


def test_an_empty_file_sets_nothing(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "# nothing yet\n"))
    assert not settings.targets and settings.agent_hour_cost is None
