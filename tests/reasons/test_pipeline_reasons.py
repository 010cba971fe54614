"""Key issues through `score_files`: the contract's columns in tickets.parquet, the stage's timing, and repeat
contacts found in the same batch and across runs (the store), on the bundled example tickets."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from qa_engine import paths
from qa_engine.pipeline import Engine, ScoreConfig, score_files
from qa_engine.reasons import REASONS
from qa_engine.store import Store

pytestmark = pytest.mark.slow

EXAMPLES = [json.loads(line) for line in (paths.examples_dir() / "tickets.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(ScoreConfig())


def write(folder: Path, name: str, ids: list[str]) -> Path:
    file = folder / name
    file.write_text(
        "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in EXAMPLES if t["ticket_id"] in ids)
    )
    return file


def repeats(tickets: pl.DataFrame) -> dict[str, str]:
    """ticket -> the earlier ticket its repeat_contact evidence names."""
    out = {}
    for row in tickets.iter_rows(named=True):
        for item in json.loads(row["escalation_evidence"]):
            if item["signal"] == "repeat_contact":
                out[row["ticket_id"]] = item["note"].split(" as ")[1].split(" ")[0]
    return out


def test_every_example_gets_the_key_issue_columns(scored_examples) -> None:
    """On the examples scored once per run (tests/conftest.py)."""
    summary = scored_examples.summary
    tickets = pl.read_parquet(scored_examples.out / "tickets.parquet")
    assert tickets.height == len(EXAMPLES)
    assert set(tickets["contact_reason"]) <= set(REASONS)
    assert tickets["contact_reason_score"].is_between(0, 1).all()
    assert tickets["escalation_risk"].is_between(0, 1).all()
    assert tickets.schema["escalation_signals"] == pl.List(pl.String)
    # whether the customer said the problem is solved: in the file as in the store, some tickets each way
    stored = Store(scored_examples.db).query("SELECT ticket_id, customer_resolved FROM tickets")
    both = tickets.select("ticket_id", "customer_resolved").join(stored, on="ticket_id", suffix="_stored")
    assert (
        both.height == tickets.height
        and (both["customer_resolved"] == both["customer_resolved_stored"]).all()
    )
    assert 0 < tickets["customer_resolved"].sum() < tickets.height
    assert summary.stage_seconds["reasons"] > 0
    # T-1008 comes back about the order of T-1002 four days later (same file, same batch)
    assert repeats(tickets) == {"T-1008": "T-1002", "T-3009": "T-3002", "T-4010": "T-4003"}
    for row in tickets.filter(pl.col("escalation_risk") >= 0.7).iter_rows(named=True):
        assert row["tier"] == "red"
        for signal in row["escalation_signals"]:
            assert any(signal in reason for reason in row["tier_reasons"]), (row["ticket_id"], signal)


def test_repeat_contacts_are_found_across_runs(tmp_path: Path, engine: Engine) -> None:
    db = tmp_path / "qa.duckdb"
    score_files([write(tmp_path, "monday.jsonl", ["T-1002", "T-6002"])], ScoreConfig(db=db), engine=engine)
    out = tmp_path / "out"
    score_files(
        [write(tmp_path, "friday.jsonl", ["T-1008", "T-6009"])], ScoreConfig(db=db, out=out), engine=engine
    )
    tickets = pl.read_parquet(out / "tickets.parquet")
    # T-6009 is the same customer 15 days later about another order: not a repeat contact
    assert repeats(tickets) == {"T-1008": "T-1002"}
    row = tickets.filter(pl.col("ticket_id") == "T-1008").row(0, named=True)
    assert "repeat_contact" in row["escalation_signals"]
    (item,) = [i for i in json.loads(row["escalation_evidence"]) if i["signal"] == "repeat_contact"]
    assert item["text"] == "112-7730561-2048813"  # the order number in the customer's words


def score_chats(tickets: list[dict], tmp_path: Path, engine) -> tuple[dict[str, dict], Path]:
    """The tickets scored through the whole pipeline: their tickets.parquet rows by id, and the --out folder."""
    source = tmp_path / "chats.jsonl"
    source.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tickets), encoding="utf-8")
    out = tmp_path / "out"
    score_files([source], ScoreConfig(db=tmp_path / "qa.duckdb", out=out), engine=engine)
    rows = {r["ticket_id"]: r for r in pl.read_parquet(out / "tickets.parquet").iter_rows(named=True)}
    return rows, out


def test_a_customer_shouting_for_a_person_is_yellow_and_a_bare_closing_is_not(tmp_path: Path, engine) -> None:
    """Through the tiers: "HUMAN!!!" after a bot's useless answer was green (risk 0.24), and a chat answered at once
    and closed with "No, nada más." was yellow on the escalation model's 0.97 for that closing."""
    tickets = [
        {"ticket_id": "B-1", "channel": "chat", "language": "en", "turns": [
            {"speaker": "bot", "text": "Hi! I'm the assistant. What can I do for you?"},
            {"speaker": "customer", "text": "where is my order 123-4567"},
            {"speaker": "bot", "text": "You can track your order in the app under My orders."},
            {"speaker": "customer", "text": "HUMAN!!!"}]},
        {"ticket_id": "B-2", "channel": "chat", "language": "es", "agent_id": "a-9", "turns": [
            {"speaker": "customer", "text": "Hola, quería saber si el pedido 407-1234567 ya salió."},
            {"speaker": "agent", "text": "Hola, soy Ana. Sí, salió ayer y llegará el jueves. ¿Algo más?"},
            {"speaker": "customer", "text": "No, nada más."}]},
    ]  # fmt: skip
    rows, _ = score_chats(tickets, tmp_path, engine)
    assert rows["B-1"]["tier"] == "yellow" and rows["B-1"]["escalation_signals"] == ["manager_request"]
    assert any('"HUMAN!!!"' in reason for reason in rows["B-1"]["tier_reasons"])
    assert rows["B-2"]["tier"] == "green" and rows["B-2"]["escalation_risk"] < 0.1, rows["B-2"][
        "tier_reasons"
    ]


def test_a_bare_no_to_the_agents_question_leaves_a_settled_chat_green(tmp_path: Path, engine) -> None:
    """The model read "Nein, noch nicht." negative 0.89 and angry (the mood "did not recover": yellow) and "还没有。"
    negative 0.58 (an unanswered complaint: yellow); each answers the agent's yes/no question."""
    tickets = [
        {"ticket_id": "N-de", "channel": "chat", "language": "de", "agent_id": "a-1", "turns": [
            {"speaker": "customer", "text": "Meine Rückerstattung für die Schuhe ist noch nicht da."},
            {"speaker": "agent", "text": "Hallo, hier ist Jonas. Die Erstattung wurde gestern angewiesen, sie ist in "
                                         "2-3 Tagen auf Ihrem Konto. Haben Sie die Bestätigungsmail bekommen?"},
            {"speaker": "customer", "text": "Nein, noch nicht."},
            {"speaker": "agent", "text": "Ich schicke sie Ihnen gleich noch einmal. Sonst noch etwas?"},
            {"speaker": "customer", "text": "Nein, danke."}]},
        {"ticket_id": "N-zh", "channel": "chat", "language": "zh", "agent_id": "a-2", "turns": [
            {"speaker": "customer", "text": "你好，订单 20391 买错颜色了，能换成黑色吗？"},
            {"speaker": "agent", "text": "您好，我是小李。已经帮您换成黑色了。请问包裹发货了吗？"},
            {"speaker": "customer", "text": "还没有。"}]},
    ]  # fmt: skip
    rows, out = score_chats(tickets, tmp_path, engine)
    for ticket_id in ("N-de", "N-zh"):
        assert rows[ticket_id]["tier"] == "green", (ticket_id, rows[ticket_id]["tier_reasons"])
    turns = pl.read_parquet(out / "turns.parquet").filter(
        pl.col("text").is_in(["Nein, noch nicht.", "还没有。"])
    )
    assert turns["sentiment"].to_list() == ["neutral", "neutral"]
