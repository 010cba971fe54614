"""The rules stage on several processes: helper processes each evaluate a share of a batch's tickets.

The rules stage is single-threaded Python (matchers, regexes, screens, the English tagger), so on a machine with
more cores the others sit idle while it runs. A batch's Docs cannot cross a process boundary cheaply (a DocBin of
the Docs of 2,000 tickets took 0.67 s to write, about as long as evaluating them), so each helper builds the Docs
of its own share: the batch's shares are sent out when the NLP stage starts, and a helper's NLP runs alongside the
parent's NLP and affect stages. The parent still builds Docs for every turn, because the reasons stage reads them
all. When the rules stage starts, each helper gets its share's turns again, now with their affect columns, and
evaluates the pack on them while the parent evaluates the first share. Shares are runs of consecutive tickets,
so the results, concatenated in order, are exactly the rows of a one-process `evaluate` (a test compares them).

A helper that fails (killed, out of memory, a rule kind it cannot import, a pack that changed on disk) costs time,
never results: the parent evaluates that share with its own Docs, logs why, and goes on without helpers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import polars as pl
from spacy.tokens import Doc

from qa_engine.rules.loader import RulePack

log = logging.getLogger(__name__)

PROCESSES_ENV = "QA_RULES_PROCESSES"
MAX_DEFAULT_PROCESSES = 4  # more rarely pays: each helper holds its own spaCy pipelines (about 300 MB)
MIN_SHARE = 50  # tickets: below this, sending a share costs more than evaluating it here


def default_processes() -> int:
    """Processes for the rules stage: $QA_RULES_PROCESSES, else the cores this process may use (at most 4).

    A daemonic process (a Dask worker, a multiprocessing pool's worker) may not start children: it gets 1."""
    if multiprocessing.current_process().daemon:
        return 1
    given = os.environ.get(PROCESSES_ENV)
    if given:
        try:
            return max(1, int(given))
        except ValueError:
            log.warning(
                "%s=%r is not a whole number; the rules stage runs in one process", PROCESSES_ENV, given
            )
            return 1
    return min(MAX_DEFAULT_PROCESSES, len(os.sched_getaffinity(0)))


@dataclass
class Shares:
    """One batch split for the rules stage: the parent's share and each helper's, with their pending Docs."""

    key: int
    ticket_bounds: list[tuple[int, int]]  # row ranges of `tickets`, share by share; the parent's first
    turn_rows: list[pl.Series]  # the rows of `turns` in each share, in order
    docs_built: list[Future]  # one per helper share


class ParallelRules:
    """Split batches' rules stage across this process and `processes - 1` helpers (see the module docstring)."""

    def __init__(self, pack: RulePack, processes: int, min_share: int = MIN_SHARE) -> None:
        self.pack = pack
        self.processes = processes
        self.min_share = min_share
        self._helpers: list[ProcessPoolExecutor] | None = None
        self._key = 0

    def start(self) -> bool:
        """Start the helpers and wait until each has loaded the pack and the spaCy pipelines (first use, or a warm
        up before timing); False when they cannot be used and the rules stage runs here."""
        if self._helpers is not None:
            return bool(self._helpers)
        if self.processes < 2:
            self._helpers = []
            return False
        context = multiprocessing.get_context(
            "spawn"
        )  # not fork: polars' and torch's threads do not survive it
        helpers = [ProcessPoolExecutor(1, mp_context=context) for _ in range(self.processes - 1)]
        loading = [_submit(helper, _load, self.pack.path) for helper in helpers]
        try:
            versions = [future.result() for future in loading]
        except Exception as exc:  # any failure means: run here
            self._give_up(helpers, f"a helper could not load the rule pack ({type(exc).__name__}: {exc})")
            return False
        if any(version != self.pack.version for version in versions):
            self._give_up(helpers, f"the rule pack at {self.pack.path} changed on disk since it was loaded")
            return False
        self._helpers = helpers
        return True

    def begin(self, tickets: pl.DataFrame, turns: pl.DataFrame) -> Shares | None:
        """Send each helper its share of the batch to build Docs for; None when the batch is evaluated here."""
        parts = min(self.processes, tickets.height // self.min_share)
        if parts < 2 or not self.start():
            return None
        parts = min(parts, len(self._helpers or []) + 1)
        self._key += 1
        bounds = _bounds(tickets.height, parts)
        rows = turns.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"), "ticket_id")
        turn_rows = []
        for start, end in bounds:
            ids = tickets["ticket_id"].slice(start, end - start)
            turn_rows.append(rows.filter(pl.col("ticket_id").is_in(ids.implode()))["row"])
        built = [
            _submit(helper, _build_docs, self._key, _share(tickets, start, end), turns[share_rows])
            for helper, (start, end), share_rows in zip(
                self._helpers or [], bounds[1:], turn_rows[1:], strict=False
            )
        ]
        return Shares(self._key, bounds, turn_rows, built)

    def evaluate(
        self, shares: Shares, tickets: pl.DataFrame, turns: pl.DataFrame, docs: list[Doc]
    ) -> pl.DataFrame:
        """`engine.evaluate` over the batch that `begin` split: the helpers' shares there, the first one here."""
        from qa_engine.rules.engine import evaluate

        helpers = self._helpers or []
        pending = [
            _submit(helper, _evaluate, shares.key, _share(tickets, start, end), turns[rows])
            for helper, (start, end), rows in zip(
                helpers, shares.ticket_bounds[1:], shares.turn_rows[1:], strict=False
            )
        ]
        (start, end), rows = shares.ticket_bounds[0], shares.turn_rows[0]
        frames = [evaluate(self.pack, _share(tickets, start, end), turns[rows], _pick(docs, rows))]
        failure = None
        for future, (start, end), rows in zip(
            pending, shares.ticket_bounds[1:], shares.turn_rows[1:], strict=True
        ):
            try:
                frames.append(future.result())
                continue
            except Exception as exc:  # the share is evaluated here instead
                failure = failure or f"{type(exc).__name__}: {exc}"
            frames.append(evaluate(self.pack, _share(tickets, start, end), turns[rows], _pick(docs, rows)))
        if failure:
            self._give_up(helpers, f"a helper failed ({failure}); its tickets were evaluated here")
        return pl.concat(frames)

    def helper_peak_rss_mb(self) -> list[float]:
        """Each running helper's peak resident memory so far, in MB (for benchmarks: a process reports only its own)."""
        return [helper.submit(_peak_rss_mb).result() for helper in self._helpers or []]

    def close(self) -> None:
        """Stop the helpers (they also stop when this process exits)."""
        for helper in self._helpers or []:
            helper.shutdown(wait=False, cancel_futures=True)
        self._helpers = None

    def _give_up(self, helpers: list[ProcessPoolExecutor], why: str) -> None:
        log.warning("rules stage: %s; running in one process from now on", why)
        for helper in helpers:
            helper.shutdown(wait=False, cancel_futures=True)
        self._helpers = []


def _submit(helper: ProcessPoolExecutor, fn: Callable, *args: object) -> Future:
    """`helper.submit`, with a helper that already died answering a failed Future instead of raising here."""
    try:
        return helper.submit(fn, *args)
    except Exception as exc:  # BrokenProcessPool, or shut down
        failed: Future = Future()
        failed.set_exception(exc)
        return failed


def _bounds(n: int, parts: int) -> list[tuple[int, int]]:
    """`parts` consecutive row ranges covering range(n), their sizes differing by at most one."""
    edges = [n * i // parts for i in range(parts + 1)]
    return list(pairwise(edges))


def _share(tickets: pl.DataFrame, start: int, end: int) -> pl.DataFrame:
    return tickets.slice(start, end - start)


def _pick(docs: list[Doc], rows: pl.Series) -> list[Doc]:
    return [docs[row] for row in rows.to_list()]


# In a helper process -----------------------------------------------------------------------------------------------
_pack: RulePack | None = None
_docs: dict[int, list[Doc]] = {}  # batch key -> the Docs of this helper's share


def _load(path: Path) -> str:
    """Load the rule pack and every language's pipeline; the pack's version, to check it against the parent's."""
    global _pack
    from qa_engine import schema
    from qa_engine.nlp.pipelines import get_nlp
    from qa_engine.rules.loader import load_pack

    _pack = load_pack(path)
    for language in schema.LANGUAGES:
        get_nlp(language)
    return _pack.version


def _build_docs(key: int, tickets: pl.DataFrame, turns: pl.DataFrame) -> int:
    from qa_engine.nlp.pipelines import make_docs

    _docs.clear()  # a batch whose rules stage never came (its run failed earlier) leaves nothing behind
    _docs[key] = make_docs(tickets, turns)
    return len(_docs[key])


def _evaluate(key: int, tickets: pl.DataFrame, turns: pl.DataFrame) -> pl.DataFrame:
    from qa_engine.memory import frozen_heap
    from qa_engine.rules.engine import evaluate

    if _pack is None or key not in _docs:
        raise RuntimeError(f"no Docs for batch {key} in this helper")
    docs = _docs.pop(key)
    with frozen_heap():  # the share's Docs: not walked by each GC collection (as in the parent)
        return evaluate(_pack, tickets, turns, docs)


def _peak_rss_mb() -> float:
    """VmHWM, not getrusage: a spawned process's ru_maxrss starts at its parent's size when it forked (Linux
    keeps it across exec)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return float("nan")  # not Linux
