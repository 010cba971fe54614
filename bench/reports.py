"""Report benchmark: render every agent's report (and the team reports) for a store of 10,000 scored tickets.

    .venv/bin/python bench/reports.py [--tickets 10000] [--seed 7] [--db PATH] [--out DIR]

Scoring 10,000 tickets with the real models takes hours on two cores, and the reports only read the store, so the
store is filled with synthetic results instead: the tickets and turns come from the seeded generator
(`bench/generate.py`, 50 agents in 5 teams), and their rule outcomes, moods and tiers follow each ticket's planted
problems and moods (`metadata.bench`) plus per-agent slips at the generator's per-agent quality, so agents differ
the way real ones do. Prints the seconds to fill the store and to render, the CPU seconds the rendering took (all
processes), and the load average, because on a shared two-core machine the wall time says as much about the
neighbours as about the reports.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl

from qa_engine import schema

START_MOOD = {"furious": -0.9, "angry": -0.75, "upset": -0.6, "worried": -0.35, "neutral": 0.0, "happy": 0.6}
END_MOOD = {"angry": -0.8, "disappointed": -0.45, "neutral": 0.0, "satisfied": 0.55, "delighted": 0.85}
# rule -> planted problem that fails it; the other rules fail at a base rate scaled by the agent's quality factor
PLANTED_RULES = {
    "greeting_own_name": "missing_greeting", "empathy_when_upset": "no_empathy", "first_response_sla": "late_reply",
    "no_rude_words": "rude_wording", "pii_disclosure": "pii_disclosure",
    "verify_before_account_change": "refund_before_verification",
}  # fmt: skip
SLIP_RATES = {
    "clarifying_question": 0.12, "reassurance_next_step": 0.15, "closing_anything_else": 0.10,
    "closing_thanks": 0.08, "no_blaming_customer": 0.01, "no_not_my_job": 0.01, "reply_sla": 0.05,
}  # fmt: skip
UPSET = {"furious", "angry", "upset", "worried"}
# escalation signals by the customer's mood at the end: (risk, signals); a calm ending has none
ESCALATION = {
    "angry": [
        (0.86, ["chargeback"]),
        (0.78, ["public_review", "repeat_contact"]),
        (0.62, ["manager_request"]),
    ],
    "disappointed": [(0.45, ["repeat_claim"]), (0.2, [])],
}
COACHED_AGENTS = 10  # agents with a coaching session (half of them with practice) in the benchmark's store
VERIFIED_TOPICS = {"returns", "payment", "account"}


def _label(score: float) -> tuple[str, str]:
    sentiment = "negative" if score <= -0.3 else "positive" if score >= 0.3 else "neutral"
    emotion = (
        "anger" if score <= -0.65 else "sadness" if score <= -0.3 else "joy" if score >= 0.3 else "neutral"
    )
    return sentiment, emotion


def _emotion_scores(emotion: str) -> dict[str, float]:
    scores = dict.fromkeys(("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"), 0.05)
    scores[emotion] = 0.7
    return scores


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def synthetic_results(n: int, seed: int, pack) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Tickets, turns and rule results for n generated tickets, as the scorer would store them."""
    from bench.generate import TicketGenerator

    generator = TicketGenerator(seed=seed)
    rng = random.Random(seed)
    rules = [(r.id, r.spec.category, float(r.spec.weight), r.spec.critical) for r in pack]
    tickets, turns, results = [], [], []
    now = datetime.now(UTC)
    for index in range(n):
        raw = generator.ticket(index)
        bench = raw["metadata"]["bench"]
        planted, quality = set(bench["planted"]), generator.quality[raw["agent_id"]]
        start, end = START_MOOD[bench["mood_start"]], END_MOOD[bench["mood_end"]]
        customer_idx = [i for i, t in enumerate(raw["turns"]) if t["speaker"] == "customer"]
        first_agent = next((i for i, t in enumerate(raw["turns"]) if t["speaker"] == "agent"), 0)
        positive = negative = 0
        for i, turn in enumerate(raw["turns"]):
            if turn["speaker"] == "customer":
                k = customer_idx.index(i)
                share = k / max(len(customer_idx) - 1, 1)
                score = max(-1.0, min(1.0, start + (end - start) * share + rng.gauss(0, 0.08)))
                positive += score >= 0.3
                negative += score <= -0.3
            else:
                score = rng.uniform(0.0, 0.4)
            sentiment, emotion = _label(score)
            turns.append({
                "ticket_id": raw["ticket_id"], "turn_index": i, "speaker": turn["speaker"], "text": turn["text"],
                "ts": _parse(turn["ts"]), "agent_id": turn.get("agent_id"), "sentiment": sentiment,
                "sentiment_score": score, "emotion": emotion, "emotion_scores": _emotion_scores(emotion),
                "affect_flag": None,
            })  # fmt: skip
        evidence_text = raw["turns"][first_agent]["text"]
        passed = failed = 0.0
        reasons, evidence = [], []
        for rule_id, category, weight, critical in rules:
            if (
                (rule_id == "empathy_when_upset" and bench["mood_start"] not in UPSET)
                or (
                    rule_id == "verify_before_account_change"
                    and bench["contact_reason"] not in VERIFIED_TOPICS
                )
                or (category == "timeliness" and raw["channel"] == "phone")
            ):
                outcome = "na"
            elif rule_id in PLANTED_RULES:
                outcome = "fail" if PLANTED_RULES[rule_id] in planted else "pass"
            else:
                outcome = "fail" if rng.random() < SLIP_RATES.get(rule_id, 0.05) * quality else "pass"
            span_end = min(len(evidence_text), 40) if critical else len(evidence_text)
            results.append({
                "ticket_id": raw["ticket_id"], "rule_id": rule_id, "outcome": outcome, "critical": critical,
                "category": category, "weight": weight,
                "evidence": {"turn_index": first_agent, "start": 0, "end": span_end, "text": evidence_text[:160],
                             "note": f"{rule_id} in turn {first_agent}"} if outcome == "fail" else None,
                "detail": f"synthetic {outcome}",
            })  # fmt: skip
            passed += weight * (outcome == "pass")
            failed += weight * (outcome == "fail")
            if outcome == "fail" and critical:
                reasons.append(f"critical rule failed: {rule_id}")
                evidence.append(
                    {"reason": f"critical:{rule_id}", "turn_index": first_agent, "start": 0, "end": span_end}
                )
        score = round(100 * passed / (passed + failed), 1) if passed + failed else 100.0
        if bench["mood_end"] == "angry":
            reasons.append("customer ended angry")
        tier = "red" if reasons else "yellow" if score < 80 or "late_reply" in planted else "green"
        created = _parse(raw["created_at"])
        risk, signals = rng.choice(ESCALATION.get(bench["mood_end"], [(0.05, [])]))
        tickets.append({
            "ticket_id": raw["ticket_id"], "agent_id": raw["agent_id"], "team": raw["team"],
            "customer_id": raw["customer_id"], "channel": raw["channel"], "language": raw["language"],
            "language_detected": False, "created_at": created, "started_at": created, "csat": raw.get("csat"),
            "metadata": json.dumps(raw["metadata"]), "source": "bench", "location": f"ticket {index}",
            "content_hash": raw["ticket_id"], "tier": tier, "qa_score": score, "tier_reasons": reasons,
            "tier_evidence": json.dumps(evidence), "customer_sentiment_start": start, "customer_sentiment_end": end,
            "emotional_balance": float(positive - 3 * negative), "n_turns": len(raw["turns"]),
            "rule_pack_version": pack.version, "model_versions": "{}", "run_id": "bench", "scored_at": now,
            "contact_reason": bench["contact_reason"], "contact_reason_score": 0.9, "escalation_risk": risk,
            "escalation_signals": signals,
        })  # fmt: skip
    return (
        pl.DataFrame(tickets, infer_schema_length=None),
        pl.DataFrame(
            turns, schema_overrides={"emotion_scores": schema.EMOTION_SCORES}, infer_schema_length=None
        ),
        pl.DataFrame(results, schema_overrides={"evidence": schema.EVIDENCE}, infer_schema_length=None),
    )


def fill_store(db: Path, n: int, seed: int) -> None:
    from qa_engine import paths
    from qa_engine.rules import load_pack
    from qa_engine.store import Store

    tickets, turns, results = synthetic_results(n, seed, load_pack(paths.rules_dir()))
    store = Store(db)
    store.init()
    store.write_results(tickets, turns, results)
    _coaching_sessions(db, tickets)


def _coaching_sessions(db: Path, tickets: pl.DataFrame) -> None:
    """A session for the first COACHED_AGENTS agents, 14 days before their latest ticket (inside the default
    report period, with a before and an after window to compare); every other one assigns practice, so scenario sets render too."""
    from qa_engine.kpi import add_session

    spans = tickets.group_by("agent_id").agg(last=pl.col("started_at").max())
    for i, row in enumerate(spans.sort("agent_id").head(COACHED_AGENTS).iter_rows(named=True)):
        day = (row["last"] - timedelta(days=14)).date()
        note = "Role-play the closing with your own tickets" if i % 2 == 0 else "Talked through the closing"
        add_session(
            db,
            row["agent_id"],
            day,
            ["closing_anything_else", "clarifying_question"],
            note=note,
            practice=i % 2 == 0,
        )


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, help="store to fill (default: a temporary file)")
    parser.add_argument("--out", type=Path, help="report folder (default: a temporary folder)")
    parser.add_argument("--workers", type=int, help="processes (default: one per core, at most 4)")
    args = parser.parse_args(argv)

    from qa_engine.reports import default_workers, render_all

    with tempfile.TemporaryDirectory(prefix="qa-bench-reports-") as tmp:
        db = args.db or Path(tmp) / "bench.duckdb"
        out = args.out or Path(tmp) / "reports"
        if db.exists():
            print(f"store: {db} (exists, not refilled)")
        else:
            started = time.perf_counter()
            fill_store(db, args.tickets, args.seed)
            print(
                f"store: {args.tickets} synthetic scored tickets written in {time.perf_counter() - started:.1f} s"
            )
        load_before = os.getloadavg()[0]
        cpu_before = _cpu_seconds()
        summary = render_all(db, out, workers=args.workers or default_workers())
        cpu = _cpu_seconds() - cpu_before
        pages = sum(f.pages for f in summary.files)
        print(
            f"render_all: {len(summary.agents)} agent reports + {len(summary.teams)} team reports "
            f"(HTML + PDF, {pages} PDF pages) for {summary.period.label()}\n"
            f"  wall {summary.seconds:.1f} s with {summary.workers} worker process(es), "
            f"{summary.seconds / max(len(summary.files), 1):.2f} s per report\n"
            f"  CPU {cpu:.1f} s in all ({cpu / max(len(summary.files), 1):.2f} s per report); "
            f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after on {os.cpu_count()} cores"
        )


if __name__ == "__main__":
    main()
