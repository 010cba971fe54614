"""read_inputs end to end on real files: bad records are quarantined with their file, line or rows and reason, and
the good tickets of the same file are still returned."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from qa_engine.validation import summarize

from .support import FIXTURES, read_all

BAD_LINES = FIXTURES / "bad_lines.jsonl"
BAD_ROWS = FIXTURES / "bad_rows.csv"


def good_ticket(ticket_id: str, **fields: object) -> dict:
    return {
        "ticket_id": ticket_id,
        "turns": [
            {"speaker": "customer", "text": "Where is my parcel?", "ts": "2026-11-20T09:00:00Z"},
            {"speaker": "agent", "text": "Hello, this is Ana, let me check.", "ts": "2026-11-20T09:01:00Z"},
        ],
        **fields,
    }


def write_jsonl(path: Path, tickets: list[dict]) -> Path:
    path.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tickets), encoding="utf-8")
    return path


# --- JSON Lines: one bad line of each kind, between good ones -------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason", "detail", "ticket_id"),
    [
        (2, "malformed_json", "Unterminated string", None),
        (3, "invalid_encoding", "NUL byte", None),
        (4, "not_an_object", "JSON array", None),
        (5, "missing_turns", "no turns field", "B-5"),
        (6, "empty_turns", "empty list", "B-6"),
        (7, "turns_not_a_list", "turns is a JSON object", "B-7"),
        (8, "turn_not_an_object", "turns[1] is a JSON string", "B-8"),
        (9, "wrong_type", "turns[0].text is a JSON number", "B-9"),
        (
            11,
            "unknown_speaker",
            "turns[1].speaker 'robot' is not one of customer, agent, bot, system",
            "B-11",
        ),
        (12, "missing_field", "turns[0].text is missing", "B-12"),
        (13, "missing_field", "ticket_id is missing", None),
        (14, "invalid_timestamp", "turns[0].ts '20/11/2026 09:00'", "B-14"),
        (15, "timestamp_backwards", "turns[1].ts '2026-11-20T09:00:00Z' is earlier", "B-15"),
        (16, "invalid_channel", "channel 'fax'", "B-16"),
        (17, "invalid_language", "language 'english'", "B-17"),
        (18, "empty_text", "turns[0].text is empty", "B-18"),
        (20, "duplicate_ticket_id", f"'G-1' was already read from {BAD_LINES} line 1", "G-1"),
    ],
)
def test_each_bad_line_is_quarantined_with_its_reason_and_line(
    line: int, reason: str, detail: str, ticket_id: str | None
) -> None:
    run = read_all([BAD_LINES])
    [record] = run.at(f"line {line}")
    assert (record.source, record.reason, record.ticket_id) == (str(BAD_LINES), reason, ticket_id)
    assert detail in record.detail
    raw_line = BAD_LINES.read_bytes().split(b"\n")[line - 1]
    assert record.record == raw_line.decode("utf-8", errors="backslashreplace").rstrip("\r")


def test_good_tickets_beside_bad_lines_are_returned_and_no_line_is_lost() -> None:
    run = read_all([BAD_LINES])
    assert run.tickets["ticket_id"].to_list() == ["G-1", "G-10", "G-21"]
    assert run.tickets["location"].to_list() == ["line 1", "line 10", "line 21"]
    assert run.turns.group_by("ticket_id").len().sort("ticket_id")["len"].to_list() == [2, 2, 2]
    # Every non-blank line is either a ticket or a quarantine record: nothing is dropped silently.
    lines = [n for n, text in enumerate(BAD_LINES.read_bytes().split(b"\n"), 1) if text.strip()]
    seen = set(run.tickets["location"]) | {q.location for q in run.quarantine}
    assert seen == {f"line {n}" for n in lines}
    assert summarize(run.quarantine)["missing_field"] == 2


def test_binary_junk_is_kept_as_escaped_text_so_quarantine_jsonl_stays_valid() -> None:
    [record] = read_all([BAD_LINES]).at("line 3")
    assert "\\xff\\xfe binary junk" in record.record
    json.dumps(record.to_dict())  # serialisable as the contract's quarantine.jsonl line


def test_a_ticket_with_several_problems_gets_one_record_per_reason(tmp_path: Path) -> None:
    ticket = good_ticket("M-1", channel="fax", csat=9)
    ticket["turns"] += [{"speaker": "robot", "text": "x"}, {"speaker": "alien", "text": ""}]
    run = read_all([write_jsonl(tmp_path / "multi.jsonl", [ticket, good_ticket("OK-1")])])
    assert run.reasons("M-1") == {"invalid_channel", "invalid_csat", "unknown_speaker", "empty_text"}
    [speakers] = [q for q in run.quarantine if q.reason == "unknown_speaker"]
    assert speakers.detail == (
        "turns[2].speaker 'robot' is not one of customer, agent, bot, system; "
        "turns[3].speaker 'alien' is not one of customer, agent, bot, system"
    )
    # Quarantined whole: none of its turns is returned; its sibling is.
    assert run.tickets["ticket_id"].to_list() == ["OK-1"]
    assert set(run.turns["ticket_id"]) == {"OK-1"}


def test_a_turn_without_text_goes_to_the_quarantine_alone_and_the_rest_of_its_ticket_is_scored(
    tmp_path: Path,
) -> None:
    # an image sent alone, an empty utterance of an export: the turn says nothing, the conversation still does
    ticket = good_ticket("P-1")
    ticket["turns"][1:1] = [{"speaker": "customer", "text": " "}, {"speaker": "customer", "text": None}]
    run = read_all([write_jsonl(tmp_path / "image.jsonl", [ticket])])
    assert run.tickets["ticket_id"].to_list() == ["P-1"]
    # the turns keep their places in the conversation: evidence still points at the input's turns
    assert run.turns.select("turn_index", "speaker").rows() == [(0, "customer"), (3, "agent")]
    assert [(q.location, q.reason, q.detail) for q in run.quarantine] == [
        ("line 1", "empty_text", "turns[1].text is empty; the ticket's other turns are scored"),
        ("line 1", "missing_field", "turns[2].text is missing; the ticket's other turns are scored"),
    ]
    assert all(q.ticket_id == "P-1" and json.loads(q.record) == ticket for q in run.quarantine)


def test_a_csv_row_without_text_goes_to_the_quarantine_alone(tmp_path: Path) -> None:
    path = tmp_path / "image.csv"
    path.write_text(
        "ticket_id,turn_index,speaker,text\nT-1,1,customer,Where is my order?\nT-1,2,customer,\nT-1,3,agent,On its way.\n",
        encoding="utf-8",
    )
    run = read_all([path])
    assert run.turns.select("ticket_id", "turn_index").rows() == [("T-1", 1), ("T-1", 3)]
    [record] = run.quarantine
    assert (record.location, record.reason, record.ticket_id) == ("rows 1-3", "missing_field", "T-1")
    assert record.detail == "row 2: text is missing; the ticket's other turns are scored"


@pytest.mark.parametrize(
    "turns",
    [
        [{"speaker": "customer", "text": ""}, {"speaker": "agent", "text": "  "}],  # nothing to score
        [{"speaker": "customer", "text": ""}, {"speaker": "robot", "text": "hi"}],  # another rule broken too
    ],
)
def test_a_ticket_without_a_turn_with_text_or_with_another_problem_is_quarantined_whole(
    tmp_path: Path, turns: list[dict]
) -> None:
    run = read_all(
        [write_jsonl(tmp_path / "t.jsonl", [{"ticket_id": "W-1", "turns": turns}, good_ticket("OK")])]
    )
    assert run.tickets["ticket_id"].to_list() == ["OK"]
    assert set(run.turns["ticket_id"]) == {"OK"}
    assert "empty_text" in run.reasons("W-1")
    assert not any("other turns are scored" in q.detail for q in run.quarantine)


def test_a_5_mb_message_is_text_too_long_and_its_siblings_are_kept(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "long.jsonl",
        [good_ticket("S-1"), good_ticket("L-2", turns=[{"speaker": "customer", "text": "x" * 5_000_000}])],
    )
    run = read_all([path])
    [record] = run.quarantine
    assert (record.reason, record.location, record.ticket_id) == ("text_too_long", "line 2", "L-2")
    assert "5,000,000 characters, more than the limit of 1,000,000" in record.detail
    assert run.tickets["ticket_id"].to_list() == ["S-1"]
    assert read_all([path], max_text_chars=5_000_000).tickets["ticket_id"].to_list() == ["S-1", "L-2"]


@pytest.mark.parametrize("csat", [0, 6, 3.5, "good", -1, "4.5"])
def test_a_csat_that_is_not_a_whole_number_from_1_to_5_is_quarantined(tmp_path: Path, csat: object) -> None:
    path = write_jsonl(tmp_path / "csat.jsonl", [good_ticket("C-1", csat=csat), good_ticket("C-2", csat=5)])
    run = read_all([path])
    [record] = run.quarantine
    assert (record.reason, record.location, record.ticket_id) == ("invalid_csat", "line 1", "C-1")
    assert run.tickets.select("ticket_id", "csat").rows() == [("C-2", 5)]


@pytest.mark.parametrize(("csat", "value"), [(1, 1), (4.0, 4), ("3", 3), (None, None)])
def test_a_whole_csat_is_read_as_an_integer(tmp_path: Path, csat: object, value: int | None) -> None:
    run = read_all([write_jsonl(tmp_path / "csat.jsonl", [good_ticket("C-1", csat=csat)])])
    assert run.quarantine == []
    assert run.tickets["csat"].to_list() == [value]


@pytest.mark.parametrize(("escalated", "value"), [(True, True), (False, False), ("true", True), (None, None)])
def test_escalated_is_read_as_a_boolean(tmp_path: Path, escalated: object, value: bool | None) -> None:
    run = read_all([write_jsonl(tmp_path / "esc.jsonl", [good_ticket("E-1", escalated=escalated)])])
    assert run.quarantine == []
    assert run.tickets["escalated"].to_list() == [value]


@pytest.mark.parametrize("escalated", ["yes", "maybe", 1, [True]])
def test_an_escalated_that_is_not_true_or_false_is_quarantined(tmp_path: Path, escalated: object) -> None:
    path = write_jsonl(tmp_path / "esc.jsonl", [good_ticket("E-1", escalated=escalated), good_ticket("E-2")])
    run = read_all([path])
    [record] = run.quarantine
    assert record.reason in {"invalid_escalated", "wrong_type"} and "escalated" in record.detail
    assert (record.location, record.ticket_id) == ("line 1", "E-1")
    assert run.tickets["ticket_id"].to_list() == ["E-2"]


def test_escalated_in_a_flat_file_agrees_across_rows_and_reads_1_and_0(tmp_path: Path) -> None:
    path = tmp_path / "esc.csv"
    path.write_text(
        "ticket_id,turn_index,speaker,text,escalated\n"
        "A,0,customer,hi,1\nA,1,agent,hello,1\nB,0,customer,hi,false\nB,1,agent,hello,\n"
        "C,0,customer,hi,true\nC,1,agent,hello,false\n",
        encoding="utf-8",
    )
    run = read_all([path])
    assert run.tickets.select("ticket_id", "escalated").rows() == [("A", True), ("B", False)]
    [record] = run.quarantine
    assert (record.ticket_id, record.reason) == (
        "C",
        "ticket_fields_disagree",
    ) and "escalated" in record.detail


def test_a_ticket_without_escalated_keeps_the_content_hash_it_had_before_the_field(tmp_path: Path) -> None:
    """Stores scored before `escalated` existed must not re-score every ticket after the upgrade."""
    from qa_engine.sources.canonical import content_hashes

    run = read_all(
        [write_jsonl(tmp_path / "a.jsonl", [good_ticket("H-1"), good_ticket("H-2", escalated=True)])]
    )
    hashes = run.tickets["content_hash"].to_list()
    without = content_hashes(run.tickets.drop("escalated"), run.turns).to_list()
    assert hashes[0] == without[0] and hashes[1] != without[1]


def test_a_ticket_id_seen_twice_across_files_keeps_the_first(tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [good_ticket("T-1")])
    second = tmp_path / "b.csv"
    second.write_text(
        "ticket_id,turn_index,speaker,text\nT-2,0,customer,hi\nT-1,0,customer,again\nT-1,1,agent,hello\n",
        encoding="utf-8",
    )
    run = read_all([first, second])
    [record] = run.quarantine
    assert (record.source, record.location, record.reason) == (str(second), "rows 2-3", "duplicate_ticket_id")
    assert record.detail == f"ticket_id 'T-1' was already read from {first} line 1"
    assert json.loads(record.record)[0] == {
        "ticket_id": "T-1",
        "turn_index": "0",
        "speaker": "customer",
        "text": "again",
    }
    assert run.tickets.select("ticket_id", "source").rows() == [("T-1", str(first)), ("T-2", str(second))]
    assert run.turns.filter(pl.col("ticket_id") == "T-1")["text"].to_list() == [
        "Where is my parcel?",
        "Hello, this is Ana, let me check.",
    ]


def test_a_ticket_id_seen_twice_across_batches_of_one_file_keeps_the_first(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "dupes.jsonl", [good_ticket(f"T-{n}") for n in (1, 2, 3)] + [good_ticket("T-1")]
    )
    run = read_all([path], batch_tickets=1)
    assert run.tickets["ticket_id"].to_list() == ["T-1", "T-2", "T-3"]
    assert [(q.location, q.reason) for q in run.quarantine] == [("line 4", "duplicate_ticket_id")]


def test_a_corrected_copy_after_a_quarantined_one_is_accepted(tmp_path: Path) -> None:
    broken = good_ticket("T-1", channel="fax")
    run = read_all([write_jsonl(tmp_path / "retry.jsonl", [broken, good_ticket("T-1")])])
    assert [(q.location, q.reason) for q in run.quarantine] == [("line 1", "invalid_channel")]
    assert run.tickets.select("ticket_id", "location").rows() == [("T-1", "line 2")]


def test_the_same_file_twice_or_through_a_glob_is_read_once(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "b.jsonl", [good_ticket("T-2")])
    path = write_jsonl(tmp_path / "a.jsonl", [good_ticket("T-1")])
    run = read_all([path, str(tmp_path / "*.jsonl")])
    assert run.quarantine == []
    assert run.tickets.select("ticket_id", "source").rows() == [
        ("T-1", str(path)),
        ("T-2", str(tmp_path / "b.jsonl")),
    ]


# --- flat files ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "reason", "detail", "ticket_id"),
    [
        (
            "rows 2, 4",
            "ticket_fields_disagree",
            "channel has 'chat', 'email'; team has 'EU-1', 'EU-2'",
            "D-2",
        ),
        ("rows 5-6", "malformed_row", "row 6: has 11 fields, the header has 9", "R-3"),
        ("row 7", "invalid_encoding", "row 7: holds bytes that are not UTF-8 text", "E-4"),
        ("rows 8-9", "duplicate_turn_index", "row 8: turn_index 0 is used by 2 rows", "I-5"),
        ("row 10", "invalid_turn_index", "row 10: turn_index 'zero' is not a whole number", "X-6"),
    ],
)
def test_each_bad_csv_ticket_is_quarantined_with_its_rows(
    location: str, reason: str, detail: str, ticket_id: str
) -> None:
    run = read_all([BAD_ROWS])
    [record] = run.at(location)
    assert (record.source, record.reason, record.ticket_id) == (str(BAD_ROWS), reason, ticket_id)
    assert detail in record.detail
    rows = json.loads(record.record)
    assert {row["ticket_id"] for row in rows} == {ticket_id}


def test_good_csv_tickets_beside_bad_ones_are_returned() -> None:
    run = read_all([BAD_ROWS])
    assert run.tickets.select("ticket_id", "location", "channel", "team").rows() == [
        ("G-1", "rows 1, 3", "chat", "EU-1"),
        ("G-7", "row 11", "email", "EU-2"),
    ]
    assert run.turns.filter(pl.col("ticket_id") == "G-1")["text"].to_list() == [
        "Where is my parcel?",
        "On its way.",
    ]


def test_ticket_fields_given_on_one_row_only_do_not_disagree(tmp_path: Path) -> None:
    path = tmp_path / "sparse.csv"
    path.write_text(
        "ticket_id,turn_index,speaker,text,channel,team\nT-1,0,customer,hi,email,EU-1\nT-1,1,agent,hello,,\n",
        encoding="utf-8",
    )
    run = read_all([path])
    assert run.quarantine == []
    assert run.tickets.select("channel", "team").rows() == [("email", "EU-1")]


@pytest.mark.parametrize(
    ("name", "delimiter"),
    [("excel-de.csv", ";"), ("export.csv", "\t"), ("export.tsv", "\t"), ("pipes.csv", "|")],
)
def test_a_flat_file_separated_otherwise_than_by_commas_is_read_by_its_header(
    tmp_path: Path, name: str, delimiter: str
) -> None:
    path = tmp_path / name
    rows = [
        ["ticket_id", "turn_index", "speaker", "text", "channel"],
        ["T-1", "0", "customer", '"Bonjour, où est ma commande ; elle a 3 jours de retard"', "email"],
        ["T-1", "1", "agent", "Bonjour, je regarde.", ""],
        ["T-2", "0", "customer", "Hallo", "chat"],
    ]
    path.write_bytes(
        b"\xef\xbb\xbf" + "\r\n".join(delimiter.join(row) for row in rows).encode("utf-8") + b"\r\n"
    )
    run = read_all([path])
    assert run.quarantine == []
    assert run.tickets.select("ticket_id", "channel").rows() == [("T-1", "email"), ("T-2", "chat")]
    assert run.turns["text"].to_list()[0] == "Bonjour, où est ma commande ; elle a 3 jours de retard"


def test_a_ragged_row_of_a_semicolon_file_quarantines_its_ticket(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(
        "ticket_id;turn_index;speaker;text\nA;0;customer;hi\nB;0;customer;hi;extra\n", encoding="utf-8"
    )
    run = read_all([path])
    assert run.tickets["ticket_id"].to_list() == ["A"]
    assert [(q.reason, q.ticket_id) for q in run.quarantine] == [("malformed_row", "B")]


def test_a_csv_row_with_a_nul_byte_quarantines_its_ticket(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(
        b"ticket_id,turn_index,speaker,text\nT-1,0,customer,ok\nT-2,0,customer,bad\x00byte\nT-2,1,agent,x\n"
    )
    run = read_all([path])
    assert [(q.location, q.reason, q.ticket_id) for q in run.quarantine] == [
        ("rows 2-3", "invalid_encoding", "T-2")
    ]
    assert run.tickets["ticket_id"].to_list() == ["T-1"]


def test_lone_surrogate_escapes_are_replaced_and_the_ticket_kept(tmp_path: Path) -> None:
    line = (
        '{"ticket_id": "S-1", "turns": [{"speaker": "customer", "text": "bad \\ud800 text \\ud83d\\ude00"}]}'
    )
    file = tmp_path / "surrogates.jsonl"
    file.write_text(line + "\n", encoding="utf-8")
    run = read_all([file])
    assert run.quarantine == []
    assert run.turns["text"].to_list() == ["bad \ufffd text \U0001f600"]


# --- exports as they come: rich text, dates without times, the header as a spreadsheet writes it ----------------


def test_a_turn_sent_as_html_is_kept_as_its_text_and_a_chat_with_angle_brackets_is_not(
    tmp_path: Path,
) -> None:
    html = good_ticket("H-1")
    html["turns"][0]["text"] = (
        "<p>Hello,</p><p>This is the <b>third</b> time I&#39;m writing&nbsp;&mdash; where?<br>Bye</p>"
    )
    chinese = good_ticket("H-2", language="zh")
    chinese["turns"][0]["text"] = (
        '<html><body><div style="font-family:SimSun">你好，<br>我非常生气！</div></body></html>'
    )
    chat = good_ticket("H-3")
    chat["turns"][0]["text"] = "I <3 it, but is a <b c?"
    run = read_all([write_jsonl(tmp_path / "in.jsonl", [html, chinese, chat])])
    first = dict(run.turns.filter(pl.col("turn_index") == 0).select("ticket_id", "text").rows())
    assert first["H-1"] == "Hello,\n\nThis is the third time I'm writing — where?\nBye"
    assert first["H-2"] == "你好，\n我非常生气！"
    assert first["H-3"] == "I <3 it, but is a <b c?"


def test_a_date_without_a_time_is_no_time_stamp(tmp_path: Path) -> None:
    # read as midnight it made every reply instant and, after timed turns, went "backwards"
    dated = good_ticket("D-1")
    for turn in dated["turns"]:
        turn["ts"] = "2026-11-22"
    mixed = good_ticket("D-2")
    mixed["turns"].append({"speaker": "customer", "text": "thanks", "ts": "2026-11-20"})
    run = read_all([write_jsonl(tmp_path / "in.jsonl", [dated, mixed])])
    assert run.quarantine == []
    assert run.turns["ts"].is_null().to_list() == [True, True, False, False, True]


def test_a_spreadsheet_header_and_an_unanswered_tickets_assignee_are_read(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Ticket_ID;Turn Index;Speaker;Text;Agent_ID\n"
        "C-1;0;customer;Nobody answers me;a-en-9\n"
        "C-2;0;customer;Hello;a-en-9\nC-2;1;agent;Hi, Ana here;a-en-3\n",
        encoding="utf-8",
    )
    run = read_all([path])
    assert run.quarantine == []
    # the assignee on the row of a ticket nobody answered owns it; a ticket with agent turns keeps their author
    assert run.tickets.select("ticket_id", "agent_id").rows() == [("C-1", "a-en-9"), ("C-2", "a-en-3")]
