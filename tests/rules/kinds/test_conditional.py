from collections.abc import Callable

import pytest

EMPATHY = {
    "kind": "conditional",
    "trigger": {"phrases": {"en": ["unacceptable"], "zh": ["太过分"]}},
    "require": {"phrases": {"en": ["sorry", "i understand"], "zh": ["抱歉"]}},
}


@pytest.mark.parametrize(
    ("customer", "outcome"),
    [
        ({"emotion": "anger", "emotion_score": 0.9}, "fail"),
        ({"emotion": "sadness", "emotion_score": 0.5}, "fail"),  # at the threshold
        ({"emotion": "sadness", "emotion_score": 0.49}, "na"),
        ({"emotion": "joy", "emotion_score": 0.99}, "na"),  # not a listed emotion
        ({"sentiment_score": -0.5}, "fail"),
        ({"sentiment_score": -0.4}, "na"),
        ({}, "na"),
    ],
)
def test_affect_triggers(judge: Callable, customer: dict, outcome: str) -> None:
    ticket = {"id": "t", "turns": [("customer", "My parcel is late.", customer), ("agent", "Order number?")]}
    assert judge(EMPATHY, ticket)["t"]["outcome"] == outcome


def test_evidence_points_at_the_agent_turn_and_names_the_trigger(judge: Callable) -> None:
    rows = judge(
        EMPATHY,
        {"id": "pass", "turns": [("customer", "This is unacceptable!"), ("agent", "I'm so sorry.")]},
        {
            "id": "fail",
            "turns": [("customer", "Late again.", {"emotion": "anger"}), ("agent", "Order number?")],
        },
        {"id": "zh", "language": "zh", "turns": [("customer", "太过分了！"), ("agent", "非常抱歉。")]},
    )
    passed = rows["pass"]["evidence"]
    assert (passed["turn_index"], passed["text"]) == (1, "sorry")
    assert "turn 0 [8, 20) 'unacceptable'" in passed["note"]
    failed = rows["fail"]["evidence"]
    assert (failed["turn_index"], failed["start"], failed["end"]) == (1, 0, len("Order number?"))
    assert "turn 0 (anger 0.90)" in failed["note"]
    assert rows["zh"]["outcome"] == "pass"


def test_next_agent_turn_only_and_every_trigger(judge: Callable) -> None:
    rows = judge(
        EMPATHY,
        # empathy came, but not in the next agent turn
        {"id": "late", "turns": [("customer", "Unacceptable!"), ("agent", "Order number?"), ("agent", "Sorry!")]},
        # two upset turns answered by one agent turn count once
        {"id": "burst", "turns": [("customer", "Unacceptable!"), ("customer", "Unacceptable!!"), ("agent", "Sorry.")]},
        # the second upset turn is not acknowledged
        {"id": "second", "turns": [("customer", "Unacceptable!"), ("agent", "Sorry."),
                                   ("customer", "Still unacceptable."), ("agent", "Order number?")]},
        {"id": "unanswered", "turns": [("agent", "Delivered."), ("customer", "Unacceptable!")]},
    )  # fmt: skip
    assert rows["late"]["outcome"] == "fail"
    assert rows["burst"]["outcome"] == "pass" and "1 checked" in rows["burst"]["detail"]
    assert rows["second"]["outcome"] == "fail" and rows["second"]["evidence"]["turn_index"] == 3
    assert rows["unanswered"]["outcome"] == "na"
    first_only = judge(
        {**EMPATHY, "triggers": "first"},
        {
            "id": "second",
            "turns": [
                ("customer", "Unacceptable!"),
                ("agent", "Sorry."),
                ("customer", "Still unacceptable."),
                ("agent", "Ok."),
            ],
        },
    )
    assert first_only["second"]["outcome"] == "pass"


def test_language_without_requirement_list_is_na(judge: Callable) -> None:
    ticket = {
        "id": "t",
        "language": "it",
        "turns": [("customer", "Vergogna!", {"emotion": "anger"}), ("agent", "Ok")],
    }
    assert judge(EMPATHY, ticket)["t"]["outcome"] == "na"
