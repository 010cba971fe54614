from collections.abc import Callable


def test_pattern_must_match_and_must_not_match(judge: Callable) -> None:
    question = {"kind": "pattern", "mode": "must_match", "patterns": {"*": [r"\?"]}}
    rows = judge(question, {"id": "asks", "turns": [("agent", "Which size?")]},
                 {"id": "tells", "turns": [("agent", "Size M.")]})  # fmt: skip
    assert (rows["asks"]["outcome"], rows["tells"]["outcome"]) == ("pass", "fail")
    assert rows["asks"]["evidence"]["text"] == "?"

    refund_promise = {
        "kind": "pattern",
        "mode": "must_not_match",
        "patterns": {"en": [r"\bguarantee(?:d)? refund"]},
    }
    rows = judge(refund_promise, {"id": "promise", "turns": [("agent", "You have a GUARANTEED refund.")]},
                 {"id": "fine", "turns": [("agent", "We will check.")]})  # fmt: skip
    assert (rows["promise"]["outcome"], rows["fine"]["outcome"]) == ("fail", "pass")


def test_case_sensitive_pattern(judge: Callable) -> None:
    fields = {"kind": "pattern", "mode": "must_match", "patterns": {"en": ["SKU"]}, "case_sensitive": True}
    rows = judge(
        fields, {"id": "upper", "turns": [("agent", "SKU 1")]}, {"id": "lower", "turns": [("agent", "sku 1")]}
    )
    assert (rows["upper"]["outcome"], rows["lower"]["outcome"]) == ("pass", "fail")
