from collections.abc import Callable
from datetime import UTC, datetime

import pytest

FIRST = {"kind": "response_time", "mode": "first_response"}
EACH = {"kind": "response_time", "mode": "each_reply"}


def convo(*turns: tuple[str, float | None]) -> list[tuple]:
    return [(speaker, f"{speaker} says", {"ts": ts}) for speaker, ts in turns]


@pytest.mark.parametrize(
    ("channel", "delay", "outcome"),
    [
        ("chat", 119, "pass"),
        ("chat", 120, "pass"),  # exactly at the SLA passes
        ("chat", 121, "fail"),
        ("chat", 120.5, "fail"),
        ("social", 3600, "pass"),
        ("social", 3601, "fail"),
        ("email", 86400, "pass"),
        ("email", 86401, "fail"),
        ("other", 86401, "fail"),
        ("phone", 99999, "na"),
    ],
)
def test_first_response_against_default_slas(
    judge: Callable, channel: str, delay: float, outcome: str
) -> None:
    row = judge(FIRST, {"id": "t", "channel": channel, "turns": convo(("customer", 0), ("agent", delay))})[
        "t"
    ]
    assert row["outcome"] == outcome
    if outcome != "na":
        assert row["evidence"]["turn_index"] == 1
        assert f"{delay:g} s" in row["evidence"]["note"]


def test_first_response_starts_at_the_first_customer_turn_and_skips_bots(judge: Callable) -> None:
    turns = convo(("agent", 0), ("customer", 1000), ("bot", 1001), ("customer", 1050), ("agent", 1100))
    row = judge(FIRST, {"id": "t", "turns": turns})["t"]
    assert (row["outcome"], row["evidence"]["turn_index"]) == ("pass", 4)
    assert "100 s after customer turn 1" in row["evidence"]["note"]


@pytest.mark.parametrize(
    ("turns", "outcome", "why"),
    [
        (convo(("customer", None), ("agent", 10)), "na", "no usable timestamp"),
        (convo(("customer", 0), ("agent", None)), "na", "no usable timestamp"),
        (convo(("customer", 100), ("agent", 10)), "na", "no usable timestamp"),  # clocks disagree
        (convo(("agent", 0)), "na", "no customer turn waiting"),
        (convo(("customer", 0)), "fail", "customer turn 0 was never answered"),
        (convo(("customer", None)), "fail", "customer turn 0 was never answered"),  # no clock needed for that
    ],
)
def test_first_response_edge_cases(judge: Callable, turns: list, outcome: str, why: str) -> None:
    row = judge(FIRST, {"id": "t", "turns": turns})["t"]
    assert row["outcome"] == outcome and why in row["detail"]


def test_each_reply(judge: Callable) -> None:
    rows = judge(
        EACH,
        {"id": "ok", "turns": convo(("customer", 0), ("agent", 60), ("customer", 100), ("agent", 220))},
        {"id": "late", "turns": convo(("customer", 0), ("agent", 60), ("customer", 100), ("agent", 700))},
        # the run of two customer turns is measured from its first turn
        {"id": "burst", "turns": convo(("customer", 0), ("customer", 100), ("agent", 150))},
        # one late reply is a fail even when another pair lacks a timestamp
        {"id": "late+missing", "turns": convo(("customer", 0), ("agent", 500), ("customer", None), ("agent", 600))},
        {"id": "missing", "turns": convo(("customer", 0), ("agent", 50), ("customer", None), ("agent", 600))},
    )  # fmt: skip
    assert rows["ok"]["outcome"] == "pass"
    assert (rows["late"]["outcome"], rows["late"]["evidence"]["turn_index"]) == ("fail", 3)
    assert "600 s" in rows["late"]["detail"]
    assert rows["burst"]["outcome"] == "fail"
    assert rows["late+missing"]["outcome"] == "fail"
    assert rows["missing"]["outcome"] == "na"


CLOSINGS = {"phrases": {"en": ["thanks", "ok"], "zh": ["谢谢"]}}


@pytest.mark.parametrize(
    ("language", "last", "outcome"),
    [
        ("en", "Great, thanks!", "pass"),  # a short closing needs no answer
        ("en", "Thanks, but when does it arrive?", "fail"),  # it asks something
        (
            "en",
            "ok but this is the third time I write and nobody tells me anything useful at all",
            "fail",
        ),  # long
        ("en", "Still nothing. Worst service ever.", "fail"),  # not a closing
        ("zh", "好的，谢谢！", "pass"),
        ("zh", "还是没人理，真的恶心。", "fail"),
    ],
)
def test_unanswered_last_turns(judge: Callable, language: str, last: str, outcome: str) -> None:
    turns = [("customer", "Hi?", {"ts": 0}), ("agent", "Hello!", {"ts": 30}), ("customer", last, {"ts": 60})]
    row = judge({**EACH, "no_reply_needed": CLOSINGS}, {"id": "t", "language": language, "turns": turns})["t"]
    assert row["outcome"] == outcome
    if outcome == "fail":
        assert row["evidence"]["turn_index"] == 2 and row["evidence"]["text"] == last
        assert "never answered" in row["detail"]


def test_unanswered_can_be_ignored(judge: Callable) -> None:
    turns = convo(("customer", 0), ("agent", 30), ("customer", 60))
    assert judge({**EACH, "unanswered": "ignore"}, {"id": "t", "turns": turns})["t"]["outcome"] == "pass"
    assert (
        judge({**FIRST, "unanswered": "ignore"}, {"id": "t", "turns": convo(("customer", 0))})["t"]["outcome"]
        == "na"
    )


def test_sla_override_merges_over_defaults(judge: Callable) -> None:
    fields = {**FIRST, "sla_seconds": {"chat": 30, "phone": 60, "email": None}}
    rows = judge(
        fields,
        {"id": "chat", "turns": convo(("customer", 0), ("agent", 60))},
        {"id": "phone", "channel": "phone", "turns": convo(("customer", 0), ("agent", 60))},
        {"id": "email", "channel": "email", "turns": convo(("customer", 0), ("agent", 60))},
        {"id": "social", "channel": "social", "turns": convo(("customer", 0), ("agent", 60))},
    )
    assert {k: v["outcome"] for k, v in rows.items()} == {
        "chat": "fail",
        "phone": "pass",
        "email": "na",
        "social": "pass",
    }


def test_slas_come_from_the_packs_targets_file_and_a_rule_may_override_them(
    tmp_path, judge: Callable
) -> None:
    """The SLA seconds are written once, in targets.yaml beside the rules: `qa kpi` and the rules read the same."""
    (tmp_path / "targets.yaml").write_text("sla_seconds: {chat: 300, email: 3600}\n", encoding="utf-8")
    tickets = [
        {"id": "chat", "turns": convo(("customer", 0), ("agent", 200))},
        {"id": "email", "channel": "email", "turns": convo(("customer", 0), ("agent", 4000))},
        {"id": "social", "channel": "social", "turns": convo(("customer", 0), ("agent", 3000))},
    ]
    rows = judge(FIRST, *tickets)
    assert {k: v["outcome"] for k, v in rows.items()} == {"chat": "pass", "email": "fail", "social": "pass"}
    assert "3600 s SLA" in rows["email"]["detail"]
    rows = judge({**FIRST, "sla_seconds": {"chat": 100}}, *tickets)
    assert {k: v["outcome"] for k, v in rows.items()} == {"chat": "fail", "email": "fail", "social": "pass"}


def test_the_default_pack_judges_against_the_slas_of_its_targets_file() -> None:
    from qa_engine import paths
    from qa_engine.kpi import load_settings
    from qa_engine.rules import load_pack

    pack = load_pack(paths.rules_dir())
    rule = pack.get("first_response_sla")
    assert "sla_seconds" not in rule.kind.params.model_fields_set  # not written twice
    assert rule.kind.slas() == dict(load_settings().sla_seconds)


def test_an_email_sla_pauses_outside_the_markets_business_hours(
    tmp_path, frames, make_pack, rule_dict
) -> None:
    """targets.yaml gives DE business hours: an e-mail sent Friday 19:30 Berlin and answered Monday 08:30 waited
    one business hour; the same wait in a market without hours, or on chat, is 61 wall-clock hours."""
    import polars as pl

    from qa_engine.rules import evaluate

    (tmp_path / "targets.yaml").write_text(
        'sla_seconds: {email: 7200, chat: 120}\nbusiness_hours:\n  DE: {timezone: Europe/Berlin, hours: "08:00-20:00"}\n',
        encoding="utf-8",
    )
    pack = make_pack(rule_dict(**FIRST))
    friday, monday = datetime(2026, 12, 4, 18, 30, tzinfo=UTC), datetime(2026, 12, 7, 7, 30, tzinfo=UTC)
    turns = [
        ("customer", "Wo ist mein Paket?", {"ts": friday}),
        ("agent", "Es kommt morgen.", {"ts": monday}),
    ]
    specs = [{"id": "de-email", "channel": "email", "turns": turns}, {"id": "fr-email", "channel": "email", "turns": turns},
             {"id": "de-chat", "turns": turns}, {"id": "none", "channel": "email", "turns": turns}]  # fmt: skip
    tickets, turn_frame = frames(*specs)
    tickets = tickets.with_columns(
        metadata=pl.Series(
            ['{"market": "DE"}', '{"market": "FR"}', '{"market": "DE"}', None], dtype=pl.String
        )
    )
    rows = {r["ticket_id"]: r for r in evaluate(pack, tickets, turn_frame).iter_rows(named=True)}
    assert {k: v["outcome"] for k, v in rows.items()} == {
        "de-email": "pass", "fr-email": "fail", "de-chat": "fail", "none": "fail",
    }  # fmt: skip
    assert "3600 s in DE business hours" in rows["de-email"]["evidence"]["note"]
