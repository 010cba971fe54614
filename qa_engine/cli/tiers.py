"""`qa models train satisfaction` and `qa tiers calibrate`: a team's own labels make the model and the tiers theirs."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from qa_engine.cli.options import DEFAULT_DB, DbOption
from qa_engine.errors import QAError
from qa_engine.store.location import StoreUrl

app = typer.Typer(
    help="Calibrate the tier policy from a store's CSAT and reviewed tiers.", no_args_is_help=True
)


def train_satisfaction_cmd(
    data: Path | None,
    out: Path | None,
    from_store: bool,
    db: Path | StoreUrl,
    store_weight: float,
    evaluate: bool,
) -> None:
    """Fit the satisfaction model (called by `qa models train satisfaction`); `db` is read only with `from_store`."""
    from qa_engine.affect.training.datasets import data_dir
    from qa_engine.satisfaction.model import default_model_dir
    from qa_engine.satisfaction.train import train_satisfaction

    logging.getLogger("qa_engine").setLevel(logging.INFO)
    try:
        folder = data_dir(data)
    except QAError:
        if not from_store:
            raise
        folder = None  # no public data: the store's own labels alone
    target = out or default_model_dir()
    store = db if from_store else None
    model, metrics = train_satisfaction(folder, target, db=store, store_weight=store_weight,
                                        cache=Path("training-runs/satisfaction"))  # fmt: skip
    if evaluate and folder is not None:
        from qa_engine.satisfaction.evaluate import evaluate_dev

        metrics += evaluate_dev(folder, target)
    if evaluate:
        from qa_engine.satisfaction.owncheck import evaluate_own_sets

        metrics += evaluate_own_sets(model_dir=target)
    if metrics:
        (target / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    typer.echo(f"wrote {target} ({model.version}; trained on {json.dumps(model.meta['sources'])})")
    for row in metrics:
        typer.echo(f"  {row['name']:<45} {row['metric']:<24} {row['value']}")


@app.command("calibrate")
def calibrate_cmd(
    db: DbOption = DEFAULT_DB,
    rules: Annotated[
        Path | None, typer.Option(help="Rule pack whose tiers.yaml to calibrate (default rules/default)")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the agreement, write nothing")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Choose the dissatisfaction thresholds of the tier policy from stored tickets that carry csat or a reviewed
    tier; print Cohen's kappa and the confusion before and after, and write them into the pack's tiers.yaml."""
    from qa_engine.scoring.calibrate import TIERS, calibrate

    result = calibrate(db, rules, write=not dry_run)
    if json_out:
        typer.echo(
            json.dumps(
                {
                    **result.as_dict(),
                    "written": not dry_run and result.thresholds_after != result.thresholds_before,
                }
            )
        )
        return
    typer.echo(f"labelled tickets: {result.labelled['reviews']} by review, {result.labelled['csat']} by csat")
    for name, agreement, chosen in (
        ("before", result.before, result.thresholds_before),
        ("after", result.after, result.thresholds_after),
    ):
        typer.echo(
            f"{name}: kappa {agreement.kappa:.3f}, {agreement.agree}/{agreement.n} agree; "
            f"thresholds red {_fmt(chosen['red'])}, yellow {_fmt(chosen['yellow'])}"
        )
        typer.echo("  labels \\ machine  " + "  ".join(f"{t:>6}" for t in TIERS))
        for tier, row in zip(TIERS, agreement.confusion, strict=True):
            typer.echo(f"  {tier:<16} " + "  ".join(f"{v:>6}" for v in row))
    if dry_run or result.thresholds_after == result.thresholds_before:
        typer.echo("nothing written" + (" (--dry-run)" if dry_run else ": the current thresholds agree best"))
    else:
        typer.echo(f"wrote {result.policy_file}; run `qa rescore` to re-tier stored tickets")


def _fmt(value: float | None) -> str:
    return "-" if value is None else ("off" if value > 1 else f"{value:.2f}")
