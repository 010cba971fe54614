"""`qa models ...`: rebuild the embedded default's weights and measure them."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Annotated

import typer

from qa_engine import paths
from qa_engine.cli.options import DEFAULT_DB, DbOption
from qa_engine.cli.reasons import evaluate_with
from qa_engine.cli.tiers import train_satisfaction_cmd
from qa_engine.errors import QAError

app = typer.Typer(help="Train and evaluate the affect models (sentiment, emotion).", no_args_is_help=True)

DEFAULT_OUT = "embedded/affect-e5s6-v1"


@app.command("train")
def train_cmd(
    what: Annotated[
        str,
        typer.Argument(
            help="`affect` (the embedded sentiment/emotion model: public data, then our support sets, then the "
            "second sentiment head), `affect-support` (its last two stages again, from stage one's output kept in "
            "RUN_DIR/stage-one: minutes), `affect-heads` (an experiment: a copy of the "
            "committed model with its sentiment head and per-language offsets refitted on the public data plus "
            "models/affect_support/, minutes; written to --out, default RUN_DIR/model) or `satisfaction` "
            "(dissatisfaction risk)"
        ),
    ] = "affect",
    data: Annotated[
        Path | None,
        typer.Option(
            help="Folder of the public data sets (default $QA_DATA_DIR, else shared/data beside the checkout)"
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Where to write the weights (default models/embedded/affect-e5s6-v1)")
    ] = None,
    run_dir: Annotated[Path, typer.Option(help="Checkpoints; an interrupted run resumes from here")] = Path(
        "training-runs/affect-e5s6-v1"
    ),
    epochs: Annotated[float, typer.Option(help="Passes over the training mix")] = 2.0,
    seed: Annotated[int, typer.Option(help="Seed for sampling, shuffling and initialisation")] = 13,
    from_store: Annotated[
        bool,
        typer.Option(
            "--from-store", help="satisfaction: also fit on the store's tickets with csat or a reviewed tier"
        ),
    ] = False,
    db: DbOption = DEFAULT_DB,  # satisfaction: the store --from-store reads
    store_weight: Annotated[
        float, typer.Option(help="satisfaction: weight of a store ticket against a public dialogue")
    ] = 3.0,
    evaluate: Annotated[
        bool, typer.Option("--eval/--no-eval", help="satisfaction: score STC-3 dev end to end afterwards")
    ] = True,
) -> None:
    """Fine-tune the embedded affect model (seeded, resumable; ~80 min on 2 CPU cores: public data, own support
    sets, second sentiment head), refit a candidate copy of its sentiment head (`affect-heads`, ~2 min with its
    feature cache; measure it with `qa models eval --registry` before adopting it), or fit the satisfaction model
    on STC-3 and, with --from-store, the store's own labelled tickets (~7 min the first time, then seconds)."""
    if what == "satisfaction":
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
        train_satisfaction_cmd(data, out, from_store, db, store_weight, evaluate)
        return
    if what not in ("affect", "affect-support", "affect-heads"):
        raise typer.BadParameter(
            f"unknown model '{what}': use affect, affect-support, affect-heads or satisfaction",
            param_hint="WHAT",
        )

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if what == "affect-heads":
        from qa_engine.affect.training.heads import SUPPORT_DIR, HeadConfig, refit_heads

        target = out or run_dir / "model"
        if target.resolve() != (paths.models_dir() / DEFAULT_OUT).resolve():
            shutil.copytree(paths.models_dir() / DEFAULT_OUT, target, dirs_exist_ok=True)
        refit_heads(data, target, paths.models_dir() / SUPPORT_DIR, run_dir / "heads", HeadConfig(seed=seed))
        typer.echo(
            f"wrote {target}; measure it against the committed model before adopting it (docs/affect_heads.md)"
        )
        return

    from qa_engine.affect.training.heads import SUPPORT_DIR
    from qa_engine.affect.training.recipe import build, build_from_stage_one

    target = out or paths.models_dir() / DEFAULT_OUT
    support = paths.models_dir() / SUPPORT_DIR
    if what == "affect-support":
        build_from_stage_one(data, target, run_dir, support, seed=seed)
    else:
        build(data, target, run_dir, support, seed=seed, epochs=epochs)
    typer.echo(f"wrote {target}; run `qa models eval` to measure it")


@app.command("eval")
def eval_cmd(
    data: Annotated[Path | None, typer.Option(help="Folder of the public data sets")] = None,
    registry: Annotated[
        Path | None, typer.Option(help="Model registry (default models/registry.yaml)")
    ] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", help="Override TASK[:LANG]=MODEL (repeatable)")
    ] = None,
    no_quantize: Annotated[
        bool, typer.Option("--no-quantize", help="Measure the fp32 embedded model")
    ] = False,
    precision: Annotated[
        str | None,
        typer.Option(help="Run every model in this precision (auto, fp32, bf16) instead of the registry's"),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures as JSON here")
    ] = None,
    reasons: Annotated[
        bool,
        typer.Option(
            "--reasons/--no-reasons",
            help="Also measure contact reasons and escalation risk (models/reasons/eval)",
        ),
    ] = True,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="Measure only these affect families (repeatable): goemotions, online_shopping, nlpcc, xlmt, "
            "ja_sanity_own, support_own, reviews_own, plain_reviews_own, demo_mood",
        ),
    ] = None,
) -> None:
    """Per-language, per-class precision/recall/F1 and macro-F1 on the dev splits; with the contact-reason
    figures (per-reason P/R/F1, macro-F1 per language) and the escalation AUC."""
    from qa_engine.affect.registry import load_registry, parse_overrides
    from qa_engine.affect.scorer import AffectScorer
    from qa_engine.affect.training.evaluate import FAMILIES, evaluate, format_reports

    reg = load_registry(registry, parse_overrides(model))
    if no_quantize:
        for spec in reg.models.values():
            spec.quantize = "none"
    if precision is not None:
        from qa_engine.affect.registry import PRECISIONS

        if precision not in PRECISIONS:
            raise QAError("Q204", file="--precision", field=precision, detail="use " + ", ".join(PRECISIONS))
        for spec in reg.models.values():
            spec.precision = precision
    unknown = sorted(set(only or ()) - set(FAMILIES))
    if unknown:
        raise typer.BadParameter(
            f"unknown families {unknown}: use {', '.join(FAMILIES)}", param_hint="--only"
        )
    scorer = AffectScorer(reg)
    reports = evaluate(scorer, data, only=only or FAMILIES)
    if reasons:
        reports += evaluate_with(scorer)  # the same encoder pass the pipeline's reasons stage reads
    typer.echo(format_reports(reports))
    if json_out:
        json_out.write_text(json.dumps([r.as_dict() for r in reports], indent=2) + "\n", encoding="utf-8")
