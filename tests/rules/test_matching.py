"""Windows, speaker scope, units and exclusions, through the phrase kind."""

from collections.abc import Callable

import pytest

TURNS = [
    ("customer", "Hi"),
    ("bot", "MARK from the bot"),
    ("agent", "MARK one"),
    ("agent", "two"),
    ("agent", "three"),
]


@pytest.mark.parametrize(
    ("window", "speakers", "outcome", "turn"),
    [
        ("first_agent_turn", None, "pass", 2),
        ({"last_agent_turns": 2}, None, "fail", 3),  # MARK is in the third-to-last agent turn only
        ({"last_agent_turns": 3}, None, "pass", 2),
        ("agent_turns", None, "pass", 2),
        ("customer_turns", None, "fail", 0),
        ("any_turn", None, "pass", 1),
        ("first_agent_turn", ["bot"], "pass", 1),
        ("first_agent_turn", ["agent", "bot"], "pass", 1),
    ],
)
def test_windows(judge: Callable, window: object, speakers: list | None, outcome: str, turn: int) -> None:
    fields = {"kind": "phrase", "mode": "must_say", "window": window, "phrases": {"en": ["mark"]}}
    if speakers:
        fields["speakers"] = speakers
    row = judge(fields, {"id": "t", "turns": TURNS})["t"]
    assert (row["outcome"], row["evidence"]["turn_index"]) == (outcome, turn)


def test_empty_window_and_missing_customer_are_na(judge: Callable) -> None:
    fields = {"kind": "phrase", "mode": "must_say", "window": "first_agent_turn", "phrases": {"en": ["hi"]}}
    rows = judge(
        {**fields, "needs_customer": True},
        {"id": "no agent", "turns": [("customer", "hi")]},
        {"id": "no customer", "turns": [("agent", "hi")]},
    )
    assert rows["no agent"]["outcome"] == "na"
    assert (rows["no customer"]["outcome"], rows["no customer"]["detail"]) == (
        "na",
        "the customer never wrote",
    )


def test_groups_must_meet_in_one_unit(judge: Callable) -> None:
    fields = {
        "kind": "phrase", "mode": "must_say", "unit": "sentence",
        "groups": [{"name": "greeting", "phrases": {"en": ["hello"]}}, {"name": "name", "phrases": {"en": ["mia"]}}],
    }  # fmt: skip
    rows = judge(
        fields,
        {"id": "same sentence", "turns": [("agent", "Sure. Hello, Mia here.")]},
        {"id": "apart", "turns": [("agent", "Hello. Mia here.")]},
        {"id": "other turn", "turns": [("agent", "Hello."), ("agent", "Mia here.")]},
    )
    assert rows["same sentence"]["outcome"] == "pass"
    assert (
        rows["same sentence"]["evidence"]["text"] == "Hello, Mia"
    )  # from the first group's start to the last's end
    assert rows["apart"]["outcome"] == "fail" and "never all in one sentence" in rows["apart"]["detail"]
    assert rows["other turn"]["outcome"] == "fail"
    rows = judge({**fields, "unit": "turn"}, {"id": "apart", "turns": [("agent", "Hello. Mia here.")]})
    assert rows["apart"]["outcome"] == "pass"


def test_excluded_units_do_not_count(judge: Callable) -> None:
    fields = {
        "kind": "phrase", "mode": "must_not_say", "unit": "sentence", "phrases": {"en": ["your fault"]},
        "exclude": {"phrases": {"en": ["not your fault"]}},
    }  # fmt: skip
    rows = judge(
        fields,
        {"id": "negated", "turns": [("agent", "It's not your fault.")]},
        {"id": "both", "turns": [("agent", "It's not your fault. Well, it is your fault.")]},
    )
    assert rows["negated"]["outcome"] == "pass"
    assert rows["both"]["outcome"] == "fail" and rows["both"]["evidence"]["start"] > 20


def test_language_without_a_list_is_na(judge: Callable) -> None:
    fields = {"kind": "phrase", "mode": "must_say", "phrases": {"en": ["thanks"]}}
    row = judge(fields, {"id": "t", "language": "it", "turns": [("agent", "grazie")]})["t"]
    assert row["outcome"] == "na" and "language 'it'" in row["detail"]
