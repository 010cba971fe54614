"""The default pack's own examples, one test each, plus what the contract and the design require of the pack."""

from collections.abc import Callable

import polars as pl
import pytest

from qa_engine.cli.rules import default_pack_path
from qa_engine.rules import ExampleResult, RulePack, example_cases, load_pack, run_examples
from qa_engine.schema import CATEGORIES, EMOTION_SCORES, LANGUAGES, TURNS_IN

PACK = load_pack(default_pack_path())
CASES = example_cases(PACK)


@pytest.fixture(scope="module")
def results() -> dict[str, ExampleResult]:
    return {result.case.ticket_id: result for result in run_examples(PACK)}


@pytest.mark.parametrize("ticket_id", [case.ticket_id for case in CASES])
def test_default_pack_example(results: dict[str, ExampleResult], ticket_id: str) -> None:
    result = results[ticket_id]
    assert result.got == result.case.expected, f"{result.case.describe()} -> {result.detail}"


EXPECTED = {  # id: (kind, category, weight, critical), as CONTRACT.md and the rule catalogue fix them
    "greeting_own_name": ("phrase", "first_impression", 10, False),
    "clarifying_question": ("phrase", "inquiry", 10, False),
    "reassurance_next_step": ("phrase", "reassurance", 10, False),
    "empathy_when_upset": ("conditional", "empathy", 15, False),
    "closing_anything_else": ("phrase", "closing", 5, False),
    "closing_thanks": ("phrase", "closing", 5, False),
    "no_blaming_customer": ("phrase", "compliance", 15, True),
    "no_not_my_job": ("phrase", "compliance", 10, True),
    "no_rude_words": ("phrase", "compliance", 15, True),
    "pii_disclosure": ("pii", "compliance", 20, True),
    "verify_before_account_change": ("sequence", "compliance", 15, True),
    "first_response_sla": ("response_time", "timeliness", 10, False),
    "reply_sla": ("response_time", "timeliness", 5, False),
    "reply_in_customer_language": ("reply_language", "language", 5, False),
    "logistics_tracking_or_date": ("phrase", "reassurance", 10, False),
    "returns_window_or_next_step": ("phrase", "reassurance", 10, False),
    "formal_address": ("phrase", "compliance", 5, False),
    "composure_after_hostility": ("conditional", "composure", 10, False),
    "nvc_after_complaint": ("conditional", "nvc", 10, False),
}
# rules added for the seeds: pass and fail examples in every language the default pack serves
SEED_RULES = [
    "reply_in_customer_language", "logistics_tracking_or_date", "returns_window_or_next_step", "formal_address",
    "composure_after_hostility", "nvc_after_complaint",
]  # fmt: skip


def test_default_pack_has_exactly_the_catalogue() -> None:
    got = {r.id: (r.spec.kind, r.spec.category, r.spec.weight, r.spec.critical) for r in PACK}
    assert got == EXPECTED
    assert {r.spec.category for r in PACK} == set(CATEGORIES)


def test_every_rule_of_the_default_pack_has_a_suggestion_in_six_languages() -> None:
    """Each failed rule gets what the agent could have written instead (rules.suggestions), in the ticket's language."""
    for rule in PACK:
        assert rule.spec.suggestion is not None, rule.id
        assert set(rule.spec.suggestion.text) >= set(LANGUAGES), rule.id


@pytest.mark.parametrize("rule_id", SEED_RULES)
def test_seed_rules_have_pass_and_fail_examples_in_all_six_languages(rule_id: str) -> None:
    examples = PACK.get(rule_id).spec.examples
    for outcome in (examples.pass_, examples.fail):
        assert {e.language for e in outcome} >= set(LANGUAGES)


@pytest.mark.parametrize("rule_id", list(EXPECTED))
def test_every_rule_has_enough_examples_in_several_languages(rule_id: str) -> None:
    rule = PACK.get(rule_id)
    examples = rule.spec.examples
    assert len(examples.pass_) >= 3 and len(examples.fail) >= 3
    assert len({e.language for e in examples.pass_}) >= 2 and len({e.language for e in examples.fail}) >= 2
    assert len(rule.spec.coaching) > 60  # a concrete tip, not a placeholder


@pytest.mark.parametrize(
    "rule_id", [r for r, (_, category, _, _) in EXPECTED.items() if category != "timeliness"]
)
def test_language_rules_are_shown_in_all_six_languages(rule_id: str) -> None:
    rule = PACK.get(rule_id)
    languages = {e.language for examples in rule.spec.examples.by_outcome().values() for e in examples}
    assert rule.spec.languages == "*" or {"en", "zh", "de", "ja", "es", "fr"} <= set(rule.spec.languages)
    assert len(languages & {"en", "zh", "de", "ja", "es", "fr"}) >= 5


def angry(turns: pl.DataFrame, languages: pl.DataFrame) -> pl.DataFrame:
    """A stand-in affect scorer that finds every turn angry."""
    scores = {e: 0.95 if e == "anger" else 0.01 for e in EMOTION_SCORES.to_schema()}
    return turns.with_columns(
        sentiment=pl.lit("negative"),
        sentiment_score=pl.lit(-0.9, dtype=pl.Float32),
        emotion=pl.lit("anger"),
        emotion_scores=pl.lit(scores, dtype=EMOTION_SCORES),
    )


def test_affect_scorer_fills_unpinned_turns_only(
    make_pack: Callable[..., RulePack], rule_dict: Callable
) -> None:
    unpinned = {"language": "en", "turns": [{"customer": "My parcel is late."}, {"agent": "Order number?"}]}
    pinned = {"language": "en", "turns": [{"customer": "My parcel is late.", "sentiment": "neutral",
                                          "emotion": "neutral"}, {"agent": "Order number?"}]}  # fmt: skip
    rule = rule_dict(
        kind="conditional", trigger={}, require={"phrases": {"en": ["sorry"]}},
        examples={"pass": [pinned], "fail": [unpinned], "na": [unpinned, pinned]},
    )  # fmt: skip
    pack = make_pack(rule)
    cases = example_cases(pack)
    seen: list[tuple[list[str], list[str]]] = []

    def scorer(turns: pl.DataFrame, languages: pl.DataFrame) -> pl.DataFrame:
        seen.append((turns.columns, languages["language"].to_list()))
        return angry(turns, languages)

    without = [r.got for r in run_examples(pack, cases)]
    with_scorer = [r.got for r in run_examples(pack, cases, affect=scorer)]
    # order: pass[pinned], fail[unpinned], na[unpinned], na[pinned]
    assert without == ["na", "na", "na", "na"]  # no scorer: unpinned turns are neutral
    assert with_scorer == ["na", "fail", "fail", "na"]  # the scorer angers unpinned turns; pins win
    assert seen == [(list(TURNS_IN), ["en"] * 4)]  # one batched call, with each example's language
