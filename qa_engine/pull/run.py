"""`qa pull`: every source of a SOURCES.yaml, page by page, scored into the store exactly as `qa score` does.

One scoring run (one `runs` row, one `--out` folder) covers the whole pull. Per source: read its cursor, take each
page its connector yields, validate the page's tickets like any JSON Lines input (bad ones go to the quarantine
with source `NAME:ticket/ID`), score and store them through the scoring `Runner`, and only then save the page's
cursor and ledger entries. A source that fails (401/403 at once, retries used up, a database error) stops with one
line naming it and keeps what it stored; the others are still pulled; the pull reports failure at the end.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from qa_engine.errors import QAError
from qa_engine.pipeline import Engine, ScoreConfig
from qa_engine.pull import folder, freshdesk, gorgias, sql, zendesk  # noqa: F401 (their registrations)
from qa_engine.pull.base import CONNECTORS, Page
from qa_engine.pull.config import SourceConfig, load_sources, select
from qa_engine.pull.http import SourceFailed, scrub
from qa_engine.pull.state import PullState
from qa_engine.runner import Runner
from qa_engine.schema import TICKETS_IN, TURNS_IN
from qa_engine.sources.canonical import canonical_tables
from qa_engine.sources.json_records import json_batches
from qa_engine.sources.read import SourceBatch, _split
from qa_engine.validation.quarantine import QuarantineRecord
from qa_engine.validation.structure import repair_surrogates
from qa_engine.validation.validate import FirstSeen, validate_batch

log = logging.getLogger("qa_engine.pull")
MAX_TEXT_CHARS = 1_000_000


@dataclass
class SourceResult:
    """How one source's pull went (the `runs` summary and the command's table show it)."""

    name: str
    kind: str
    status: str = "ok"  # ok / failed
    error: str | None = None
    pages: int = 0
    listed: int = 0  # tickets (or files) the source listed
    skipped: int = 0  # of those: unchanged since stored, deleted, delivered twice
    read: int = 0  # tickets validated (scored, unchanged or quarantined)
    scored: int = 0
    unchanged: int = 0
    quarantined: int = 0
    seconds: float = 0.0


@dataclass
class PullSummary:
    run_id: str
    sources: list[SourceResult] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> list[SourceResult]:
        return [s for s in self.sources if s.status == "failed"]

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "sources": [asdict(s) for s in self.sources], "run": self.run}


def _relabel(record: QuarantineRecord, name: str, prefixed: bool) -> QuarantineRecord:
    """Validation names a record by the location it was given ("ticket/ID"): the contract's source is
    `NAME:ticket/ID`."""
    if not record.location.startswith("ticket/"):
        return record
    raw_id = record.location.removeprefix("ticket/")
    stored = f"{name}:{raw_id}" if prefixed else raw_id
    return QuarantineRecord(
        f"{name}:{record.location}", "ticket", record.reason, record.detail, record.record, stored
    )


def page_batches(name: str, page: Page, config: ScoreConfig, prefixed: bool) -> Iterator[SourceBatch]:
    """A page's tickets validated and made canonical, as `qa score` does with a JSON Lines file."""
    latest: dict[str, dict[str, Any]] = {}
    for record in page.tickets:  # a ticket listed twice on a page: the later copy is the newer one
        latest[str(record["ticket_id"])] = record
    prefix = f"{name}:"
    # a helpdesk's JSON may hold a lone UTF-16 surrogate (a broken emoji), which no UTF-8 tool can hold
    records = [
        (f"ticket/{tid.removeprefix(prefix) if prefixed else tid}",
         json.dumps(repair_surrogates(record), ensure_ascii=False))
        for tid, record in latest.items()
    ]  # fmt: skip
    carried = list(page.quarantine)
    seen = FirstSeen()
    for raw in json_batches(name, records):
        validated = validate_batch(raw, seen, MAX_TEXT_CHARS, config.time_zone)
        tickets, turns = canonical_tables(validated)
        quarantine = [_relabel(q, name, prefixed) for q in validated.quarantine] + carried
        carried = []
        yield from _split(tickets, turns, quarantine, config.batch_tickets)
    if carried:  # a page whose every ticket was quarantined by the connector
        yield SourceBatch(pl.DataFrame(schema=TICKETS_IN), pl.DataFrame(schema=TURNS_IN), carried)


class Puller:
    """Pulls sources into one scoring run; `progress` gets one line per page and source."""

    def __init__(self, run: Runner, progress: Callable[[str], None] | None = None) -> None:
        self.run = run
        self.state = PullState(run.store)
        self.state.init()
        self.progress = progress or (lambda line: log.info(line))

    def pull(self, source: SourceConfig) -> SourceResult:
        result = SourceResult(source.name, source.kind)
        clock = time.perf_counter()
        secrets: list[str] = []
        try:
            secrets = source.secrets()
            self._pull(source, result)
        except SourceFailed as exc:
            result.status, result.error = "failed", scrub(exc.detail, secrets)
        except QAError as exc:
            result.status, result.error = "failed", scrub(str(exc), secrets)
        except Exception as exc:  # a fault no connector foresaw: this source fails, the others still run
            if log.isEnabledFor(logging.DEBUG):
                log.debug("source %s failed", source.name, exc_info=True)
            first = (str(exc).strip().splitlines() or [""])[0]
            result.status = "failed"
            result.error = scrub(f"{type(exc).__name__}: {first}", secrets)
        result.seconds = round(time.perf_counter() - clock, 2)
        if result.status == "failed":
            self.progress(f"qa pull: {source.name}: FAILED: {result.error}")
        else:
            self.progress(
                f"qa pull: {source.name}: done, {result.listed} listed, {result.scored} scored, "
                f"{result.unchanged} unchanged, {result.quarantined} quarantined, {result.skipped} skipped"
            )
        return result

    def _pull(self, source: SourceConfig, result: SourceResult) -> None:
        connector = CONNECTORS[source.kind]
        cursor = self.state.cursor(source.name)
        known = lambda items: self.state.known(source.name, items)  # noqa: E731
        prefixed = source.kind in ("zendesk", "freshdesk", "gorgias")
        unreadable: list[str] = []
        for page in connector(source, cursor, known):
            before = self.run.summary.read, self.run.summary.scored, self.run.summary.unchanged
            quarantined = self.run.summary.quarantined
            if page.files:
                stored = self._score_files(page, unreadable)
            else:
                self.run.run(page_batches(source.name, page, self.run.config, prefixed))
                stored = True
            summary = self.run.summary
            result.pages += 1
            result.listed += page.listed
            result.skipped += page.skipped
            result.read += summary.read - before[0]
            result.scored += summary.scored - before[1]
            result.unchanged += summary.unchanged - before[2]
            result.quarantined += summary.quarantined - quarantined
            if stored:  # only now: what the page covers is in the store
                self.state.save_page(source.name, source.kind, page.cursor, page.versions, page.details)
            self.progress(
                f"qa pull: {source.name}: page {result.pages}: {result.listed} listed, {result.scored} scored, "
                f"{result.quarantined} quarantined"
            )
        if unreadable:
            more = f" (and {len(unreadable) - 1} more)" if len(unreadable) > 1 else ""
            raise SourceFailed(source.name, unreadable[0] + more)

    def _score_files(self, page: Page, unreadable: list[str]) -> bool:
        """A folder's file, read and scored like `qa score`; False (and the reason noted) when it cannot be read."""
        try:
            self.run.run(self.run.read([str(p) for p in page.files]))
        except QAError as exc:
            unreadable.append(str(exc))
            return False
        return True


def pull_sources(
    config_path: str | Path,
    names: Sequence[str] | None,
    config: ScoreConfig,
    engine: Engine | None = None,
    progress: Callable[[str], None] | None = None,
) -> PullSummary:
    """Pull the named sources (all when none) of a SOURCES.yaml and score what changed into `config.db`."""
    sources = select(load_sources(config_path), list(names or []), config_path)
    with Runner([s.describe() for s in sources], config, engine) as run:
        puller = Puller(run, progress)
        results = [puller.pull(source) for source in sources]
    summary = PullSummary(run.summary.run_id, results, run.summary.as_dict())
    puller.state.record_run(summary.run_id, bool(summary.failed), [asdict(r) for r in results])
    return summary
