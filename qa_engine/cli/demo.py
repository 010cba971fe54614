"""`qa demo`: the bundled example tickets scored offline, a summary, and their coaching reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from qa_engine import paths
from qa_engine.cli.score import scored_summary_table


def demo(
    out: Annotated[Path, typer.Option("--out", help="Where results and reports go.")] = Path("out/demo"),
    db: Annotated[Path | None, typer.Option("--db", help="Store (default OUT/qa.duckdb).")] = None,
) -> None:
    """Score the bundled example tickets offline on the embedded default models, print a summary and write the
    coaching reports (OUT/reports/)."""
    from qa_engine.pipeline import ScoreConfig, score_files
    from qa_engine.store import Store

    examples = sorted(str(p) for p in paths.examples_dir().glob("*.jsonl"))
    store_path = db or out / "qa.duckdb"
    summary = score_files(examples, ScoreConfig(db=store_path, out=out, force=True))
    rows = Store(store_path).query(
        "SELECT ticket_id, language, channel, agent_id, tier, dissatisfaction_risk, qa_score, tier_reasons FROM tickets "
        "WHERE run_id = ? ORDER BY CASE tier WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END, ticket_id",
        [summary.run_id],
    )
    table = Table(title=f"qa demo: {rows.height} example tickets")
    # the tier is how the customer came out (risk: predicted dissatisfaction); the score is script compliance
    for col in ("ticket", "lang", "channel", "agent", "tier", "risk", "score", "first reason"):
        table.add_column(col)
    colours = {"red": "red", "yellow": "yellow", "green": "green"}
    for r in rows.iter_rows(named=True):
        reasons = r["tier_reasons"] or []
        table.add_row(
            r["ticket_id"], r["language"], r["channel"], r["agent_id"] or "",
            f"[{colours[r['tier']]}]{r['tier']}[/]",
            "-" if r["dissatisfaction_risk"] is None else f"{r['dissatisfaction_risk']:.2f}",
            f"{r['qa_score']:.0f}", (reasons[0] if reasons else "")[:70],
        )  # fmt: skip
    console = Console()
    console.print(table)
    _demo_highlights(console, Store(store_path), summary.run_id)
    scored_summary_table(summary, "run summary")
    console.print(f"results: {out}/ (tickets.parquet, turns.parquet, rule_results.parquet, quarantine.jsonl)")

    from qa_engine.reports import default_workers, render_all

    done = render_all(store_path, out / "reports", workers=default_workers())
    console.print(
        f"reports: {out / 'reports'}/ ({len(done.agents)} agent and {len(done.teams)} team reports, HTML and PDF; "
        f"open team-all.html)"
    )


def _demo_highlights(console, store, run_id: str, per_category: int = 2) -> None:
    """The demo's tour of the newer judgements: composure, NVC and reply-language failures with what the agent
    could have written instead (rule_results.suggestion), and the tickets in a language no rule covers."""
    import polars as pl

    failed = store.query(
        "SELECT r.category, r.ticket_id, r.rule_id, r.detail, r.suggestion FROM rule_results r "
        "JOIN tickets t USING (ticket_id) WHERE t.run_id = ? AND r.outcome = 'fail' "
        "AND r.category IN ('composure', 'nvc', 'language') AND r.suggestion IS NOT NULL "
        "ORDER BY r.category, r.ticket_id",
        [run_id],
    )
    failed = failed.filter(pl.int_range(pl.len()).over("category") < per_category)
    if failed.height:
        console.print("[bold]Failed composure, NVC and reply-language rules, and what to write instead[/]")
    for r in failed.iter_rows(named=True):
        console.print(f"{r['ticket_id']} {r['rule_id']}: {escape(r['detail'] or '')}")
        console.print(f"  [green]suggestion[/] {escape(r['suggestion'])}")
    uncovered = store.query(
        "SELECT ticket_id, language, tier FROM tickets WHERE run_id = ? AND language_covered = false ORDER BY 1",
        [run_id],
    )
    for r in uncovered.iter_rows(named=True):
        console.print(
            f"{r['ticket_id']}: language not covered: {r['language']} (no rule of the pack reads it; tier {r['tier']})"
        )
