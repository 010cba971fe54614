"""The whole-conversation evaluation set (models/reasons/eval/tickets_multiturn.*): every conversation labelled once
with a taxonomy sub-reason, and a broken set a one-line error that names the file, line and ids."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from qa_engine.errors import QAError
from qa_engine.reasons.evaluate import read_tickets
from qa_engine.reasons.taxonomy import REASONS, load_taxonomy

HEADER = "ticket_id\tlanguage\treason\tsub_reason\twhy\n"


def test_every_conversation_has_one_label_and_every_reason_is_in_every_language() -> None:
    labelled = read_tickets()
    assert labelled is not None
    assert labelled.tickets["ticket_id"].to_list() == [r.text for r in labelled.labels]
    sub_reasons = set(load_taxonomy().labels)
    assert all(r.sub_reason in sub_reasons and r.sub_reason.split(".")[0] == r.label for r in labelled.labels)
    per = Counter((r.language, r.label) for r in labelled.labels)
    languages = ("en", "zh", "de", "ja", "es", "fr")
    fewest = {lang: min(per[(lang, reason)] for reason in REASONS) for lang in languages}
    assert all(n >= 2 for n in fewest.values()), fewest
    # conversations, not requests: the customer speaks more than once in most of them
    customer_turns = labelled.turns.filter(speaker="customer").group_by("ticket_id").len()
    assert (customer_turns["len"] >= 2).sum() >= 0.8 * labelled.tickets.height


def _write(tmp_path: Path, tickets: list[dict], labels: list[str]) -> Path:
    stem = tmp_path / "set"
    lines = [json.dumps(t) if isinstance(t, dict) else t for t in tickets]
    stem.with_suffix(".jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    stem.with_suffix(".tsv").write_text(HEADER + "".join(row + "\n" for row in labels), encoding="utf-8")
    return stem


TICKET = {
    "ticket_id": "A",
    "language": "en",
    "turns": [{"speaker": "customer", "text": "Where is my parcel?"}],
}


def test_a_conversation_without_a_label_names_its_id(tmp_path: Path) -> None:
    stem = _write(
        tmp_path, [TICKET, {**TICKET, "ticket_id": "B"}], ["A\ten\tlogistics\tlogistics.tracking\t"]
    )
    with pytest.raises(QAError, match=r"Q705.*set\.tsv:1, field 'ticket_id'.*\['B'\]"):
        read_tickets(stem)


def test_a_record_the_validator_refuses_names_its_line(tmp_path: Path) -> None:
    stem = _write(
        tmp_path, [TICKET, {"ticket_id": "B", "turns": []}], ["A\ten\tlogistics\t\t", "B\ten\tother\t\t"]
    )
    with pytest.raises(QAError, match=r"Q705.*set\.jsonl:2"):
        read_tickets(stem)


def test_a_label_outside_the_reasons_names_its_line(tmp_path: Path) -> None:
    stem = _write(tmp_path, [TICKET], ["A\ten\tshipping\t\t"])
    with pytest.raises(QAError, match=r"Q705.*set\.tsv:2, field 'reason'"):
        read_tickets(stem)


def test_no_set_is_no_figures(tmp_path: Path) -> None:
    assert read_tickets(tmp_path / "absent") is None
