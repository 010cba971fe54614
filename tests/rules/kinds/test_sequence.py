from collections.abc import Callable

VERIFY = {
    "kind": "sequence",
    "match_on": "lemma",
    "first": {
        "name": "verification",
        "phrases": {"en": ["verify your identity", "date of birth"], "zh": ["验证身份"]},
    },
    "then": {"name": "refund", "phrases": {"en": ["issue a refund"], "zh": ["已为您退款"]}},
}


def test_sequence_outcomes(judge: Callable) -> None:
    rows = judge(
        VERIFY,
        {"id": "ok", "turns": [("agent", "Please tell me your date of birth."), ("customer", "1.1.1990"),
                               ("agent", "I have issued a refund.")]},
        {"id": "lemma", "turns": [("agent", "I verified your identity and issued a refund.")]},
        {"id": "none", "turns": [("agent", "I issued a refund.")]},
        {"id": "after", "turns": [("agent", "I issued a refund."), ("agent", "Can you verify your identity?")]},
        {"id": "after in turn", "turns": [("agent", "I issued a refund; please verify your identity.")]},
        {"id": "customer said it", "turns": [("customer", "My date of birth is 1.1.1990"),
                                             ("agent", "I issued a refund.")]},
        {"id": "no refund", "turns": [("agent", "Please verify your identity.")]},
        {"id": "zh", "language": "zh", "turns": [("agent", "请先验证身份。"), ("agent", "已为您退款。")]},
    )  # fmt: skip
    outcomes = {k: v["outcome"] for k, v in rows.items()}
    assert outcomes == {
        "ok": "pass", "lemma": "pass", "none": "fail", "after": "fail", "after in turn": "fail",
        "customer said it": "fail", "no refund": "na", "zh": "pass",
    }  # fmt: skip
    assert rows["ok"]["evidence"]["turn_index"] == 0 and rows["ok"]["evidence"]["text"] == "date of birth"
    failed = rows["none"]["evidence"]
    assert (failed["turn_index"], failed["text"]) == (0, "issued a refund")
    assert "refund at turn 0 with no verification before it" in rows["none"]["detail"]
