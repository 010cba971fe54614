from collections.abc import Callable

import pytest

GREETING = {
    "kind": "phrase", "mode": "must_say", "window": "first_agent_turn",
    "groups": [
        {"name": "greeting", "phrases": {"zh": ["您好"], "ja": ["こんにちは"], "en": ["hello"]}},
        {"name": "own name", "phrases": {"zh": ["我是"], "ja": ["担当の"], "en": ["this is"]}},
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    ("language", "agent", "outcome"),
    [
        ("zh", "您好，我是小李。", "pass"),
        ("zh", "您好！请问有什么可以帮您？", "fail"),
        ("ja", "こんにちは、担当の佐藤です。", "pass"),
        ("ja", "こんにちは。", "fail"),
        ("en", "Hello, this is Mia.", "pass"),
    ],
)
def test_cjk_phrases_through_the_rule(judge: Callable, language: str, agent: str, outcome: str) -> None:
    row = judge(GREETING, {"id": "t", "language": language, "turns": [("customer", "?"), ("agent", agent)]})[
        "t"
    ]
    assert row["outcome"] == outcome
    if outcome == "pass":
        assert agent[row["evidence"]["start"] : row["evidence"]["end"]] == row["evidence"]["text"]


def test_lemma_matching_is_opt_in(judge: Callable) -> None:
    fields = {"kind": "phrase", "mode": "must_say", "phrases": {"en": ["verify your identity"]}}
    ticket = {"id": "t", "turns": [("agent", "I verified your identity.")]}
    assert judge(fields, ticket)["t"]["outcome"] == "fail"
    assert judge({**fields, "match_on": "lemma"}, ticket)["t"]["outcome"] == "pass"


def test_patterns_inside_a_group_are_case_sensitive_when_asked(judge: Callable) -> None:
    fields = {"kind": "phrase", "mode": "must_say",
              "groups": [{"patterns": {"en": [r"\bthis is [A-Z]\w+"]}, "case_sensitive": True}]}  # fmt: skip
    rows = judge(fields, {"id": "name", "turns": [("agent", "this is Mia")]},
                 {"id": "no name", "turns": [("agent", "this is great")]})  # fmt: skip
    assert (rows["name"]["outcome"], rows["no name"]["outcome"]) == ("pass", "fail")
