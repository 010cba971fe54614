"""The rules stage on helper processes: the same rows as one process, small runs start no helper, a helper still
loading is not waited for, and a helper that dies or cannot load the pack costs time, never results."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import time
from concurrent.futures import wait
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bench.generate import generate_tickets, write_tickets
from qa_engine import paths
from qa_engine.affect.labels import EMOTIONS, SENTIMENTS
from qa_engine.affect.scorer import AffectArrays, affect_columns
from qa_engine.nlp.language import detect_languages
from qa_engine.nlp.pipelines import make_docs
from qa_engine.rules import RulePack, evaluate, load_pack
from qa_engine.rules.parallel import (
    PROCESSES_ENV,
    TIMEOUT_ENV,
    TIMEOUT_S,
    ParallelRules,
    Shares,
    default_processes,
    default_timeout,
    usable_cores,
)
from qa_engine.rules.scopes import apply_scopes
from qa_engine.scoring import assign_tiers, load_policy
from qa_engine.scoring.policy import TierPolicy
from qa_engine.sources import read_inputs

pytestmark = pytest.mark.slow  # each test starts a helper process that loads every spaCy pipeline


def _batch(tmp_path: Path, n: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """n generated tickets, not in id order (shares must follow the frame's order), their turns with random affect
    (so the tier policy's mood conditions fire too)."""
    source = tmp_path / "tickets.jsonl"
    write_tickets(generate_tickets(n, seed=31), source, "jsonl")
    batch = next(iter(read_inputs([source], batch_tickets=n)))
    tickets = detect_languages(batch.tickets, batch.turns).sample(fraction=1.0, shuffle=True, seed=5)
    rng = np.random.default_rng(5)
    height = batch.turns.height
    affect = AffectArrays(
        rng.dirichlet(np.ones(len(SENTIMENTS)), height).astype(np.float32),
        rng.dirichlet(np.ones(len(EMOTIONS)), height).astype(np.float32),
        [None] * height,
    )
    return tickets, batch.turns.with_columns(affect_columns(affect))


def _split_and_evaluate(
    rules: ParallelRules, tickets: pl.DataFrame, turns: pl.DataFrame, *, ready: bool = True
) -> tuple[Shares, pl.DataFrame]:
    """Split, and (when `ready`) let the helper finish its Docs first, as it does while the parent runs affect."""
    shares = rules.begin(tickets, turns)
    assert shares is not None and len(shares.ticket_bounds) == 2  # the batch really was split
    if ready:
        wait(shares.prepared)
    return shares, rules.evaluate(shares, tickets, turns, make_docs(tickets, turns))


def _tiers(
    tickets: pl.DataFrame, turns: pl.DataFrame, results: pl.DataFrame, pack: RulePack, policy: TierPolicy
) -> pl.DataFrame:
    """The tiers one process gives: the rules' scopes applied, then the policy with the pack's languages."""
    return assign_tiers(
        tickets, turns, apply_scopes(pack.rules, tickets, results), policy, pack.covered_languages
    )


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_pack(paths.rules_dir())


@pytest.fixture(scope="module")
def policy() -> TierPolicy:
    return load_policy(paths.rules_dir())


def test_a_split_batch_gives_exactly_the_rows_and_tiers_of_one_process(
    tmp_path: Path, pack: RulePack, policy: TierPolicy
) -> None:
    tickets, turns = _batch(tmp_path, 240)
    rules = ParallelRules(pack, policy, 2)
    try:
        assert rules.start()
        shares, split = _split_and_evaluate(rules, tickets, turns)
        split_tiers = rules.tiers(shares, tickets, turns, split)
    finally:
        rules.close()
    one = evaluate(pack, tickets, turns, make_docs(tickets, turns))
    assert rules.tickets_on_helpers == 160 and shares.judged_there == [True]  # 2 of 3 parts were there
    assert split.height == tickets.height * len(pack.rules)
    assert split.equals(one)
    assert set(split["outcome"]) == {"pass", "fail", "na"}  # rules of every outcome ran on both sides
    assert split_tiers.equals(_tiers(tickets, turns, one, pack, policy))
    assert set(split_tiers["tier"]) == {"red", "yellow", "green"}


def test_a_small_run_starts_no_helper(tmp_path: Path, pack: RulePack, policy: TierPolicy) -> None:
    tickets, turns = _batch(tmp_path, 240)
    rules = ParallelRules(pack, policy, 2)
    assert rules.begin(tickets, turns) is None  # under the 400 tickets that start the helpers
    anyway = ParallelRules(pack, policy, 2, start_tickets=0)
    assert anyway.begin(tickets.head(99), turns) is None  # 99 // 50: one share
    assert rules._helpers is None and anyway._helpers is None  # nothing was started


def test_a_helper_still_loading_is_not_waited_for(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, pack: RulePack, policy: TierPolicy
) -> None:
    tickets, turns = _batch(tmp_path, 150)
    rules = ParallelRules(pack, policy, 2, start_tickets=100)
    one = evaluate(pack, tickets, turns, make_docs(tickets, turns))
    try:
        with caplog.at_level(logging.WARNING, logger="qa_engine.rules.parallel"):
            # the helper takes seconds to load its pipelines: this batch does not wait for it
            shares, first = _split_and_evaluate(rules, tickets, turns, ready=False)
        assert rules.tickets_on_helpers == 0 and shares.judged_there == [False] and first.equals(one)
        assert not [r for r in caplog.records if r.name == "qa_engine.rules.parallel"]  # late is not failed
        assert rules.start()  # wait until it has loaded
        assert _split_and_evaluate(rules, tickets, turns)[1].equals(one)
        assert rules.tickets_on_helpers == 100  # 2 of 3 parts
    finally:
        rules.close()


def test_a_killed_helper_costs_time_not_results(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, pack: RulePack, policy: TierPolicy
) -> None:
    tickets, turns = _batch(tmp_path, 150)
    one = evaluate(pack, tickets, turns, make_docs(tickets, turns))
    rules = ParallelRules(pack, policy, 2)
    assert rules.start()
    shares = rules.begin(tickets, turns)
    assert shares is not None
    _kill(rules)
    with caplog.at_level(logging.WARNING, logger="qa_engine.rules.parallel"):
        split = rules.evaluate(shares, tickets, turns, make_docs(tickets, turns))
    assert split.equals(one) and rules.tickets_on_helpers == 0
    assert "a helper failed" in caplog.text and "scored here" in caplog.text
    assert rules.tiers(shares, tickets, turns, split).equals(_tiers(tickets, turns, one, pack, policy))
    assert rules.begin(tickets, turns) is None  # one process from now on


def test_a_helper_killed_before_the_tier_stage_costs_time_not_tiers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, pack: RulePack, policy: TierPolicy
) -> None:
    tickets, turns = _batch(tmp_path, 150)
    rules = ParallelRules(pack, policy, 2)
    assert rules.start()
    shares, split = _split_and_evaluate(rules, tickets, turns)
    assert shares.judged_there == [True]
    _kill(rules)
    with caplog.at_level(logging.WARNING, logger="qa_engine.rules.parallel"):
        tiers = rules.tiers(shares, tickets, turns, split)
    assert tiers.equals(_tiers(tickets, turns, split, pack, policy))
    assert "a helper failed" in caplog.text


@pytest.mark.timeout(300)
def test_a_stuck_helper_is_given_up_after_its_time_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, pack: RulePack, policy: TierPolicy
) -> None:
    tickets, turns = _batch(tmp_path, 150)
    one = evaluate(pack, tickets, turns, make_docs(tickets, turns))
    rules = ParallelRules(pack, policy, 2, timeout_s=3.0, timeout_per_ticket_s=0.01)
    assert rules.start()
    shares = rules.begin(tickets, turns)
    assert shares is not None
    wait(shares.prepared)
    helper = rules._helpers[0]
    pid = helper.submit(os.getpid).result()
    helper.submit(time.sleep, 3600)  # the helper runs one job at a time: its share's answer waits behind this
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="qa_engine.rules.parallel"):
        split = rules.evaluate(shares, tickets, turns, make_docs(tickets, turns))
    assert (
        time.monotonic() - started < 60
    )  # 3 s + 0.01 s for each of the helper's 100 tickets, then its share here
    assert split.equals(one) and rules.tickets_on_helpers == 0 and shares.judged_there == [False]
    assert "no answer within 4 s" in caplog.text and "scored here" in caplog.text
    assert rules.begin(tickets, turns) is None  # one process from now on
    _wait_gone(pid)  # the stuck helper was stopped, not left sleeping


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"helper {pid} still runs")


@pytest.mark.parametrize(("given", "want"), [("30", 30.0), ("soon", TIMEOUT_S), ("", TIMEOUT_S)])
def test_time_out_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, given: str, want: float
) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, given)
    assert default_timeout() == want


def _kill(rules: ParallelRules) -> None:
    helper = rules._helpers[0]
    os.kill(helper.submit(os.getpid).result(), signal.SIGKILL)


def test_a_pack_changed_on_disk_is_not_mixed_in(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    pack_dir = tmp_path / "pack"
    shutil.copytree(paths.rules_dir(), pack_dir)
    pack, policy = load_pack(pack_dir), load_policy(pack_dir)
    first = sorted(pack_dir.glob("0*.yaml"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    rules = ParallelRules(pack, policy, 2)
    with caplog.at_level(logging.WARNING, logger="qa_engine.rules.parallel"):
        assert not rules.start()
    assert "changed on disk" in caplog.text
    tickets, turns = _batch(tmp_path, 150)
    assert rules.begin(tickets, turns) is None


@pytest.mark.parametrize(("given", "want"), [("3", 3), ("1", 1), ("0", 1), ("many", 1)])
def test_processes_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, given: str, want: int) -> None:
    monkeypatch.setenv(PROCESSES_ENV, given)
    assert default_processes() == want


def test_processes_default_to_the_usable_cores_at_most_four(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROCESSES_ENV, raising=False)
    assert default_processes() == min(4, usable_cores()) >= 1


def test_kinds_that_read_no_affect_judge_the_same_without_it(tmp_path: Path, pack: RulePack) -> None:
    """What lets a helper judge them before the model pass: with the turns' random affect, or none at all."""
    from qa_engine.rules.engine import judge, prepare, results_frame

    tickets, turns = _batch(tmp_path, 150)
    early = [rule for rule in pack.rules if not rule.kind.reads_affect]
    assert 0 < len(early) < len(pack.rules)  # the default pack's conditional rule reads it
    frames = []
    for given in (turns, turns.select("ticket_id", "turn_index", "speaker", "text", "ts")):
        conversations, frame = prepare(tickets, given, make_docs(tickets, given))
        frames.append(results_frame(early, conversations, judge(early, conversations, frame)))
    assert frames[0].equals(frames[1])
    assert set(frames[0]["outcome"]) == {"pass", "fail", "na"}
