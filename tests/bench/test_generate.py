"""The benchmark ticket generator: reproducible, contract-shaped, realistic mixes, and planted problems that are
really in the text (a quality benchmark is only as good as its ground truth)."""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from bench.generate import (
    CHANNEL_WEIGHTS,
    CORPUS_DIR,
    FLAT_COLUMNS,
    LANGUAGE_WEIGHTS,
    PLANTED,
    SLA_SECONDS,
    UPSET_MOODS,
    VERIFIED_TOPICS,
    TicketGenerator,
    flatten_ticket,
    generate_tickets,
    load_corpus,
    luhn_valid,
    write_tickets,
)
from qa_engine.errors import QAError
from qa_engine.schema import CHANNELS, LANGUAGES, SPEAKERS

ROOT = Path(__file__).resolve().parents[2]
N = 2_000


@pytest.fixture(scope="module")
def tickets() -> list[dict[str, Any]]:
    return list(generate_tickets(N, seed=11))


def _ts(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _agent_texts(ticket: dict[str, Any]) -> list[str]:
    return [t["text"] for t in ticket["turns"] if t["speaker"] == "agent"]


def _first_response_s(ticket: dict[str, Any]) -> float | None:
    """CONTRACT.md section 5: first customer turn to the first agent turn after it."""
    turns = ticket["turns"]
    first = next((i for i, t in enumerate(turns) if t["speaker"] == "customer"), None)
    if first is None:
        return None
    reply = next((t for t in turns[first + 1 :] if t["speaker"] == "agent"), None)
    if reply is None:
        return None
    return (_ts(reply["ts"]) - _ts(turns[first]["ts"])).total_seconds()


def _pool(language: str, path: str) -> list[Any]:
    return load_corpus().languages[language].pool(path)


def _template_regex(template: str) -> re.Pattern[str]:
    """A pool template as a regex: its fixed text literally, each slot as 'anything'."""
    parts = re.split(r"\{[a-z_0-9]+\}", template)
    return re.compile(".+?".join(re.escape(p) for p in parts), re.S)


def _uses_pool(texts: list[str], language: str, path: str) -> bool:
    patterns = [_template_regex(t) for t in _pool(language, path)]
    return any(p.search(text) for p in patterns for text in texts)


# --- reproducibility --------------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files_and_other_seeds_do_not(tmp_path: Path) -> None:
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        write_tickets(generate_tickets(300, seed=seed), tmp_path / f"{name}.jsonl", "jsonl")
    a, b, c = ((tmp_path / f"{n}.jsonl").read_bytes() for n in "abc")
    assert a == b
    assert a != c
    # The first k tickets of n are the tickets of k: a short run is a prefix of a long one.
    write_tickets(generate_tickets(120, seed=5), tmp_path / "short.jsonl", "jsonl")
    assert a.startswith((tmp_path / "short.jsonl").read_bytes())


def test_flat_files_are_reproducible_too(tmp_path: Path) -> None:
    for fmt in ("csv", "parquet"):
        write_tickets(generate_tickets(80, seed=2), tmp_path / f"x.{fmt}", fmt)
        write_tickets(generate_tickets(80, seed=2), tmp_path / f"y.{fmt}", fmt)
        assert (tmp_path / f"x.{fmt}").read_bytes() == (tmp_path / f"y.{fmt}").read_bytes()


def test_start_sets_the_first_arrival() -> None:
    start = datetime(2027, 3, 1, 12, tzinfo=UTC)
    first = next(generate_tickets(1, seed=1, start=start))
    assert start < _ts(first["created_at"]) < start + timedelta(hours=1)


# --- the contract's shape ---------------------------------------------------------------------------------------


def test_every_ticket_has_the_contract_shape(tickets: list[dict[str, Any]]) -> None:
    roster = {a.agent_id: a.team for a in load_corpus().agents}
    assert len({t["ticket_id"] for t in tickets}) == N
    for ticket in tickets:
        json.dumps(ticket)  # serialisable as is
        assert ticket["channel"] in CHANNELS and ticket["language"] in LANGUAGES
        assert roster[ticket["agent_id"]] == ticket["team"]
        assert ticket["customer_id"].startswith("c-")
        assert set(ticket["metadata"]) >= {"platform", "market", "order_id"}
        if "csat" in ticket:
            assert type(ticket["csat"]) is int and 1 <= ticket["csat"] <= 5
        turns = ticket["turns"]
        assert 2 <= len(turns) <= 40
        assert ticket["created_at"] == turns[0]["ts"]
        stamps = [_ts(t["ts"]) for t in turns]
        assert stamps == sorted(stamps), ticket["ticket_id"]
        for turn in turns:
            assert turn["speaker"] in SPEAKERS
            assert isinstance(turn["text"], str) and turn["text"].strip()
            assert ("agent_id" in turn) == (turn["speaker"] == "agent")
            if "agent_id" in turn:
                assert roster[turn["agent_id"]] == ticket["team"]
        assert "{" not in "".join(t["text"] for t in turns), "an unfilled slot"
        assert ticket["agent_id"] in {t["agent_id"] for t in turns if t["speaker"] == "agent"}


def test_each_channel_has_its_speakers(tickets: list[dict[str, Any]]) -> None:
    speakers = Counter((t["channel"], turn["speaker"]) for t in tickets for turn in t["turns"])
    assert speakers[("chat", "bot")] and speakers[("chat", "system")]  # virtual assistant, hand-over notes
    assert not speakers[("email", "bot")] and not speakers[("phone", "bot")]
    phone = [t for t in tickets if t["channel"] == "phone"]
    assert all(t["turns"][0]["speaker"] == "agent" for t in phone)  # the agent picks up the call


# --- realistic mixes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "weights"), [("language", LANGUAGE_WEIGHTS), ("channel", CHANNEL_WEIGHTS)])
def test_language_and_channel_mix_within_tolerance(
    tickets: list[dict[str, Any]], field: str, weights: dict[str, float]
) -> None:
    counts = Counter(t[field] for t in tickets)
    total = sum(weights.values())
    for value, weight in weights.items():
        assert counts[value] / N == pytest.approx(weight / total, abs=0.035), (value, counts)
    assert set(counts) == set(weights)


def test_turn_counts_average_about_ten_mostly_four_to_fourteen(tickets: list[dict[str, Any]]) -> None:
    lengths = [len(t["turns"]) for t in tickets]
    assert 8 <= statistics.mean(lengths) <= 12
    assert sum(4 <= n <= 14 for n in lengths) / N > 0.7
    assert min(lengths) >= 2 and max(lengths) <= 40 and max(lengths) > 20  # a long tail exists


def test_fifty_agents_in_five_teams_share_the_load(tickets: list[dict[str, Any]]) -> None:
    teams = Counter(t["team"] for t in tickets)
    assert len(teams) == 5
    assert all(0.14 < n / N < 0.26 for n in teams.values()), teams
    agents = {turn["agent_id"] for t in tickets for turn in t["turns"] if "agent_id" in turn}
    assert len(agents) == 50


def test_about_ten_percent_are_repeat_contacts_within_seven_days(tickets: list[dict[str, Any]]) -> None:
    last_seen: dict[str, datetime] = {}
    by_id = {t["ticket_id"]: t for t in tickets}
    repeats = 0
    for ticket in tickets:
        started = _ts(ticket["created_at"])
        previous = last_seen.get(ticket["customer_id"])
        follow_up = ticket["metadata"]["bench"]["follow_up_to"]
        if previous is not None:
            assert timedelta(0) < started - previous <= timedelta(days=7)
            repeats += 1
            earlier = by_id[follow_up]
            assert earlier["customer_id"] == ticket["customer_id"]
            assert earlier["language"] == ticket["language"]
        else:
            assert follow_up is None
        last_seen[ticket["customer_id"]] = started
    assert 0.07 <= repeats / N <= 0.13


def test_channel_typical_timing(tickets: list[dict[str, Any]]) -> None:
    def median_first_response(channel: str) -> float:
        return statistics.median(
            s for t in tickets if t["channel"] == channel and (s := _first_response_s(t)) is not None
        )

    assert 10 <= median_first_response("chat") <= 120  # seconds
    assert 5 * 60 <= median_first_response("social") <= 60 * 60  # minutes
    assert 2 * 3600 <= median_first_response("email") <= 24 * 3600  # hours

    def median_gap(channel: str) -> float:
        gaps = [
            (_ts(b["ts"]) - _ts(a["ts"])).total_seconds()
            for t in tickets
            if t["channel"] == channel
            for a, b in zip(t["turns"], t["turns"][1:], strict=False)
        ]
        return statistics.median(gaps)

    assert median_gap("phone") <= 15  # a transcript: seconds apart
    assert median_gap("phone") < median_gap("chat") < median_gap("social") < median_gap("email")


def test_texts_vary_and_customers_vary_more_than_agents(tickets: list[dict[str, Any]]) -> None:
    def distinct_share(speaker: str) -> float:
        texts = [turn["text"] for t in tickets for turn in t["turns"] if turn["speaker"] == speaker]
        return len(set(texts)) / len(texts)

    assert distinct_share("customer") > 0.6
    assert distinct_share("customer") > distinct_share("agent")


def test_lengths_fit_the_channel(tickets: list[dict[str, Any]]) -> None:
    def median_length(channel: str, speaker: str) -> float:
        return statistics.median(
            len(turn["text"]) for t in tickets if t["channel"] == channel for turn in t["turns"]
            if turn["speaker"] == speaker
        )  # fmt: skip

    for speaker in ("customer", "agent"):
        assert median_length("email", speaker) > 2 * median_length("chat", speaker)
    first_emails = [t["turns"][0]["text"] for t in tickets if t["channel"] == "email"]
    assert statistics.median(text.count("\n\n") for text in first_emails) >= 3  # several paragraphs


# --- planted problems: rates, and really in the text --------------------------------------------------------------


def test_planted_problem_rates(tickets: list[dict[str, Any]]) -> None:
    def rate(problem: str, eligible: list[dict[str, Any]]) -> float:
        return sum(problem in t["metadata"]["bench"]["planted"] for t in eligible) / len(eligible)

    upset = [t for t in tickets if t["metadata"]["bench"]["mood_start"] in UPSET_MOODS]
    timed = [t for t in tickets if t["channel"] in SLA_SECONDS]
    verified = [t for t in tickets if t["metadata"]["bench"]["contact_reason"] in VERIFIED_TOPICS]
    assert rate("missing_greeting", tickets) == pytest.approx(0.10, abs=0.03)
    assert rate("no_empathy", upset) == pytest.approx(0.15, abs=0.05)
    assert rate("late_reply", timed) == pytest.approx(0.10, abs=0.03)
    assert 0.005 <= rate("rude_wording", tickets) <= 0.04
    assert 0.002 <= rate("pii_disclosure", tickets) <= 0.025
    assert 0.005 <= rate("refund_before_verification", verified) <= 0.07
    assert {p for t in tickets for p in t["metadata"]["bench"]["planted"]} == set(PLANTED)


def test_late_reply_is_exactly_the_missed_sla(tickets: list[dict[str, Any]]) -> None:
    for ticket in tickets:
        if ticket["channel"] not in SLA_SECONDS:
            assert "late_reply" not in ticket["metadata"]["bench"]["planted"]
            continue
        missed = _first_response_s(ticket) > SLA_SECONDS[ticket["channel"]]
        assert missed == ("late_reply" in ticket["metadata"]["bench"]["planted"]), ticket["ticket_id"]


def test_missing_greeting_means_no_own_name_in_the_first_agent_turn(tickets: list[dict[str, Any]]) -> None:
    corpus = load_corpus()
    agents = {a.agent_id: a for a in corpus.agents}
    for ticket in tickets:
        first = next(t for t in ticket["turns"] if t["speaker"] == "agent")
        name = agents[first["agent_id"]].name_in(corpus.languages[ticket["language"]])
        # Latin names as whole words ("Ren" is not in "current"); CJK text has no spaces between words.
        pattern = (
            re.escape(name) if ticket["language"] in ("zh", "ja") else rf"(?<!\w){re.escape(name)}(?!\w)"
        )
        named = re.search(pattern, first["text"]) is not None
        planted = "missing_greeting" in ticket["metadata"]["bench"]["planted"]
        assert named != planted, (ticket["ticket_id"], first["text"])


def _card_like(text: str) -> list[str]:
    """Digit runs of 13-19 digits, grouped by spaces or dashes or not, that pass the Luhn check (in CJK text a
    number touches the characters around it, so only ASCII letters and digits bound it)."""
    found = []
    for match in re.finditer(r"(?<![0-9A-Za-z-])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z-])", text):
        digits = re.sub(r"\D", "", match.group())
        if luhn_valid(digits):
            found.append(digits)
    return found


def test_pii_disclosure_is_a_card_number_or_password_an_agent_wrote(tickets: list[dict[str, Any]]) -> None:
    password = re.compile(r"(?<![A-Za-z])[A-Za-z]{5,8}[#!$%&*]\d{2,3}(?!\d)")
    for ticket in tickets:
        order = ticket["metadata"]["order_id"] or "\0"
        agent = " ".join(_agent_texts(ticket)).replace(order, "")
        leaked = bool(_card_like(agent)) or password.search(agent) is not None
        assert leaked == ("pii_disclosure" in ticket["metadata"]["bench"]["planted"]), ticket["ticket_id"]


def test_rude_wording_only_where_planted(tickets: list[dict[str, Any]]) -> None:
    for ticket in tickets:
        rude = _uses_pool(_agent_texts(ticket), ticket["language"], "agent.rude")
        assert rude == ("rude_wording" in ticket["metadata"]["bench"]["planted"]), ticket["ticket_id"]


def test_upset_customers_get_empathy_unless_no_empathy_is_planted(tickets: list[dict[str, Any]]) -> None:
    checked = 0
    for ticket in tickets:
        bench = ticket["metadata"]["bench"]
        if bench["mood_start"] not in UPSET_MOODS:
            continue
        empathic = _uses_pool(_agent_texts(ticket), ticket["language"], "agent.empathy")
        assert empathic != ("no_empathy" in bench["planted"]), ticket["ticket_id"]
        checked += 1
    assert checked > N / 4


def test_refunds_and_account_changes_follow_verification_unless_planted(
    tickets: list[dict[str, Any]],
) -> None:
    for ticket in tickets:
        bench = ticket["metadata"]["bench"]
        if bench["contact_reason"] not in VERIFIED_TOPICS:
            continue
        texts, language = _agent_texts(ticket), ticket["language"]
        verified = _uses_pool(texts, language, "agent.verify")
        if "refund_before_verification" in bench["planted"]:
            assert not verified
            assert _uses_pool(texts, language, f"agent.act_now.{bench['contact_reason']}")
        else:
            assert verified, ticket["ticket_id"]


# --- flat files and the CLI -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_flat_files_round_trip_to_the_same_turns(tmp_path: Path, fmt: str) -> None:
    source = list(generate_tickets(150, seed=4))
    path = tmp_path / f"tickets.{fmt}"
    stats = write_tickets(iter(source), path, fmt, chunk_tickets=37)  # several chunks / row groups
    frame = pl.read_csv(path, infer_schema=False) if fmt == "csv" else pl.read_parquet(path)
    expected = [row for ticket in source for row in flatten_ticket(ticket)]
    assert stats.tickets == 150 and stats.turns == len(expected) == frame.height
    assert tuple(frame.columns) == FLAT_COLUMNS
    as_text = {c: (lambda v: None if v is None else str(v)) for c in FLAT_COLUMNS}
    got = [{c: as_text[c](v) for c, v in row.items()} for row in frame.iter_rows(named=True)]
    assert got == [{c: as_text[c](row[c]) for c in FLAT_COLUMNS} for row in expected]
    per_ticket = frame.group_by("ticket_id").agg(
        pl.col("turn_index").cast(pl.Int64).sort().alias("index"),
        *(
            pl.col(c).n_unique().alias(c)
            for c in ("channel", "language", "team", "customer_id", "created_at")
        ),
    )
    for row in per_ticket.iter_rows(named=True):
        assert row["index"] == list(range(len(row["index"])))
        assert all(row[c] == 1 for c in ("channel", "language", "team", "customer_id", "created_at"))
    if fmt == "parquet":
        assert pl.read_parquet_schema(path)["turn_index"] == pl.Int64


def test_cli_writes_the_same_bytes_as_the_api(tmp_path: Path) -> None:
    out = tmp_path / "cli.jsonl"
    done = subprocess.run(
        [
            sys.executable,
            "bench/generate.py",
            "--tickets",
            "40",
            "--seed",
            "3",
            "--format",
            "jsonl",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote 40 tickets" in done.stderr
    write_tickets(generate_tickets(40, seed=3), tmp_path / "api.jsonl", "jsonl")
    assert out.read_bytes() == (tmp_path / "api.jsonl").read_bytes()


def test_cli_bad_count_is_a_one_line_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "bench/generate.py", "--tickets", "-3", "--out", str(tmp_path / "x.jsonl")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("[Q901]") and len(done.stderr.strip().splitlines()) == 1


# --- bad input and bounded memory -------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [-1, 2.5, "10", True])
def test_a_bad_count_is_rejected(count: Any) -> None:
    with pytest.raises(QAError, match=r"\[Q901\]"):
        generate_tickets(count)


def test_a_naive_start_unknown_format_or_unwritable_path_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(QAError, match=r"\[Q904\]"):
        list(generate_tickets(1, start=datetime(2026, 1, 1)))
    with pytest.raises(QAError, match=r"\[Q905\].*xml"):
        write_tickets(generate_tickets(1), tmp_path / "x.xml", "xml")
    with pytest.raises(QAError, match=r"\[Q906\]"):
        write_tickets(generate_tickets(1), tmp_path, "jsonl")  # a folder, not a file


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda text: text.replace("Could you share the order number with me?", "Order {ordr}?"),
            "unknown slots",
        ),
        (lambda text: text.replace("  pushback:", "  pushbacks:"), "customer.pushback: missing"),
        (lambda text: text.replace("months: [January, February,", "months: [February,"), "12 month names"),
        (
            lambda text: text.replace('"Hello {customer}, this is {agent}."', '"Hello {customer}!"'),
            "must use the slots",
        ),
    ],
)
def test_a_broken_corpus_names_the_file_and_the_key(tmp_path: Path, edit: Any, message: str) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, corpus)
    english = corpus / "en.yaml"
    english.write_text(edit(english.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(QAError, match=r"\[Q903\]") as error:
        load_corpus(corpus)
    assert "en.yaml" in str(error.value) and message in str(error.value)


def test_only_a_seven_day_window_of_customers_is_kept() -> None:
    generator = TicketGenerator(seed=1)
    for index in range(300):
        generator.ticket(index)
    assert 0 < len(generator.recent) <= 300
    generator.clock += 8 * 86_400  # a quiet week: everyone before it is out of the repeat window
    generator.ticket(300)
    assert len(generator.recent) == 1
    assert not isinstance(generate_tickets(10**12), list)  # lazy: a huge n costs nothing until iterated
