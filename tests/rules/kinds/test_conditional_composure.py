"""`conditional` with `forbid` and `reply_affect`: after a hostile turn, the reply must not say the forbidden words
nor read hostile itself (the composure rule's two checks), and a rule must give the reply something to meet."""

from collections.abc import Callable

import pytest

from qa_engine.errors import QAError

ANGRY = {"emotion": "anger", "emotion_score": 0.9}
COMPOSURE = {
    "kind": "conditional",
    "trigger": {"emotions": ["anger"], "emotion_threshold": 0.5, "sentiment_threshold": None},
    "forbid": {"phrases": {"en": ["next time read", "calm down"]}},
    "reply_affect": {"emotions": ["anger", "disgust"], "emotion_threshold": 0.6},
    "languages": ["en"],
}


@pytest.mark.parametrize(
    ("reply", "affect", "outcome", "why"),
    [
        ("I'm sorry, I'll check it right now.", {}, "pass", ""),
        ("Calm down, it ships tomorrow.", {}, "fail", "says 'Calm down'"),
        (
            "Refund requested. Nothing else to do.",
            {"emotion": "anger", "emotion_score": 0.7},
            "fail",
            "anger 0.70",
        ),
        ("Refund requested.", {"emotion": "anger", "emotion_score": 0.4}, "pass", ""),
    ],
)
def test_a_reply_to_a_hostile_turn_must_not_say_or_read_hostile(
    judge: Callable, reply: str, affect: dict, outcome: str, why: str
) -> None:
    turns = [("customer", "This is useless!", ANGRY), ("agent", reply, affect)]
    row = judge(COMPOSURE, {"id": "t", "turns": turns})["t"]
    assert row["outcome"] == outcome, row["detail"]
    assert why in row["detail"]
    if outcome == "fail":
        assert (
            row["evidence"]["turn_index"] == 1 and "trigger: turn 0 (anger 0.90)" in row["evidence"]["note"]
        )


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        ("I'm so sorry, I'll send you a return label.", "pass"),  # an apology the model reads angry
        ("Sorry, but calm down.", "fail"),  # apologising does not excuse the forbidden words
        ("Return label sent.", "fail"),
    ],
)
def test_an_apology_spares_the_reply_affect_check(judge: Callable, reply: str, outcome: str) -> None:
    rule = {
        **COMPOSURE,
        "reply_affect": {**COMPOSURE["reply_affect"], "unless": {"phrases": {"en": ["sorry", "apologies"]}}},
    }
    turns = [
        ("customer", "This is useless!", ANGRY),
        ("agent", reply, {"emotion": "anger", "emotion_score": 0.8}),
    ]
    row = judge(rule, {"id": "t", "turns": turns})["t"]
    assert row["outcome"] == outcome, row["detail"]


def test_no_hostile_turn_is_na(judge: Callable) -> None:
    turns = [("customer", "When does it ship?"), ("agent", "Calm down, tomorrow.")]
    assert judge(COMPOSURE, {"id": "t", "turns": turns})["t"]["outcome"] == "na"


def test_a_conditional_rule_needs_something_to_check(make_pack: Callable, rule_dict: Callable) -> None:
    with pytest.raises(QAError) as caught:
        make_pack(rule_dict(kind="conditional", trigger={}))
    assert "require" in str(caught.value) and "forbid" in str(caught.value)


def test_a_forbid_list_must_cover_the_rules_languages(make_pack: Callable, rule_dict: Callable) -> None:
    with pytest.raises(QAError) as caught:
        make_pack(rule_dict(**{**COMPOSURE, "languages": ["en", "de"]}))
    assert "forbid" in str(caught.value)
