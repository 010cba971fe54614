""" "What to practise": failed rules ranked by failure rate x weight, critical first, plus a mood item when due."""

from __future__ import annotations

import polars as pl

from qa_engine.reports.practise import MAX_ITEMS, TIP_CHARS, practise_items, short_tip
from qa_engine.reports.rulebook import Rulebook, RuleNote


def _rules(rows: list[tuple[str, str, float, bool, int, int, int]]) -> pl.DataFrame:
    """rule_id, category, weight, critical, passes, fails, fails_this_week -> the aggregate rows queries.py makes."""
    return pl.DataFrame(
        [
            {"rule_id": r, "category": c, "weight": w, "critical": k, "passes": p, "fails": f,
             "fails_this_week": t, "recent_fails": [f"T-{r}-{i}" for i in range(min(f, 3))] or None}
            for r, c, w, k, p, f, t in rows
        ],
        schema_overrides={"recent_fails": pl.List(pl.String)},
    )  # fmt: skip


BOOK = Rulebook({
    "greet": RuleNote("greet", "Greets by name", "Say hello and your name.", "first_impression", 10, False),
    "ask": RuleNote("ask", "Asks a question", "Ask one precise question.", "inquiry", 10, False),
    "close": RuleNote("close", "Anything else?", "Ask whether anything else is needed.", "closing", 5, False),
    "pii": RuleNote("pii", "No card numbers", "Never write a card number.", "compliance", 20, True),
})  # fmt: skip
MOOD = {"negative_start": 0, "recovered": 0}


def test_critical_first_then_rate_times_weight() -> None:
    agent = _rules([
        ("greet", "first_impression", 10, False, 6, 4, 1),  # 40% x 10 = 4.0
        ("close", "closing", 5, False, 2, 8, 0),  # 80% x 5 = 4.0, fails more often but weighs half
        ("ask", "inquiry", 10, False, 5, 5, 2),  # 50% x 10 = 5.0
        ("pii", "compliance", 20, True, 9, 1, 0),  # 10% x 20 = 2.0, but critical
    ])  # fmt: skip
    items = practise_items(agent, agent.head(0), MOOD, MOOD, BOOK, "team X")
    assert [i.rule_id for i in items] == ["pii", "ask", "close", "greet"][: len(items)]
    assert items[0].critical and "Critical" in items[0].why
    assert items[1].priority == 5.0
    assert items[1].tickets == ("T-ask-0", "T-ask-1", "T-ask-2")
    assert "5 of 10" in items[1].why and "2 of them in the last 7 days" in items[1].why
    assert items[1].tip == "Ask one precise question."


def test_the_why_compares_with_the_team() -> None:
    agent = _rules([("ask", "inquiry", 10, False, 1, 3, 0)])
    team = _rules([("ask", "inquiry", 10, False, 18, 2, 0)])
    (item,) = practise_items(agent, team, MOOD, MOOD, BOOK, "team X")
    assert "(75%; team X 10%)" in item.why


def test_nothing_failed_gives_an_empty_list() -> None:
    agent = _rules([("ask", "inquiry", 10, False, 5, 0, 0)])
    assert practise_items(agent, agent, MOOD, MOOD, BOOK, "team X") == []


def test_poor_recovery_against_the_team_is_an_item_and_a_small_gap_is_not() -> None:
    agent = _rules([("close", "closing", 5, False, 9, 1, 0)])  # priority 0.5
    team_mood = {"negative_start": 10, "recovered": 8}
    poor = practise_items(agent, agent, {"negative_start": 4, "recovered": 1}, team_mood, BOOK, "team X")
    assert [i.title for i in poor] == ["Turn upset customers around", "Anything else?"]
    assert "Of 4 customers who started negative, 1 ended not negative (25%; team X 80%)" in poor[0].why
    close = practise_items(agent, agent, {"negative_start": 4, "recovered": 3}, team_mood, BOOK, "team X")
    assert [i.rule_id for i in close] == ["close"]


def test_the_list_stays_short() -> None:
    rows = [(f"r{i}", "closing", 5, False, 1, 1, 0) for i in range(8)]
    items = practise_items(_rules(rows), _rules(rows).head(0), {"negative_start": 9, "recovered": 0},
                           {"negative_start": 9, "recovered": 9}, BOOK, "team X")  # fmt: skip
    assert len(items) == MAX_ITEMS
    assert [i.title for i in items] == ["Turn upset customers around", "r0", "r1", "r2"]


def test_a_long_tip_is_cut_at_a_word_so_the_page_still_fits() -> None:
    long = "Say what you will do next. " * 20
    cut = short_tip(long)
    assert cut.endswith(" …") and len(cut) <= TIP_CHARS + 2
    assert long.startswith(cut[:-2])
    assert short_tip("Short enough.") == "Short enough."


def test_an_item_carries_the_latest_suggestion_with_its_ticket_masked() -> None:
    agent = _rules([("ask", "inquiry", 10, False, 1, 3, 0)]).with_columns(
        suggestion=pl.lit("After turn 0: Could you confirm the e-mail ana@example.com on order 12345?"),
        suggestion_ticket=pl.lit("T-ask-0"),
    )
    (item,) = practise_items(agent, agent.head(0), MOOD, MOOD, BOOK, "team X")
    assert item.suggestion == "After turn 0: Could you confirm the e-mail [EMAIL] on order 12345?"
    assert item.suggestion_ticket == "T-ask-0"
    (plain,) = practise_items(
        _rules([("ask", "inquiry", 10, False, 1, 3, 0)]), agent.head(0), MOOD, MOOD, BOOK, "x"
    )
    assert plain.suggestion is None
