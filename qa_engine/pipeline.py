"""Score tickets end to end: read, validate, language, NLP, affect, rules, reasons, tier, store, export.

Each stage is a plain function over polars frames (the Prefect flows call the same functions as tasks); `score_files`
runs them batch by batch so memory stays bounded, skips tickets whose content, rule pack and models are unchanged
since they were stored, serves texts seen before from the store's affect cache (`qa_engine.affect.cache`), and
records the run with its counts and timings. `ScoringRun.admit` / `record` are the halves of `process` for a
scale-out run: batches are scored elsewhere (`score_detached`, on Dask workers) and stored by the one writer. On a
machine with more cores, the rules and tier stages of a batch also run on helper processes (`rules.parallel`).
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from qa_engine import paths, schema
from qa_engine.memory import frozen_heap, release_freed_memory
from qa_engine.store import Store

if TYPE_CHECKING:
    import numpy as np

    from qa_engine.affect.cache import CachedAffect
    from qa_engine.rules.parallel import Shares


@dataclass
class ScoreConfig:
    """What a scoring run uses; every field has the contract's default."""

    rules: Path | None = None  # rule pack folder or file (default rules/default)
    db: Path = Path("qa.duckdb")
    out: Path | None = None  # write the contract's files here
    batch_tickets: int = 2000
    registry: Path | None = None  # model registry (default models/registry.yaml)
    model_overrides: dict[str, str] | None = None
    force: bool = False  # re-score tickets even when nothing changed
    affect_cache: bool = True  # serve texts seen before (same models) from the store's affect cache
    # processes for the rules and tier stages, this one included (default `rules.parallel.default_processes`)
    rules_processes: int | None = None
    time_zone: str = "UTC"  # IANA name: the zone of timestamps given without one (`qa score --tz`)
    satisfaction_model: Path | None = None  # the fitted satisfaction model (default models/satisfaction)


@dataclass
class RunSummary:
    run_id: str
    read: int = 0
    scored: int = 0
    unchanged: int = 0
    quarantined: int = 0
    quarantine_by_reason: dict[str, int] = field(default_factory=dict)
    tiers: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    turns: int = 0
    affect_texts: int = 0  # distinct texts the affect stage needed
    affect_cache_hits: int = 0  # of those, served from the affect cache
    affect_scored: int = 0  # of those, scored by the models

    @property
    def tickets_per_second(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id, "read": self.read, "scored": self.scored, "unchanged": self.unchanged,
            "quarantined": self.quarantined, "quarantine_by_reason": self.quarantine_by_reason, "tiers": self.tiers,
            "seconds": round(self.seconds, 2), "tickets_per_second": round(self.tickets_per_second, 1),
            "stage_seconds": {k: round(v, 2) for k, v in self.stage_seconds.items()}, "turns": self.turns,
            "affect_texts": self.affect_texts, "affect_cache_hits": self.affect_cache_hits,
            "affect_scored": self.affect_scored,
        }  # fmt: skip

    def add_counts(self, counts: dict[str, int]) -> None:
        """Add a scored batch's affect counts (`AffectCache` names them as these fields)."""
        for name, value in counts.items():
            setattr(self, name, getattr(self, name) + value)


class Engine:
    """The loaded rule pack, tier policy and affect models: load once, score many batches."""

    def __init__(self, config: ScoreConfig) -> None:
        from qa_engine.affect import AffectScorer
        from qa_engine.affect.cache import AffectCache
        from qa_engine.pack import load_pack
        from qa_engine.reasons import ReasonsStage, Signals
        from qa_engine.rules.loader import compile_pack
        from qa_engine.rules.parallel import ParallelRules, default_processes
        from qa_engine.satisfaction import SatisfactionStage

        self.config = config
        pack_path = config.rules or paths.rules_dir()
        pack = load_pack(pack_path)  # read once: rules, tier policy, signals, targets
        self.pack, self.policy = compile_pack(pack), pack.policy
        processes = config.rules_processes or default_processes()
        self.parallel_rules = ParallelRules(self.pack, self.policy, processes)
        self.affect = AffectScorer.from_registry(config.registry, config.model_overrides)
        self.affect_cache = AffectCache(self.affect)
        self.reasons = ReasonsStage.load(self.affect, signals=Signals.of(pack))
        self.satisfaction = SatisfactionStage.load(self.affect, config.satisfaction_model)
        self.model_versions = {
            **self.affect.versions(schema.LANGUAGES), "reasons": self.reasons.version,
            "satisfaction": self.satisfaction.version,
        }  # fmt: skip
        self.rule_pack_version = f"{self.pack.version}+{self.policy.version}"

    def close(self) -> None:
        """Stop the rules stage's helper processes, if any were started (they also stop when this process exits)."""
        self.parallel_rules.close()

    # stages -------------------------------------------------------------------------------------------------------
    @staticmethod
    def language_stage(tickets: pl.DataFrame, turns: pl.DataFrame) -> pl.DataFrame:
        from qa_engine.nlp.language import detect_languages

        return detect_languages(tickets, turns)

    def affect_stage(
        self, tickets: pl.DataFrame, turns: pl.DataFrame, store: Store | None = None
    ) -> CachedAffect:
        """Turns with sentiment and emotion, each turn's pooled encoder vector (for the reasons stage), and the
        new affect-cache rows: texts found in `store`'s cache are not scored again."""
        cache_store = store if self.config.affect_cache else None
        return self.affect_cache.score_turns(turns, tickets.select("ticket_id", "language"), cache_store)

    def nlp_stage(self, tickets: pl.DataFrame, turns: pl.DataFrame) -> list:
        """spaCy Docs per turn (the ticket's language pipeline): tokens and sentences. Lemmas are added by the
        rules that read them, on the turns they read (`nlp.pipelines.ensure_lemmas`)."""
        from qa_engine.nlp.pipelines import make_docs

        return make_docs(tickets, turns)

    def rules_stage(
        self, tickets: pl.DataFrame, turns: pl.DataFrame, docs: list, shares: Shares | None = None
    ) -> pl.DataFrame:
        """Rule results; a batch split by `parallel_rules.begin` is evaluated on the helper processes too."""
        from qa_engine.rules import evaluate

        if shares is not None:
            return self.parallel_rules.evaluate(shares, tickets, turns, docs)
        return evaluate(self.pack, tickets, turns, docs)

    def reasons_stage(
        self, tickets: pl.DataFrame, turns: pl.DataFrame, vectors: np.ndarray, docs: list, store: Store | None
    ) -> pl.DataFrame:
        """Tickets with their contact reason and escalation risk (the tier policy may use them)."""
        found = self.reasons.run(tickets, turns, vectors, docs, store)
        return tickets.join(found, on="ticket_id", how="left", maintain_order="left")

    def scope_stage(self, tickets: pl.DataFrame, results: pl.DataFrame) -> pl.DataFrame:
        """Rule results outside their rule's market or contact-reason scope become na (`rules.scopes`): only now
        are the tickets' contact reasons known."""
        from qa_engine.rules.scopes import apply_scopes

        return apply_scopes(self.pack.rules, tickets, results)

    def satisfaction_stage(
        self, tickets: pl.DataFrame, turns: pl.DataFrame, vectors: np.ndarray
    ) -> pl.DataFrame:
        """Tickets with their dissatisfaction risk and its evidence (the tier policy uses them)."""
        found = self.satisfaction.run(tickets, turns, vectors)
        return tickets.join(found, on="ticket_id", how="left", maintain_order="left")

    def tier_stage(
        self, tickets: pl.DataFrame, turns: pl.DataFrame, results: pl.DataFrame, shares: Shares | None = None
    ) -> pl.DataFrame:
        """Tiers; a batch whose rules the helper processes judged has its tiers computed there too."""
        from qa_engine.scoring import assign_tiers

        if shares is not None:
            return self.parallel_rules.tiers(shares, tickets, turns, results)
        return assign_tiers(tickets, turns, results, self.policy, self.pack.covered_languages)

    def suggestion_stage(
        self, tickets: pl.DataFrame, turns: pl.DataFrame, results: pl.DataFrame
    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """The masked batch with a suggestion for every failed rule (`rules.suggestions`): it reads the masked
        turns, so a quoted customer turn never carries payment data."""
        from qa_engine.rules.suggestions import suggest

        return tickets, turns, suggest(self.pack.rules, tickets, turns, results)

    def assemble(
        self, tickets: pl.DataFrame, turns: pl.DataFrame, tiers: pl.DataFrame, run_id: str
    ) -> pl.DataFrame:
        """The stored ticket rows: input fields, tier and mood, provenance."""
        first_ts = turns.group_by("ticket_id").agg(first_ts=pl.col("ts").min(), n_turns=pl.len())
        now = pl.lit(datetime.now(UTC))
        return (
            tickets.join(tiers, on="ticket_id", how="left")
            .join(first_ts, on="ticket_id", how="left")
            .with_columns(
                # the store keeps the first received_at of a re-scored ticket (Store.write_results)
                started_at=pl.coalesce("created_at", "first_ts", now),
                received_at=now,
                rule_pack_version=pl.lit(self.rule_pack_version),
                model_versions=pl.lit(json.dumps(self.model_versions, sort_keys=True)),
                run_id=pl.lit(run_id),
                scored_at=now,
            )
            .drop("first_ts")
        )

    def score_batch(
        self,
        tickets: pl.DataFrame,
        turns: pl.DataFrame,
        run_id: str,
        timings: dict[str, float],
        store: Store | None = None,
        counts: dict[str, int] | None = None,
        cache_rows: list[pl.DataFrame] | None = None,
    ):
        """(ticket rows, turn rows with affect, rule results) for one batch of valid tickets; `store` holds
        earlier tickets (repeat contacts) and the affect cache (read only here: the texts scored now are appended
        to `cache_rows` for the run's writer, and the affect counts added to `counts`)."""
        clock = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[stage] = timings.get(stage, 0.0) + now - clock
            clock = now

        tickets = self.language_stage(tickets, turns)
        shares = self.parallel_rules.begin(tickets, turns)  # helpers build their shares' Docs meanwhile
        lap("language")
        docs = self.nlp_stage(tickets, turns)
        lap("nlp")
        with frozen_heap():  # the batch's Docs and everything older: not walked by each GC collection
            affect = self.affect_stage(tickets, turns, store)
            turns, vectors = affect.turns, affect.vectors
            if cache_rows is not None:
                cache_rows.append(affect.fresh)
            if counts is not None:
                for name, value in affect.counts.items():
                    counts[name] = counts.get(name, 0) + value
            release_freed_memory()  # the model pass's freed activations, before the next stages allocate
            lap("affect")
            results = self.rules_stage(tickets, turns, docs, shares)
            lap("rules")
            tickets = self.reasons_stage(tickets, turns, vectors, docs, store)
            results = self.scope_stage(tickets, results)
            lap("reasons")
            tickets = self.satisfaction_stage(tickets, turns, vectors)
            lap("satisfaction")
            tiers = self.tier_stage(tickets, turns, results, shares)
            lap("tier")
            # the rules judged the raw text; nothing stored or written keeps payment data
            from qa_engine.nlp.redact import redact_batch

            scored = redact_batch(self.assemble(tickets, turns, tiers, run_id), turns, results)
            lap("privacy")
            scored = self.suggestion_stage(*scored)
            lap("suggestions")
        return scored


def _quarantine_frame(records: Sequence[dict], run_id: str) -> pl.DataFrame:
    rows = [{**r, "run_id": run_id, "quarantined_at": datetime.now(UTC)} for r in records]
    return pl.DataFrame(
        rows,
        schema={
            "source": pl.String, "location": pl.String, "reason": pl.String, "record": pl.String,
            "detail": pl.String, "ticket_id": pl.String, "run_id": pl.String,
            "quarantined_at": pl.Datetime("us", "UTC"),
        },
    )  # fmt: skip


class ScoringRun:
    """One recorded run: `with ScoringRun(...) as run: run.process(batch)` for each batch (the nightly flow calls
    `process` as a task); the run row, counts and export files are closed on exit, as failed if it raised."""

    def __init__(
        self, inputs: Sequence[str | Path], config: ScoreConfig, engine: Engine | None = None
    ) -> None:
        self.inputs = [str(p) for p in inputs]
        self.config = config
        self._own_engine = engine is None
        self.engine = engine or Engine(config)
        self.store = Store(config.db)
        self.summary = RunSummary("")
        self._reasons: Counter[str] = Counter()
        self._tiers: Counter[str] = Counter()
        self._timings: dict[str, float] = defaultdict(float)
        self._writer = None
        self._started = 0.0

    def __enter__(self) -> ScoringRun:
        from qa_engine.export import ResultWriter

        self._started = time.perf_counter()
        self.store.init()
        self.summary.run_id = self.store.start_run(
            self.inputs, self.engine.rule_pack_version, self.engine.model_versions
        )
        self._writer = ResultWriter(self.config.out) if self.config.out else None
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._writer and exc_type is None:
            self._writer.close(empty_like=_empty_results())
        elif self._writer:  # a failed run: the last finished run's files stay, no half-written ones appear
            self._writer.abort()
        self._refresh()
        s = self.summary
        counts = {"read": s.read, "scored": s.scored, "unchanged": s.unchanged, "quarantined": s.quarantined}
        self.store.finish_run(s.run_id, "failed" if exc_type else "finished", counts, s.as_dict())
        if self._own_engine:
            self.engine.close()

    def _refresh(self) -> None:
        self.summary.quarantine_by_reason = dict(self._reasons)
        self.summary.tiers = dict(self._tiers)
        self.summary.seconds = time.perf_counter() - self._started
        self.summary.stage_seconds = dict(self._timings)

    def process(self, batch, read_seconds: float = 0.0) -> RunSummary:
        """Score one source batch: skip unchanged tickets, store and export results and quarantine."""
        tickets, turns, unchanged = self.admit(batch, read_seconds)
        counts: dict[str, int] = {}
        cache_rows: list[pl.DataFrame] = []
        scored = (
            self.engine.score_batch(
                tickets, turns, self.summary.run_id, self._timings, self.store, counts, cache_rows
            )
            if tickets.height
            else None
        )
        return self.record(batch, scored, unchanged, cache_rows, counts)

    def admit(self, batch, read_seconds: float = 0.0) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
        """Count a source batch in and drop its unchanged tickets: (tickets, turns) to score, unchanged ids."""
        summary = self.summary
        self._timings["read"] += read_seconds
        summary.read += batch.tickets.height
        summary.turns += batch.turns.height
        summary.quarantined += len(batch.quarantine)
        self._reasons.update(r.reason for r in batch.quarantine)
        tickets, turns = batch.tickets, batch.turns
        unchanged = set() if self.config.force else _unchanged(self.store, self.engine, tickets)
        if unchanged:
            tickets = tickets.filter(~pl.col("ticket_id").is_in(list(unchanged)))
            turns = turns.filter(~pl.col("ticket_id").is_in(list(unchanged)))
            summary.unchanged += len(unchanged)
        return tickets, turns, sorted(unchanged)

    def record(
        self,
        batch,
        scored: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame] | None,
        unchanged: Sequence[str],
        cache_rows: Sequence[pl.DataFrame] = (),
        counts: dict[str, int] | None = None,
        timings: dict[str, float] | None = None,
    ) -> RunSummary:
        """Store and export an admitted batch's results (scored here or in another process), its new affect-cache
        rows and its quarantine. The run's only writer: scoring processes never write the store."""
        from qa_engine.affect.cache import save

        run_id, summary = self.summary.run_id, self.summary
        for stage, seconds in (timings or {}).items():
            self._timings[stage] += seconds
        summary.add_counts(counts or {})
        clock = time.perf_counter()
        for rows in cache_rows if self.config.affect_cache else ():
            save(self.store, rows)
        if scored:
            self.store.write_results(*scored)
            summary.scored += scored[0].height
            self._tiers.update(scored[0]["tier"].to_list())
        from qa_engine.nlp.redact import redact_records

        quarantine = redact_records(r.to_dict() for r in batch.quarantine)  # the raw line may hold a card
        self.store.write_quarantine(_quarantine_frame(quarantine, run_id))
        if self._writer:
            if scored:
                self._writer.write(*scored)
            if unchanged:  # the contract: --out holds every input ticket, even when scoring was skipped
                stored = self.store.read_results(list(unchanged))
                self._writer.write(stored["tickets"], stored["turns"], stored["rule_results"])
                self._tiers.update(stored["tickets"]["tier"].to_list())
            self._writer.write_quarantine(quarantine)
        self._timings["store"] += time.perf_counter() - clock
        self._refresh()
        return summary


@dataclass
class DetachedScore:
    """What a scoring process that does not write the store hands back to the run's writer (`ScoringRun.record`)."""

    scored: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame] | None
    cache_rows: list[pl.DataFrame]
    counts: dict[str, int]
    timings: dict[str, float]


_PROCESS_ENGINES: dict[str, Engine] = {}  # one loaded Engine per configuration in a worker process


def score_detached(
    config: ScoreConfig, tickets: pl.DataFrame, turns: pl.DataFrame, run_id: str
) -> DetachedScore:
    """Score an admitted batch in another process (a Dask worker): its own Engine, loaded once per process, reads
    the store (repeat contacts, the affect cache) but never writes it, so any number of workers can score while
    one writer stores, with no lock contention on writes and no half-written batch if a worker dies."""
    key = json.dumps(
        [
            str(config.rules),
            str(config.registry),
            config.model_overrides,
            config.affect_cache,
            str(config.satisfaction_model),
        ],
        sort_keys=True,
    )
    if key not in _PROCESS_ENGINES:
        # one process per Dask worker already: its rules stage does not start helper processes of its own
        _PROCESS_ENGINES[key] = Engine(replace(config, rules_processes=1))
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    cache_rows: list[pl.DataFrame] = []
    store = Store(config.db)
    scored = (
        _PROCESS_ENGINES[key].score_batch(tickets, turns, run_id, timings, store, counts, cache_rows)
        if tickets.height
        else None
    )
    return DetachedScore(scored, cache_rows, counts, timings)


def score_files(
    inputs: Sequence[str | Path],
    config: ScoreConfig,
    on_batch: Callable[[RunSummary], None] | None = None,
    engine: Engine | None = None,
) -> RunSummary:
    """Score every ticket in `inputs` into the store (and `config.out`), batch by batch."""
    from qa_engine.sources import read_inputs

    check_inputs(inputs, config.time_zone)  # a missing file or unknown zone: before seconds of model loading
    with ScoringRun(inputs, config, engine) as run:
        clock = time.perf_counter()
        for batch in read_inputs(inputs, batch_tickets=config.batch_tickets, time_zone=config.time_zone):
            summary = run.process(batch, read_seconds=time.perf_counter() - clock)
            if on_batch:
                on_batch(summary)
            clock = time.perf_counter()
    return run.summary


def check_inputs(inputs: Sequence[str | Path], time_zone: str = "UTC") -> None:
    """Fail fast with the one-line error of a missing, unmatched or unsupported input, or an unknown time zone."""
    from qa_engine.sources.inputs import expand_inputs
    from qa_engine.sources.registry import reader_for
    from qa_engine.validation.prepare import check_time_zone

    check_time_zone(time_zone)
    for path, label in expand_inputs(inputs):
        reader_for(path, label)


def _unchanged(store: Store, engine: Engine, tickets: pl.DataFrame) -> set[str]:
    """Tickets stored with the same content, rule pack and models: nothing to re-score."""
    stored = store.content_hashes(tickets["ticket_id"].to_list())
    if not stored:
        return set()
    models = json.dumps(engine.model_versions, sort_keys=True)
    return {
        tid
        for tid, h in zip(tickets["ticket_id"], tickets["content_hash"], strict=True)
        if tid in stored and stored[tid] == (h, engine.rule_pack_version, models)
    }


def _empty_results() -> dict[str, pl.DataFrame]:
    from qa_engine.reasons import REASON_COLUMNS
    from qa_engine.satisfaction import SATISFACTION_COLUMNS
    from qa_engine.scoring.tiers import TIER_COLUMNS

    return {
        "tickets": pl.DataFrame(
            schema={**schema.TICKETS_IN, **REASON_COLUMNS, **SATISFACTION_COLUMNS, **TIER_COLUMNS}
        ),
        "turns": pl.DataFrame(schema={**schema.TURNS_IN, **schema.TURNS_AFFECT}),
        "rule_results": pl.DataFrame(schema=schema.RULE_RESULTS),
    }
