"""The engine reproduces what a careful QA lead decided for each bundled example (examples/ground_truth.yaml)."""

from __future__ import annotations

import polars as pl
import pytest
import yaml

from qa_engine import paths

pytestmark = pytest.mark.slow

TRUTH = yaml.safe_load((paths.examples_dir() / "ground_truth.yaml").read_text(encoding="utf-8"))["tickets"]
TRUTH_BY_ID = {t["ticket_id"]: t for t in TRUTH}

# Where the embedded affect model, not the rules, disagrees with the QA lead. Strict: when a model change fixes one,
# the test fails until it is taken off this list (and the README's agreement figures are updated).
KNOWN_MODEL_MISSES = {
    # these were yellow by the QA score alone; the customer is still likely dissatisfied or the problem
    # unresolved (yellow), but the satisfaction model, trained on long Weibo helpdesk dialogues, reads the polite
    # short closing as settled
    (
        "tier",
        "T-3011",
    ): "csat 2: 'just wait', 'can't say' from the agent, but the customer's 'Alles klar, danke' "
    "keeps the dissatisfaction risk at 0.01, so the ticket is green instead of yellow",
    (
        "tier",
        "T-5012",
    ): "the agent gives no date ('llegará pronto') and the question stays open, but the customer's "
    "polite 'No, gracias.' keeps the dissatisfaction risk low, so the ticket is green instead of yellow",
    ("tier", "T-4009"): "csat 2: a sad caller (flowers late for a birthday) gets no empathy, but the polite "
    "'わかりました。ありがとうございました' ending keeps the risk at 0.003, so green instead of yellow",
    (
        "tier",
        "T-6009",
    ): "the promised discount code is still missing and the agent cannot say when, but the risk "
    "stays at 0.04 (no negative wording at the end), so green instead of yellow",
    # the affect model after its support stage (docs/affect_heads.md, seventh round) reads two calm details as angry
    # (anger at or above the empathy trigger's 0.6), so the agent's plain answer after them misses empathy
    (
        "rules",
        "T-2010",
    ): "empathy_when_upset fails: '整个地址都要改，原来写成公司的了' (the whole address, it was "
    "the company's) reads negative 0.88, anger 0.68, though the customer only corrects an address",
    # a customer turn is read by its most negative sentence when it reads negative at least 0.8 (docs/affect_heads.md,
    # tenth round): a calm aside then counts as upset
    (
        "rules",
        "T-5010",
    ): "empathy_when_upset fails: 'Nunca me había pasado.' (it never happened to me before), the last sentence "
    "of a calm customs question, reads negative 0.92, sadness 0.63",
    # the support stage's second pass (docs/affect_heads.md, fourteenth round) reads a product that did not fit as
    # negative, as a 1-2 star review would; in a support call it is a calm request
    (
        "rules",
        "T-4005",
    ): "empathy_when_upset fails: 'あのね、孫に頼まれて買ったセーターがね、サイズが合わなかったみたいで、返品したいんだけど…' "
    "(the grandson's sweater did not fit, how do I return it) reads negative 0.96 (0.88 before the second pass)",
    (
        "tier",
        "T-5011",
    ): "csat 3: the customer ends 'No, nada más. Pero vaya chasco, de verdad.' (what a letdown), which reads "
    "neutral 0.58 (negative 0.24), and 'Qué pena' before it only 0.59 negative, so the mood does not count as "
    "unrecovered: green instead of yellow",
    # contact reasons the classifier gets wrong (reasons.v2 after account.signup and the intent-style examples),
    # with what it says instead and why
    (
        "contact_reason",
        "T-4009",
    ): "returns.return_request 1.00: the late birthday flowers (logistics) read as a return from the customer's "
    "'返品しても仕方ないです' (no point returning flowers), a later turn declining the agent's offer",
    (
        "contact_reason",
        "T-6008",
    ): "logistics.delayed 0.82: a coffee machine 'livrée hier' that 'ne marche pas du tout' (returns) reads as a "
    "late delivery since the examples of 'my order has not arrived' ('pas encore livré', 'j'attends toujours'): "
    "the classifier does not see that the negation is about working, not arriving",
    (
        "contact_reason",
        "T-4008",
    ): "complaint.service 1.00: the closing '失礼すぎます' (how rude) about the agent's tone outweighs the "
    "opening question about points that cannot be used (期間限定ポイント: payment or account)",
    (
        "contact_reason",
        "T-5009",
    ): "order.change 0.79: whether an ordered item includes the charger is a product "
    "question (presales); the order number pulls it to order",
}

# Misses on the edge, whose reading depends on the CPU family: the encoder's float kernels differ in the last bits
# between CPU families, and where a ticket's two best reasons are that close either may win. Not strict; the agreement
# figure may count them either way. None since the n-gram head (T-1003, a 0.52 tie before it, now reads logistics).
ON_THE_EDGE: set[tuple[str, str]] = set()


def _cases(kind: str) -> list:
    return [
        pytest.param(
            tid,
            marks=pytest.mark.xfail(
                strict=(kind, tid) not in ON_THE_EDGE, reason=KNOWN_MODEL_MISSES[(kind, tid)]
            ),
        )
        if (kind, tid) in KNOWN_MODEL_MISSES
        else tid
        for tid in sorted(TRUTH_BY_ID)
        if kind != "contact_reason" or "contact_reason" in TRUTH_BY_ID[tid]
    ]


def _accepted(ticket_id: str) -> list[str]:
    """The contact reasons a person would name for the ticket (one, or two equally right)."""
    want = TRUTH_BY_ID[ticket_id]["contact_reason"]
    return [want] if isinstance(want, str) else list(want)


@pytest.fixture(scope="module")
def scored(scored_examples) -> dict[str, pl.DataFrame]:
    """The contract's files of the examples scored once per run (tests/conftest.py)."""
    assert scored_examples.summary.quarantined == 0
    return {
        name: pl.read_parquet(scored_examples.out / f"{name}.parquet") for name in ("tickets", "rule_results")
    }


def test_every_example_is_scored(scored: dict[str, pl.DataFrame]) -> None:
    assert sorted(scored["tickets"]["ticket_id"]) == sorted(TRUTH_BY_ID)


@pytest.mark.parametrize("ticket_id", _cases("rules"))
def test_rule_outcomes_match_ground_truth(scored: dict[str, pl.DataFrame], ticket_id: str) -> None:
    results = scored["rule_results"].filter(pl.col("ticket_id") == ticket_id)
    got = dict(zip(results["rule_id"], results["outcome"], strict=True))
    details = dict(zip(results["rule_id"], results["detail"], strict=True))
    wrong = {
        rule: f"expected {want}, got {got.get(rule)} ({details.get(rule)})"
        for rule, want in TRUTH_BY_ID[ticket_id]["rules"].items()
        if got.get(rule) != want
    }
    assert not wrong, wrong


@pytest.mark.parametrize("ticket_id", _cases("tier"))
def test_tier_matches_ground_truth(scored: dict[str, pl.DataFrame], ticket_id: str) -> None:
    row = scored["tickets"].filter(pl.col("ticket_id") == ticket_id).row(0, named=True)
    truth = TRUTH_BY_ID[ticket_id]
    assert row["tier"] == truth["tier"], f"{truth['why']} | engine: {row['tier_reasons']}"


@pytest.mark.parametrize("ticket_id", _cases("contact_reason"))
def test_contact_reason_is_what_a_person_would_say(scored: dict[str, pl.DataFrame], ticket_id: str) -> None:
    row = scored["tickets"].filter(pl.col("ticket_id") == ticket_id).row(0, named=True)
    assert row["contact_reason"] in _accepted(ticket_id), (
        f"{row['contact_sub_reason']} {row['contact_reason_score']}: {row['contact_reason_evidence'][:300]}"
    )


def test_contact_reason_agreement(scored: dict[str, pl.DataFrame]) -> None:
    """The figure the README and the reasons model card state: 69 of the 73 example tickets with a clear reason."""
    got = dict(zip(scored["tickets"]["ticket_id"], scored["tickets"]["contact_reason"], strict=True))
    judged = [tid for tid, t in TRUTH_BY_ID.items() if "contact_reason" in t]
    agree = sum(got[tid] in _accepted(tid) for tid in judged)
    misses = sum(1 for kind, _ in KNOWN_MODEL_MISSES if kind == "contact_reason")
    edge = sum(1 for kind, _ in ON_THE_EDGE if kind == "contact_reason")
    print(f"contact reasons {agree}/{len(judged)}")
    assert len(judged) == 73 and len(judged) - misses <= agree <= len(judged) - misses + edge


def test_agreement_with_the_qa_lead(scored: dict[str, pl.DataFrame]) -> None:
    """The figures the README states: rule outcomes and tiers that agree with the ground truth."""
    results = scored["rule_results"]
    got = {(r["ticket_id"], r["rule_id"]): r["outcome"] for r in results.iter_rows(named=True)}
    pairs = [
        (got.get((tid, rule)), want) for tid, t in TRUTH_BY_ID.items() for rule, want in t["rules"].items()
    ]
    tiers = dict(zip(scored["tickets"]["ticket_id"], scored["tickets"]["tier"], strict=True))
    rules_agree = sum(a == b for a, b in pairs)
    tiers_agree = sum(tiers[tid] == t["tier"] for tid, t in TRUTH_BY_ID.items())
    misses = sum(1 for kind, _ in KNOWN_MODEL_MISSES if kind == "rules")
    tier_misses = sum(1 for kind, _ in KNOWN_MODEL_MISSES if kind == "tier")
    assert rules_agree >= len(pairs) - misses and tiers_agree >= len(TRUTH_BY_ID) - tier_misses
    print(f"rule outcomes {rules_agree}/{len(pairs)}, tiers {tiers_agree}/{len(TRUTH_BY_ID)}")


def test_languages_are_detected_where_absent(scored: dict[str, pl.DataFrame]) -> None:
    got = dict(zip(scored["tickets"]["ticket_id"], scored["tickets"]["language"], strict=True))
    assert {tid: got[tid] for tid in TRUTH_BY_ID} == {tid: t["language"] for tid, t in TRUTH_BY_ID.items()}
