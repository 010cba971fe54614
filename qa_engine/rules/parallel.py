"""The rules and tier stages on several processes: helper processes each judge a share of a batch's tickets.

Both stages are single-threaded Python (matchers, regexes, screens, the English tagger, tier conditions), so on a
machine with more cores the others sit idle while they run. A batch's Docs cannot cross a process boundary cheaply
(a DocBin of the Docs of 2,000 tickets took 0.67 s to write, about as long as evaluating them), so each helper
builds the Docs of its own share: shares are sent out when the NLP stage starts, and a helper's NLP runs alongside
the parent's NLP and affect stages. The parent still builds Docs for every turn, because the reasons stage reads
them all. When the rules stage starts, each helper gets its share's turns again, now with their affect columns, and
evaluates the pack on them while the parent evaluates the first share; when the tier stage starts, it gets its
share's tickets with the reasons columns and computes their tiers from the results it kept. Shares are runs of
consecutive tickets, so the frames, concatenated in order, are exactly those of one process (a test compares them).

The helpers start, in the background, with the first batch of 400 tickets or more (a smaller run never pays for
them), and the parent never waits for one: a share whose Docs are not ready when the rules stage starts (its helper
is still loading the pipelines) is judged in the parent. A helper that fails (killed, out of memory, a rule kind or
tier condition it cannot import, a pack that changed on disk) costs time, never results: the parent judges that
share itself, logs why, and goes on without helpers. So does a helper that does not answer in time (stuck in a
pattern, swapping, stopped): the parent waits for a share at most `timeout_s + timeout_per_ticket_s` per ticket
of it (generous: a helper judges a ticket in milliseconds), then stops the helper and judges the share itself.
`helper.py` is the helpers' side.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass, field
from itertools import pairwise

import polars as pl
from spacy.tokens import Doc

from qa_engine.rules import helper as helper_side
from qa_engine.rules.loader import RulePack
from qa_engine.scoring.policy import TierPolicy

log = logging.getLogger(__name__)

PROCESSES_ENV = "QA_RULES_PROCESSES"
# more rarely pays, and each helper holds its own pipelines (475-651 MB at its peak, measured)
MAX_DEFAULT_PROCESSES = 4
MIN_SHARE = 50  # tickets: below this, sending a share costs more than evaluating it here
# a helper's share against the parent's: it judged most rules while the parent ran NLP, so it has less left to do
HELPER_WEIGHT = 2
# the first batch this big starts the helpers: a smaller run would not earn back their start (about 6 s of CPU)
START_TICKETS = 400
TIMEOUT_ENV = "QA_RULES_HELPER_TIMEOUT"  # seconds: overrides TIMEOUT_S
# the longest wait for a helper's answer: TIMEOUT_S plus TIMEOUT_PER_TICKET_S for each ticket of its share. A helper
# builds a share's Docs and judges it at about 2 ms a ticket, and loads its pipelines in about 6 s: 60 times that
TIMEOUT_S = 120.0
TIMEOUT_PER_TICKET_S = 0.1


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
    return min(MAX_DEFAULT_PROCESSES, usable_cores())


def default_timeout() -> float:
    """The fixed part of the wait for a helper's answer: $QA_RULES_HELPER_TIMEOUT seconds, else TIMEOUT_S."""
    given = os.environ.get(TIMEOUT_ENV)
    if given:
        try:
            return max(0.0, float(given))
        except ValueError:
            log.warning("%s=%r is not a number of seconds; using %s", TIMEOUT_ENV, given, TIMEOUT_S)
    return TIMEOUT_S


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one, as on Linux; else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


@dataclass
class Shares:
    """One batch split for the rules and tier stages: the parent's share and each helper's, with their Docs."""

    key: int
    ticket_bounds: list[tuple[int, int]]  # row ranges of `tickets`, share by share; the parent's first
    turn_rows: list[pl.Series]  # the rows of `turns` in each share, in order
    helpers: list[ProcessPoolExecutor]  # the helper of each share after the first
    loaded: list[Future]  # each helper's `helper.load`
    prepared: list[Future]  # each helper's `helper.judge_before_affect` for its share
    judged_there: list[bool] = field(default_factory=list)  # whether each helper evaluated its share's rules


class ParallelRules:
    """Split batches' rules and tier stages across this process and `processes - 1` helpers (module docstring)."""

    def __init__(
        self,
        pack: RulePack,
        policy: TierPolicy,
        processes: int,
        min_share: int = MIN_SHARE,
        start_tickets: int = START_TICKETS,
        timeout_s: float | None = None,
        timeout_per_ticket_s: float = TIMEOUT_PER_TICKET_S,
    ) -> None:
        self.pack = pack
        self.policy = policy
        self.processes = processes
        self.min_share = min_share
        self.start_tickets = start_tickets
        self.timeout_s = default_timeout() if timeout_s is None else timeout_s
        self.timeout_per_ticket_s = timeout_per_ticket_s
        self._helpers: list[ProcessPoolExecutor] | None = None  # None: not started; []: not used
        self._loaded: list[Future] = []  # each helper's `helper.load`: the versions it loaded
        self._key = 0
        self.tickets_on_helpers = 0  # how many tickets the helpers evaluated (the rest were evaluated here)

    def start(self, *, wait: bool = True) -> bool:
        """Start the helpers (once); with `wait`, until each has loaded the pack and the spaCy pipelines (a warm-up
        before timing). False when they cannot be used and the rules stage runs here."""
        if self._helpers is None:
            self._helpers = []
            if self.processes < 2:
                return False
            # spawn, not fork: the threads of polars' and torch's pools do not survive a fork
            context = multiprocessing.get_context("spawn")
            self._helpers = [
                ProcessPoolExecutor(1, mp_context=context, initializer=helper_side.without_torch)
                for _ in range(self.processes - 1)
            ]
            self._loaded = [_submit(helper, helper_side.load, self.pack.path) for helper in self._helpers]
        if wait:
            wait_for(self._loaded, timeout=self.timeout_s)  # one still loading then is not used (`_usable`)
        return self._usable()

    def begin(self, tickets: pl.DataFrame, turns: pl.DataFrame) -> Shares | None:
        """Send each helper its share of the batch, to build its Docs and judge the rules that read no affect while
        this process runs NLP and the models; None when the batch is judged here.

        The helpers start with the first batch of `start_tickets` or more (smaller runs never pay for them), and
        in the background: until they have loaded, batches are evaluated here."""
        if tickets.height < 2 * self.min_share or (
            self._helpers is None and tickets.height < self.start_tickets
        ):
            return None
        if not self.start(wait=False):
            return None
        helpers, loaded = self._helpers or [], self._loaded
        while helpers:
            bounds = _bounds(tickets.height, [1] + [HELPER_WEIGHT] * len(helpers))
            if min(end - start for start, end in bounds) >= self.min_share:
                break
            helpers, loaded = helpers[:-1], loaded[:-1]
        else:
            return None
        self._key += 1
        rows = turns.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"), "ticket_id")
        turn_rows = []
        for start, end in bounds:
            ids = tickets["ticket_id"].slice(start, end - start)
            turn_rows.append(rows.filter(pl.col("ticket_id").is_in(ids.implode()))["row"])
        prepared = [
            _submit(
                helper,
                helper_side.judge_before_affect,
                self._key,
                tickets.slice(start, end - start),
                turns[share_rows],
            )
            for helper, (start, end), share_rows in zip(helpers, bounds[1:], turn_rows[1:], strict=True)
        ]
        return Shares(self._key, bounds, turn_rows, helpers, list(loaded), prepared)

    def evaluate(
        self, shares: Shares, tickets: pl.DataFrame, turns: pl.DataFrame, docs: list[Doc]
    ) -> pl.DataFrame:
        """`engine.evaluate` over the batch that `begin` split: each helper's share there (a helper that has loaded
        is waited for: it has judged most rules already), the first share here, and the share of a helper that is
        still loading its pipelines or failed here too."""
        from qa_engine.rules.engine import evaluate

        def share(index: int) -> tuple[pl.DataFrame, pl.DataFrame]:
            start, end = shares.ticket_bounds[index]
            return tickets.slice(start, end - start), turns[shares.turn_rows[index]]

        def there(index: int, helper: ProcessPoolExecutor, loaded: Future, prepared: Future) -> Future | None:
            if not loaded.done():
                return None  # still loading its pipelines: not waited for, the share is judged here sooner
            if prepared.cancelled() or (prepared.done() and prepared.exception() is not None):
                return prepared  # its failure is the share's (`exception()` itself raises on a cancelled one)
            return _submit(helper, helper_side.evaluate, shares.key, *share(index))

        self._usable()  # a helper that loaded another pack must not answer
        sent = [
            there(index, *helper)
            for index, helper in enumerate(
                zip(shares.helpers, shares.loaded, shares.prepared, strict=True), 1
            )
        ]
        frames, there = self._collect(
            [None, *sent],
            lambda index: evaluate(self.pack, *share(index), _pick(docs, shares.turn_rows[index])),
            [end - start for start, end in shares.ticket_bounds],
        )
        shares.judged_there = there[1:]
        for (start, end), helped in zip(shares.ticket_bounds[1:], shares.judged_there, strict=True):
            self.tickets_on_helpers += (end - start) if helped else 0
        return pl.concat(frames)

    def tiers(
        self, shares: Shares, tickets: pl.DataFrame, turns: pl.DataFrame, results: pl.DataFrame
    ) -> pl.DataFrame:
        """`scoring.assign_tiers` over the batch that `evaluate` judged, about the same number of tickets in each
        process: a helper computes the tail of its share (it kept the share's turns and results), the parent its own
        share and the heads of the helpers' (a helper's share is the larger), and every share of a helper that did
        not judge its rules. `tickets` now carry the reasons stage's columns, so both sides first apply the rules'
        scopes (`rules.scopes`; the results may already be scoped: it changes nothing twice)."""
        from qa_engine.rules.scopes import apply_scopes
        from qa_engine.scoring import assign_tiers

        per_ticket = len(self.pack.rules)  # `evaluate` gives every ticket one row per rule, in ticket order
        helpers = len(shares.helpers)
        tail = (1 + HELPER_WEIGHT * helpers) / (HELPER_WEIGHT * (1 + helpers))  # of a helper's share
        ranges: list[tuple[int, int]] = [shares.ticket_bounds[0]]
        pending: list[Future | None] = [None]
        for helper, (start, end), there in zip(
            shares.helpers, shares.ticket_bounds[1:], shares.judged_there, strict=True
        ):
            split = end - round(tail * (end - start)) if there else end
            ranges.append((start, split))
            pending.append(None)
            if split < end:
                ranges.append((split, end))
                pending.append(
                    _submit(helper, helper_side.tiers, shares.key, tickets.slice(split, end - split))
                )

        def here(at: int) -> pl.DataFrame:
            start, end = ranges[at]
            part = tickets.slice(start, end - start)
            part_turns = turns.filter(pl.col("ticket_id").is_in(part["ticket_id"].implode()))
            part_results = apply_scopes(
                self.pack.rules, part, results.slice(start * per_ticket, (end - start) * per_ticket)
            )
            return assign_tiers(part, part_turns, part_results, self.policy, self.pack.covered_languages)

        return pl.concat(self._collect(pending, here, [end - start for start, end in ranges])[0])

    def _collect(
        self, pending: list[Future | None], here: Callable[[int], pl.DataFrame], sizes: list[int]
    ) -> tuple[list[pl.DataFrame], list[bool]]:
        """The frame of every part: computed `here` for the parts without a future (first, while the helpers work),
        then each helper's answer, or `here` when it failed or did not answer within the part's time-out (`sizes`:
        each part's tickets); and for each part, whether a helper's frame was used."""
        frames: list[pl.DataFrame | None] = [
            here(at) if future is None else None for at, future in enumerate(pending)
        ]
        failures: dict[int, str] = {}
        for at, future in enumerate(pending):
            if future is None:
                continue
            limit = self.timeout_s + self.timeout_per_ticket_s * sizes[at]
            try:
                frames[at] = future.result(timeout=limit)
            except TimeoutError:  # stuck: given up below (its process is stopped), the part is computed here
                failures[at] = f"no answer within {limit:.0f} s"
                frames[at] = here(at)
            except Exception as exc:  # the part is computed here instead
                failures[at] = f"{type(exc).__name__}: {exc}"
                frames[at] = here(at)
        if failures:
            self._give_up(f"a helper failed ({next(iter(failures.values()))}); its tickets were scored here")
        used = [future is not None and at not in failures for at, future in enumerate(pending)]
        return [frame for frame in frames if frame is not None], used

    def helper_peak_rss_mb(self) -> list[float]:
        """Each running helper's peak resident memory so far, in MB (for benchmarks: a process reports only its own)."""
        return [helper.submit(helper_side.peak_rss_mb).result() for helper in self._helpers or []]

    def close(self) -> None:
        """Stop the helpers now, even in the middle of a job (they also stop when this process exits)."""
        for helper in self._helpers or []:
            _stop(helper)
        self._helpers = None
        self._loaded = []

    def _usable(self) -> bool:
        """Whether helpers run (a helper that has loaded something else than this pack, or failed to load, ends them)."""
        for future in self._loaded:
            if not future.done():
                continue
            error = future.exception()
            if error is not None:
                self._give_up(f"a helper could not load the rule pack ({type(error).__name__}: {error})")
                break  # giving up cancelled the other helpers' loads: their futures answer nothing more
            if future.result() != (self.pack.version, self.policy.version):
                self._give_up(f"the rule pack at {self.pack.path} changed on disk since it was loaded")
                break
        return bool(self._helpers)

    def _give_up(self, why: str) -> None:
        if self._helpers:
            log.warning("rules stage: %s; running in one process from now on", why)
        self.close()
        self._helpers = []  # not None: never started again


def _submit(helper: ProcessPoolExecutor, fn: Callable, *args: object) -> Future:
    """`helper.submit`, with a helper that already died answering a failed Future instead of raising here."""
    try:
        return helper.submit(fn, *args)
    except Exception as exc:  # BrokenProcessPool, or shut down
        failed: Future = Future()
        failed.set_exception(exc)
        return failed


def _bounds(n: int, weights: list[int]) -> list[tuple[int, int]]:
    """Consecutive row ranges covering range(n), one per weight, their sizes in proportion to the weights."""
    total, edges, running = sum(weights), [0], 0
    for weight in weights:
        running += weight
        edges.append(n * running // total)
    return list(pairwise(edges))


def _stop(helper: ProcessPoolExecutor) -> None:
    """Shut a helper down without waiting for its current job (a pipeline load takes seconds)."""
    processes = list(getattr(helper, "_processes", {}).values())  # the executor has no public way before 3.14
    helper.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


def _pick(docs: list[Doc], rows: pl.Series) -> list[Doc]:
    return [docs[row] for row in rows.to_list()]
