"""The coaching loop: recording sessions, and the before/after comparison on planted histories."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_engine.errors import QAError
from qa_engine.kpi import add_session, coaching_effect, list_sessions
from qa_engine.kpi.coaching_loop import verdict

from .support import at, ticket, write_store

SESSION_DAY = 20  # days after BASE
RULE = "greeting_own_name"
OTHER_RULE = "closing_thanks"


def history(
    agent: str, side: str, outcomes: list[str], qa_score: float, rule: str = RULE, first_day: int = 1
):
    """Tickets of `agent` on consecutive days `first_day`.. before (or after) the session day, one outcome each."""
    tickets, results = [], []
    for i, outcome in enumerate(outcomes):
        offset = (first_day + i % 14) * (-1 if side == "before" else 1)
        ticket_id = f"{agent}-{side}-{rule}-{i}"
        tickets.append(
            ticket(ticket_id, agent_id=agent, created_at=at(SESSION_DAY + offset), qa_score=qa_score)
        )
        results.append((ticket_id, rule, outcome))
    return tickets, results


def store_with(tmp_path: Path, *histories) -> Path:
    tickets = [t for h in histories for t in h[0]]
    results = [r for h in histories for r in h[1]]
    return write_store(tmp_path / "qa.duckdb", tickets, results)


def one_effect(db: Path, agent: str = "a-1"):
    (effect,) = coaching_effect(db, agent)
    return effect


def test_coaching_that_clearly_helped(tmp_path: Path) -> None:
    db = store_with(
        tmp_path,
        history("a-1", "before", ["pass"] * 3 + ["fail"] * 9, qa_score=60.0),
        history("a-1", "after", ["pass"] * 11 + ["fail"] * 1, qa_score=90.0),
    )
    add_session(db, "a-1", at(SESSION_DAY).date(), [RULE], note="greet with your own name")
    effect = one_effect(db)
    assert (effect.rule_id, effect.session_date) == (RULE, at(SESSION_DAY).date())
    assert (effect.before_judged, effect.after_judged) == (12, 12)
    assert (effect.before_tickets, effect.after_tickets) == (12, 12)
    assert effect.before_pass_rate == 3 / 12 and effect.after_pass_rate == 11 / 12
    assert (effect.before_qa_score, effect.after_qa_score) == (60.0, 90.0)
    assert not effect.too_few_tickets
    assert effect.verdict == "improved"


def test_coaching_that_did_not_help(tmp_path: Path) -> None:
    db = store_with(
        tmp_path,
        history("a-1", "before", ["pass", "fail"] * 6, qa_score=70.0),
        history("a-1", "after", ["fail", "pass"] * 6, qa_score=70.0),
    )
    add_session(db, "a-1", at(SESSION_DAY).date(), [RULE])
    effect = one_effect(db)
    assert effect.before_pass_rate == effect.after_pass_rate == 0.5
    assert effect.verdict == "no clear change"


def test_a_drop_after_coaching_reads_as_declined(tmp_path: Path) -> None:
    db = store_with(
        tmp_path,
        history("a-1", "before", ["pass"] * 10 + ["fail"] * 2, qa_score=85.0),
        history("a-1", "after", ["pass"] * 2 + ["fail"] * 10, qa_score=55.0),
    )
    add_session(db, "a-1", at(SESSION_DAY).date(), [RULE])
    assert one_effect(db).verdict == "declined"


def test_fewer_than_ten_judged_tickets_on_a_side_is_too_few(tmp_path: Path) -> None:
    db = store_with(
        tmp_path,
        history("a-1", "before", ["fail"] * 9, qa_score=50.0),  # 9 < 10
        history("a-1", "after", ["pass"] * 12, qa_score=95.0),
    )
    add_session(db, "a-1", at(SESSION_DAY).date(), [RULE])
    effect = one_effect(db)
    assert effect.too_few_tickets and effect.verdict == "too few tickets"
    assert (effect.before_pass_rate, effect.after_pass_rate) == (0.0, 1.0)  # still shown, with the counts


def test_windows_are_the_14_days_on_each_side_without_the_session_day(tmp_path: Path) -> None:
    def dated(ticket_id: str, day: int, outcome: str):
        return [ticket(ticket_id, agent_id="a-1", created_at=at(day, 3600), qa_score=80.0)], [
            (ticket_id, RULE, outcome)
        ]

    parts = [
        dated("day-14", SESSION_DAY - 14, "pass"),  # first day of the before window
        dated("day-15", SESSION_DAY - 15, "fail"),  # outside
        dated("session-day", SESSION_DAY, "fail"),  # neither side
        dated("day+14", SESSION_DAY + 14, "pass"),  # last day of the after window
        dated("day+15", SESSION_DAY + 15, "fail"),  # outside
        dated("na-after", SESSION_DAY + 1, "na"),  # a ticket, but the rule did not apply: not judged
    ]
    db = store_with(tmp_path, *parts)
    add_session(db, "a-1", at(SESSION_DAY).date(), [RULE])
    effect = one_effect(db)
    assert (effect.before_from, effect.before_to) == (at(SESSION_DAY - 14).date(), at(SESSION_DAY - 1).date())
    assert (effect.after_from, effect.after_to) == (at(SESSION_DAY + 1).date(), at(SESSION_DAY + 14).date())
    assert (effect.before_tickets, effect.before_judged, effect.before_pass_rate) == (1, 1, 1.0)
    assert (effect.after_tickets, effect.after_judged, effect.after_pass_rate) == (2, 1, 1.0)


def test_each_session_and_focus_rule_gets_its_own_comparison_and_other_agents_do_not_count(
    tmp_path: Path,
) -> None:
    db = store_with(
        tmp_path,
        history("a-1", "before", ["fail"] * 12, qa_score=60.0),
        history("a-1", "after", ["pass"] * 12, qa_score=90.0),
        history("a-1", "before", ["pass"] * 12, qa_score=60.0, rule=OTHER_RULE),
        history("a-1", "after", ["pass"] * 12, qa_score=90.0, rule=OTHER_RULE),
        history("a-2", "after", ["fail"] * 12, qa_score=10.0),  # someone else's bad fortnight
    )
    add_session(db, "a-1", at(SESSION_DAY).date(), [RULE, OTHER_RULE])
    add_session(db, "a-1", at(SESSION_DAY + 40).date(), [RULE])
    effects = coaching_effect(db, "a-1")
    assert [(e.session_date, e.rule_id, e.verdict) for e in effects] == [
        (at(SESSION_DAY).date(), RULE, "improved"),
        (at(SESSION_DAY).date(), OTHER_RULE, "no clear change"),
        (at(SESSION_DAY + 40).date(), RULE, "too few tickets"),
    ]
    assert effects[0].after_judged == 12  # a-2's tickets are not a-1's


def test_an_agent_without_sessions_has_no_effects(tmp_path: Path) -> None:
    db = store_with(tmp_path, history("a-1", "before", ["pass"], qa_score=90.0))
    assert coaching_effect(db, "a-1") == []


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((3, 12, 11, 12), "improved"),
        ((11, 12, 3, 12), "declined"),
        ((6, 12, 7, 12), "no clear change"),
        ((12, 12, 12, 12), "no clear change"),  # all passed on both sides
        ((0, 9, 10, 10), "too few tickets"),
    ],
)
def test_verdict(counts: tuple[int, int, int, int], expected: str) -> None:
    assert verdict(*counts) == expected


# recording sessions ---------------------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return store_with(
        tmp_path, history("a-17", "before", ["pass"], qa_score=90.0), history("a-2", "after", ["fail"], 50.0)
    )


def test_recording_the_same_session_twice_updates_it(db: Path) -> None:
    day = at(SESSION_DAY).date()
    first = add_session(db, "a-17", day, [RULE, OTHER_RULE], note="first draft")
    second = add_session(db, "a-17", day, [OTHER_RULE, RULE], note="final note", coach="coach-1")
    assert first.session_id == second.session_id
    (stored,) = list_sessions(db, "a-17")
    assert (stored.note, stored.coach, stored.focus_rules) == ("final note", "coach-1", (OTHER_RULE, RULE))


def test_practice_is_stored_with_the_session(db: Path) -> None:
    add_session(db, "a-17", at(SESSION_DAY).date(), [RULE], practice=True)
    add_session(db, "a-2", at(SESSION_DAY).date(), [RULE])
    assert [(s.agent_id, s.practice) for s in list_sessions(db)] == [("a-17", True), ("a-2", False)]


def test_sessions_are_listed_oldest_first_per_agent(db: Path) -> None:
    add_session(db, "a-17", at(30).date(), [RULE])
    add_session(db, "a-17", at(10).date(), [OTHER_RULE])
    add_session(db, "a-2", at(20).date(), [RULE])
    assert [s.session_date for s in list_sessions(db, "a-17")] == [at(10).date(), at(30).date()]
    assert len(list_sessions(db)) == 3


def test_an_unknown_agent_is_a_one_line_error_with_a_hint(db: Path) -> None:
    with pytest.raises(QAError) as caught:
        add_session(db, "a-71", at(20).date(), [RULE])
    message = str(caught.value)
    assert message.startswith("[Q805]") and "'a-71'" in message and "a-17" in message and "\n" not in message
    with pytest.raises(QAError, match=r"\[Q805\]"):
        coaching_effect(db, "nobody")


def test_an_unknown_rule_lists_nearby_ids(db: Path) -> None:
    with pytest.raises(QAError) as caught:
        add_session(db, "a-17", at(20).date(), ["greeting_own_nam"])
    message = str(caught.value)
    assert message.startswith("[Q806]") and "'greeting_own_nam'" in message and RULE in message


def test_rule_ids_scored_with_another_pack_are_known(tmp_path: Path) -> None:
    db = store_with(tmp_path, history("a-1", "before", ["pass"], qa_score=90.0, rule="house_rule_7"))
    assert add_session(db, "a-1", at(20).date(), ["house_rule_7"]).focus_rules == ("house_rule_7",)


def test_a_session_needs_a_focus_rule(db: Path) -> None:
    with pytest.raises(QAError, match=r"\[Q809\].*a-17.*focus"):
        add_session(db, "a-17", at(20).date(), [" ", ""])


def test_a_second_note_for_the_same_session_keeps_the_first(db: Path) -> None:
    day = at(SESSION_DAY).date()
    add_session(db, "a-17", day, [RULE], note="first note", coach="coach-1")
    add_session(db, "a-17", day, [RULE], note="second note", coach="coach-2")
    add_session(db, "a-17", day, [RULE])  # recorded again without a note: the last note stays the session's
    (stored,) = list_sessions(db, "a-17")
    assert stored.note == "second note"
    assert [(n.note, n.coach) for n in stored.notes] == [
        ("first note", "coach-1"),
        ("second note", "coach-2"),
    ]


def test_a_session_recorded_before_the_notes_history_keeps_its_note(db: Path) -> None:
    import duckdb

    day = at(SESSION_DAY).date()
    add_session(db, "a-17", day, [RULE], note="written long ago")
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE coaching_notes")  # as a store from before the history has it
    con.close()
    (old,) = list_sessions(db, "a-17")
    assert [n.note for n in old.notes] == ["written long ago"]
    add_session(db, "a-17", day, [RULE], note="and a new one")
    (stored,) = list_sessions(db, "a-17")
    assert [n.note for n in stored.notes] == ["written long ago", "and a new one"]
