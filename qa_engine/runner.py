"""The one runner: read -> validate -> the scoring stages (`qa_engine.stages.SCORING`) -> store, batch by batch.

`qa score`, `qa rescore`, `qa pull`, the nightly flow and the benchmarks all score through `Runner`. It owns what
the stages do not: timing (seconds per stage, in the run summary), memory (the GC and malloc habits of
`qa_engine.memory`, at the stages that ask for them), the unchanged-ticket check, the affect cache's writes and
every count. Stages return values; nothing comes back through arguments.

Parallelism has one place, the runner's executor: by default every batch is scored in this process; `run(batches,
submit=...)` hands admitted batches to another executor instead (the nightly flow's Dask workers run
`score_detached`; `run_on` a `qa_engine.executors.ProcessPool`), keeps at most `in_flight` of them out, and stores
what comes back in input order. The store has one writer, this process: workers only read it (repeat contacts,
the affect cache).
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Protocol

import polars as pl

from qa_engine import schema
from qa_engine.batch import Batch
from qa_engine.executors import Executor, InProcess
from qa_engine.memory import frozen_heap, release_freed_memory
from qa_engine.pipeline import Engine, ScoreConfig
from qa_engine.sources.read import SourceBatch, Validator, read_raw
from qa_engine.stages import SCORING, Context, Stage
from qa_engine.store import Store

Scored = tuple[Batch, dict[str, float]]  # a batch after the stages, and the seconds each stage took


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

    def add_counts(self, counts: Mapping[str, int]) -> None:
        """Add a scored batch's affect counts (`AffectCache` names them as these fields)."""
        for name, value in counts.items():
            setattr(self, name, getattr(self, name) + value)


def run_stages(batch: Batch, context: Context, stages: Sequence[Stage] = SCORING) -> Scored:
    """Walk a batch through the stages: the batch the last returns and each stage's seconds."""
    seconds: dict[str, float] = {}
    with ExitStack() as heap:
        for stage in stages:
            clock = time.perf_counter()
            batch = stage.run(batch, context)
            if stage.frees_memory:
                release_freed_memory()  # before the next stages allocate
            seconds[stage.name] = seconds.get(stage.name, 0.0) + time.perf_counter() - clock
            if stage.freeze_heap:
                heap.enter_context(frozen_heap())
    return batch, seconds


class Clock:
    """Seconds per stage name, summed over a run; `charged` is every second handed to a stage so far."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.charged = 0.0

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        clock = time.perf_counter()
        try:
            yield
        finally:
            self.add(stage, time.perf_counter() - clock)

    def add(self, stage: str, seconds: float) -> None:
        self.seconds[stage] += seconds
        self.charged += seconds


def read_batches(inputs: Sequence[str | Path], config: ScoreConfig, clock: Clock) -> Iterator[SourceBatch]:
    """The read and validate steps over `inputs` (`sources.read_raw`, `sources.Validator`), timed apart."""
    validate = Validator(config.batch_tickets, time_zone=config.time_zone)
    raws = read_raw(inputs)
    while True:
        with clock.timed("read"):
            raw = next(raws, None)
        if raw is None:
            return
        with clock.timed("validate"):
            batches = validate(raw)
        yield from batches


class Result(Protocol):
    """What an executor hands back for a submitted batch (a `concurrent.futures.Future`, a Prefect future)."""

    def result(self) -> Scored: ...


@dataclass(frozen=True)
class _Done:
    scored: Scored

    def result(self) -> Scored:
        return self.scored


class Runner:
    """One recorded run: `with Runner(inputs, config) as run: run.run(run.read(inputs))`. The run row, its counts and
    the export files are closed on exit, as failed if it raised."""

    def __init__(
        self,
        inputs: Sequence[str | Path],
        config: ScoreConfig,
        engine: Engine | None = None,
        stages: Sequence[Stage] = SCORING,
    ) -> None:
        self.inputs = [str(p) for p in inputs]
        self.config = config
        self.engine = engine or Engine(config)
        self.stages = tuple(stages)
        self.store = Store(config.db)
        self.summary = RunSummary("")
        self._reasons: Counter[str] = Counter()
        self._tiers: Counter[str] = Counter()
        self.clock = Clock()
        self._writer = None
        self._started = 0.0

    def __enter__(self) -> Runner:
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

    # reading ----------------------------------------------------------------------------------------------------
    def read(self, inputs: Sequence[str | Path]) -> Iterator[SourceBatch]:
        """The read and validate steps over `inputs`, timed apart (`read_batches`)."""
        return read_batches(inputs, self.config, self.clock)

    # scoring ----------------------------------------------------------------------------------------------------
    def run(
        self,
        batches: Iterable[SourceBatch],
        submit: Callable[[Batch], Result] | None = None,
        in_flight: int = 0,
        on_batch: Callable[[RunSummary], None] | None = None,
    ) -> RunSummary:
        """Admit, score and store every batch. The time taken to produce a batch that no step counted is reading.

        `submit` is the executor (default: score here, store at once); with one, at most `in_flight` batches are
        out at a time and each is stored, in input order, when its result comes back."""
        pending: deque[Result] = deque()
        for source in self._timed_reads(batches):
            admitted = self.admit(source)
            scoring_elsewhere = submit is not None and admitted.tickets.height > 0
            pending.append(submit(admitted) if scoring_elsewhere else _Done(self.score(admitted)))
            while len(pending) > in_flight:
                summary = self.record(*pending.popleft().result())
                if on_batch:
                    on_batch(summary)
        while pending:
            summary = self.record(*pending.popleft().result())
            if on_batch:
                on_batch(summary)
        return self.summary

    def run_on(
        self, pool: Executor, batches: Iterable[SourceBatch], in_flight: int | None = None
    ) -> RunSummary:
        """`run` with the batches scored on a `qa_engine.executors` pool's workers (`score_shared`), at most
        `in_flight` (default two per worker) out at a time; an `InProcess` pool scores here, as `run` does."""
        if isinstance(pool, InProcess):
            return self.run(batches)
        pool.share((self.config, self.summary.run_id))
        submit = partial(pool.submit, score_shared)
        return self.run(
            batches, submit=submit, in_flight=2 * pool.workers if in_flight is None else in_flight
        )

    def process(self, source: SourceBatch) -> RunSummary:
        """Admit, score and store one batch here (`run` over one batch)."""
        return self.record(*self.score(self.admit(source)))

    def admit(self, source: SourceBatch) -> Batch:
        """Count a source batch in and set its unchanged tickets aside: the batch to score."""
        summary = self.summary
        summary.read += source.tickets.height
        summary.turns += source.turns.height
        summary.quarantined += len(source.quarantine)
        self._reasons.update(r.reason for r in source.quarantine)
        tickets, turns = source.tickets, source.turns
        unchanged = set() if self.config.force else _unchanged(self.store, self.engine, tickets)
        if unchanged:
            tickets = tickets.filter(~pl.col("ticket_id").is_in(list(unchanged)))
            turns = turns.filter(~pl.col("ticket_id").is_in(list(unchanged)))
            summary.unchanged += len(unchanged)
        return Batch(tickets, turns, tuple(source.quarantine), tuple(sorted(unchanged)))

    def score(self, batch: Batch) -> Scored:
        """The stages over an admitted batch, here (nothing to do for a batch without tickets to score)."""
        if not batch.tickets.height:
            return batch, {}
        return _for_the_store(
            *run_stages(batch, Context(self.engine, self.store, self.summary.run_id), self.stages)
        )

    def record(self, batch: Batch, seconds: Mapping[str, float]) -> RunSummary:
        """Store and export a batch the stages returned (here or in another process): its rows, its new
        affect-cache rows, its quarantine. The run's only writer: scoring processes never write the store."""
        from qa_engine.affect.cache import save
        from qa_engine.nlp.redact import redact_records

        summary = self.summary
        for stage, value in seconds.items():
            self.clock.add(stage, value)
        summary.add_counts(batch.counts)
        with self.clock.timed("store"):
            if self.config.affect_cache and batch.affect_cache_rows is not None:
                save(self.store, batch.affect_cache_rows)
            if batch.scored:
                self.store.write_results(batch.tickets, batch.turns, batch.results)
                summary.scored += batch.tickets.height
                self._tiers.update(batch.tickets["tier"].to_list())
            quarantine = redact_records(r.to_dict() for r in batch.quarantine)  # the raw line may hold a card
            self.store.write_quarantine(_quarantine_frame(quarantine, summary.run_id))
            if self._writer:
                if batch.scored:
                    self._writer.write(batch.tickets, batch.turns, batch.results)
                if (
                    batch.unchanged
                ):  # the contract: --out holds every input ticket, even when scoring was skipped
                    stored = self.store.read_results(list(batch.unchanged))
                    self._writer.write(stored["tickets"], stored["turns"], stored["rule_results"])
                    self._tiers.update(stored["tickets"]["tier"].to_list())
                self._writer.write_quarantine(quarantine)
        self._refresh()
        return summary

    # bookkeeping ------------------------------------------------------------------------------------------------
    def _timed_reads(self, batches: Iterable[SourceBatch]) -> Iterator[SourceBatch]:
        """The batches, the time to produce each counted as reading unless a step (`read`) counted it already."""
        iterator = iter(batches)
        while True:
            clock, charged = time.perf_counter(), self.clock.charged
            source = next(iterator, None)
            self.clock.add("read", time.perf_counter() - clock - (self.clock.charged - charged))
            if source is None:
                return
            yield source

    def _refresh(self) -> None:
        self.summary.quarantine_by_reason = dict(self._reasons)
        self.summary.tiers = dict(self._tiers)
        self.summary.seconds = time.perf_counter() - self._started
        self.summary.stage_seconds = dict(self.clock.seconds)


_PROCESS_ENGINES: dict[str, Engine] = {}  # one loaded Engine per configuration in a worker process


def process_engine(config: ScoreConfig) -> Engine:
    """This process's Engine for `config`, loaded on first use (also a pool worker's warm-up)."""
    key = json.dumps(
        [str(config.rules), str(config.registry), config.model_overrides, config.affect_cache,
         str(config.satisfaction_model)],
        sort_keys=True,
    )  # fmt: skip
    if key not in _PROCESS_ENGINES:
        _PROCESS_ENGINES[key] = Engine(config)
    return _PROCESS_ENGINES[key]


def score_detached(config: ScoreConfig, batch: Batch, run_id: str) -> Scored:
    """The stages over an admitted batch in another process (a Dask or pool worker): its own Engine, loaded once per
    process, reads the store (repeat contacts, the affect cache) but never writes it, so any number of workers can
    score while one writer stores, with no lock contention on writes and no half-written batch if a worker dies."""
    return _for_the_store(*run_stages(batch, Context(process_engine(config), Store(config.db), run_id)))


def score_shared(shared: tuple[ScoreConfig, str], batch: Batch) -> Scored:
    """`score_detached` as a `qa_engine.executors` job: the configuration and run id are shared once per worker."""
    config, run_id = shared
    return score_detached(config, batch, run_id)


def _for_the_store(batch: Batch, seconds: dict[str, float]) -> Scored:
    """A scored batch without its Docs and vectors: nothing after the stages reads them, they need not cross a
    process boundary, and the next batch's need the memory."""
    return batch.but(docs=None, vectors=None), seconds


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
