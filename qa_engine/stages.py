"""The scoring stages, in the order a batch walks them: language -> nlp -> affect -> rules -> reasons -> scopes ->
satisfaction -> tiers -> privacy -> suggestions.

Each stage is a small function `(Batch, Context) -> Batch` that calls one `qa_engine` module and adds what it found
to the batch; `SCORING` declares the list. Reading and validating come before (`qa_engine.sources`), storing after
(`qa_engine.runner.Runner.record`); the runner walks the list and owns timing, memory, caching and counts, so a
stage does none of that. To change what a run does, change one stage or the list (`with_stages`: the benchmark
swaps the model stages for model-free ones; training runs four of them, `only`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

import polars as pl

from qa_engine.batch import Batch

if TYPE_CHECKING:
    from qa_engine.pipeline import Engine
    from qa_engine.store import Store


@dataclass(frozen=True)
class Context:
    """What the stages read besides the batch: the loaded engine, the store (read only: earlier tickets for repeat
    contacts, the affect cache; None without one) and the run's id."""

    engine: Engine
    store: Store | None = None
    run_id: str = ""


class Stage(NamedTuple):
    """A named step of the list. `freeze_heap`: the objects alive after it (the batch's Docs) are left out of the
    GC's walks until the batch is done; `frees_memory`: it frees large buffers (the model pass's activations), given
    back to the OS right after it (`qa_engine.memory`)."""

    name: str
    run: Callable[[Batch, Context], Batch]
    freeze_heap: bool = False
    frees_memory: bool = False


def language(batch: Batch, context: Context) -> Batch:
    """Each ticket's language (`nlp.language`)."""
    from qa_engine.nlp.language import detect_languages

    return batch.but(tickets=detect_languages(batch.tickets, batch.turns))


def nlp(batch: Batch, context: Context) -> Batch:
    """spaCy Docs per turn (the ticket's language pipeline): tokens and sentences, built once for every later stage.
    Lemmas are added by the rules that read them, on the turns they read (`nlp.pipelines.ensure_lemmas`)."""
    from qa_engine.nlp.pipelines import make_docs

    return batch.but(docs=make_docs(batch.tickets, batch.turns))


def affect(batch: Batch, context: Context) -> Batch:
    """Turns with sentiment and emotion, each turn's pooled encoder vector (for reasons and satisfaction), and the
    texts scored now for the affect cache: texts found in the store's cache are not scored again."""
    engine = context.engine
    cache_store = context.store if engine.config.affect_cache else None
    found = engine.affect_cache.score_turns(
        batch.turns, batch.tickets.select("ticket_id", "language"), cache_store
    )
    return batch.but(
        turns=found.turns, vectors=found.vectors, affect_cache_rows=found.fresh, counts=dict(found.counts)
    )


def rules(batch: Batch, context: Context) -> Batch:
    """Every rule of the pack judged on every ticket (`rules.engine`), on the Docs of the nlp stage."""
    from qa_engine.rules import evaluate

    return batch.but(results=evaluate(context.engine.pack, batch.tickets, batch.turns, batch.docs))


def reasons(batch: Batch, context: Context) -> Batch:
    """Tickets with their contact reason and escalation risk (the tier policy may use them)."""
    found = context.engine.reasons.run(batch.tickets, batch.turns, batch.vectors, batch.docs, context.store)
    return batch.but(tickets=batch.tickets.join(found, on="ticket_id", how="left", maintain_order="left"))


def scopes(batch: Batch, context: Context) -> Batch:
    """Rule results outside their rule's market or contact-reason scope become na (`rules.scopes`): only now are
    the tickets' contact reasons known."""
    from qa_engine.rules.scopes import apply_scopes

    return batch.but(results=apply_scopes(context.engine.pack.rules, batch.tickets, batch.results))


def satisfaction(batch: Batch, context: Context) -> Batch:
    """Tickets with their dissatisfaction risk and its evidence (the tier policy uses them)."""
    found = context.engine.satisfaction.run(batch.tickets, batch.turns, batch.vectors)
    return batch.but(tickets=batch.tickets.join(found, on="ticket_id", how="left", maintain_order="left"))


def tiers(batch: Batch, context: Context) -> Batch:
    """Each ticket's tier, QA score and tier reasons (`scoring.tiers`, the pack's tier policy)."""
    from qa_engine.scoring import assign_tiers

    engine = context.engine
    found = assign_tiers(
        batch.tickets, batch.turns, batch.results, engine.policy, engine.pack.covered_languages
    )
    return batch.but(tiers=found)


def privacy(batch: Batch, context: Context) -> Batch:
    """The stored rows: the tickets with their tier and provenance, and every turn, evidence and detail with its
    payment data masked (`nlp.redact`). The rules judged the raw text; nothing stored or written keeps it."""
    from qa_engine.nlp.redact import redact_batch

    tickets, turns, results = redact_batch(_assemble(batch, context), batch.turns, batch.results)
    return batch.but(tickets=tickets, turns=turns, results=results)


def suggestions(batch: Batch, context: Context) -> Batch:
    """A suggestion for every failed rule (`rules.suggestions`); it reads the masked turns, so a quoted customer
    turn never carries payment data."""
    from qa_engine.rules.suggestions import suggest

    return batch.but(results=suggest(context.engine.pack.rules, batch.tickets, batch.turns, batch.results))


def _assemble(batch: Batch, context: Context) -> pl.DataFrame:
    """The stored ticket rows: input fields, tier and mood, provenance."""
    engine = context.engine
    first_ts = batch.turns.group_by("ticket_id").agg(first_ts=pl.col("ts").min(), n_turns=pl.len())
    now = pl.lit(datetime.now(UTC))
    return (
        batch.tickets.join(batch.tiers, on="ticket_id", how="left")
        .join(first_ts, on="ticket_id", how="left")
        .with_columns(
            # the store keeps the first received_at of a re-scored ticket (Store.write_results)
            started_at=pl.coalesce("created_at", "first_ts", now),
            received_at=now,
            rule_pack_version=pl.lit(engine.rule_pack_version),
            model_versions=pl.lit(json.dumps(engine.model_versions, sort_keys=True)),
            run_id=pl.lit(context.run_id),
            scored_at=now,
        )
        .drop("first_ts")
    )


SCORING: tuple[Stage, ...] = (
    Stage("language", language),
    Stage("nlp", nlp, freeze_heap=True),
    Stage("affect", affect, frees_memory=True),
    Stage("rules", rules),
    Stage("reasons", reasons),
    Stage("scopes", scopes),
    Stage("satisfaction", satisfaction),
    Stage("tier", tiers),
    Stage("privacy", privacy),
    Stage("suggestions", suggestions),
)


def with_stages(stages: Sequence[Stage], **replaced: Callable[[Batch, Context], Batch]) -> tuple[Stage, ...]:
    """The list with some stages' functions replaced by name (same place, same timing name)."""
    unknown = set(replaced) - {stage.name for stage in stages}
    if unknown:
        raise ValueError(f"no stage named {', '.join(sorted(unknown))}; stages: {[s.name for s in stages]}")
    return tuple(stage._replace(run=replaced.get(stage.name, stage.run)) for stage in stages)


def only(stages: Sequence[Stage], *names: str) -> tuple[Stage, ...]:
    """The named stages, in the list's order (training reads a batch after language, nlp, affect and reasons)."""
    unknown = set(names) - {stage.name for stage in stages}
    if unknown:
        raise ValueError(f"no stage named {', '.join(sorted(unknown))}; stages: {[s.name for s in stages]}")
    return tuple(stage for stage in stages if stage.name in names)
