"""Evaluate a rule pack over tickets: one row per ticket x rule with outcome, evidence and a one-line reason.

The engine builds the conversation views (turns with their Docs and affect) once and hands each rule the
conversations it applies to; a rule whose languages or channels do not include the ticket's is na without running.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from spacy.tokens import Doc

from qa_engine.errors import QAError
from qa_engine.rules.conversation import Conversation, Outcome, build_conversations
from qa_engine.rules.kinds.base import Batch
from qa_engine.rules.loader import Rule, RulePack
from qa_engine.schema import DEFAULT_CHANNEL, RULE_RESULTS

TICKET_COLUMNS = ("ticket_id", "language", "channel")
TURN_COLUMNS = ("ticket_id", "turn_index", "speaker", "text")


def evaluate(
    pack: RulePack, tickets: pl.DataFrame, turns: pl.DataFrame, docs: Sequence[Doc] | None = None
) -> pl.DataFrame:
    """Every rule of `pack` on every ticket, as a frame with `schema.RULE_RESULTS` columns.

    `tickets` needs ticket_id, language (filled by language detection), channel; `turns` needs ticket_id,
    turn_index, speaker, text, and uses ts and the affect columns when present. `docs` are the Docs
    `qa_engine.nlp.pipelines.make_docs` built for these turns (row for row); when None they are built here.
    Rows come in ticket order, then pack order.
    """
    conversations, frame = prepare(tickets, turns, docs)
    return results_frame(pack.rules, conversations, judge(pack.rules, conversations, frame))


def prepare(
    tickets: pl.DataFrame, turns: pl.DataFrame, docs: Sequence[Doc] | None = None
) -> tuple[list[Conversation], pl.DataFrame]:
    """The conversations and the sorted turns frame that `judge` reads (the first half of `evaluate`)."""
    _check(tickets, turns)
    if docs is None:
        from qa_engine.nlp.pipelines import make_docs  # spaCy loads only when Docs must be built

        docs = make_docs(tickets, turns)  # lemmas come on demand, for the turns lemma rules read
    if len(docs) != turns.height:
        raise QAError("Q111", got=len(docs), want=turns.height)
    return build_conversations(tickets, turns, docs), _turn_frame(tickets, turns)


def judge(
    rules: Sequence[Rule], conversations: list[Conversation], frame: pl.DataFrame
) -> list[list[Outcome]]:
    """Each rule's outcomes, aligned with `conversations`."""
    return [_evaluate_rule(rule, conversations, frame) for rule in rules]


def results_frame(
    rules: Sequence[Rule], conversations: list[Conversation], outcomes_by_rule: Sequence[Sequence[Outcome]]
) -> pl.DataFrame:
    """`schema.RULE_RESULTS` rows, ticket-major, from each rule's outcomes (the last step of `evaluate`)."""
    # built column by column: a dict per row costs more than the rules' own work
    n_rules, n_tickets = len(rules), len(conversations)
    by_ticket = [outcome for per_ticket in zip(*outcomes_by_rule, strict=True) for outcome in per_ticket]
    specs = [rule.spec for rule in rules]
    columns = {
        "ticket_id": [c.ticket_id for c in conversations for _ in range(n_rules)],
        "rule_id": [rule.id for rule in rules] * n_tickets,
        "outcome": [o.outcome for o in by_ticket],
        "critical": [spec.critical for spec in specs] * n_tickets,
        "category": [spec.category for spec in specs] * n_tickets,
        "weight": [spec.weight for spec in specs] * n_tickets,
        "evidence": [o.evidence.as_row() if o.evidence is not None else None for o in by_ticket],
        "detail": [o.detail for o in by_ticket],
        # filled for failed rules once the batch is masked (rules.suggestions)
        "suggestion": [None] * len(by_ticket),
    }
    return pl.DataFrame(columns, schema=RULE_RESULTS)


def _evaluate_rule(rule: Rule, conversations: list[Conversation], frame: pl.DataFrame) -> list[Outcome]:
    """Outcomes for one rule, aligned with `conversations`."""
    skipped: dict[str, Outcome] = {}
    applicable: list[Conversation] = []
    for conversation in conversations:
        reason = rule.skip_reason(conversation.language, conversation.channel)
        if reason is None:
            applicable.append(conversation)
        else:
            skipped[conversation.ticket_id] = Outcome(conversation.ticket_id, "na", reason)
    produced = {o.ticket_id: o for o in rule.kind.evaluate(Batch(applicable, frame))} if applicable else {}
    return [skipped.get(c.ticket_id) or produced[c.ticket_id] for c in conversations]


def _check(tickets: pl.DataFrame, turns: pl.DataFrame) -> None:
    for frame, name, needed in ((tickets, "tickets", TICKET_COLUMNS), (turns, "turns", TURN_COLUMNS)):
        absent = [c for c in needed if c not in frame.columns]
        if absent:
            raise QAError("Q110", frame=name, columns=absent, stage="rule evaluation")
    orphans = turns.select(pl.col("ticket_id").unique()).join(
        tickets.select("ticket_id"), on="ticket_id", how="anti"
    )
    if orphans.height:
        raise QAError("Q112", ids=sorted(orphans["ticket_id"].to_list())[:10])


def _turn_frame(tickets: pl.DataFrame, turns: pl.DataFrame) -> pl.DataFrame:
    """Sorted turns with the ticket's channel and market (metadata.market), for kinds that compute on columns
    (response_time)."""
    from qa_engine.calendars import ticket_markets

    ts = pl.col("ts") if "ts" in turns.columns else pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("ts")
    channels = tickets.select(
        "ticket_id", pl.col("channel").fill_null(DEFAULT_CHANNEL), market=ticket_markets(tickets)
    ).unique("ticket_id")
    return (
        turns.select("ticket_id", "turn_index", "speaker", "text", ts)
        .join(channels, on="ticket_id", how="left")
        .sort("ticket_id", "turn_index")
    )
