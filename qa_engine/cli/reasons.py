"""`qa reasons fit` and `qa reasons eval`: refit the contact-reason and escalation classifiers, and measure them.

Refit after editing the taxonomy or the signal examples, or after the affect encoder was retrained (its pooled
space moves with its weights); `qa score` refits in memory with a warning when the saved classifier is stale.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from qa_engine.affect.scorer import AffectScorer

app = typer.Typer(
    help="Contact reasons and escalation risk: fit and evaluate the classifiers.", no_args_is_help=True
)

COMMITTED_PRECISION = (
    "fp32"  # the committed classifier is fitted, and its card measured, in fp32 (see `fit_cmd`)
)

RegistryOption = Annotated[
    Path | None, typer.Option("--registry", help="Model registry (default models/registry.yaml).")
]
ModelOption = Annotated[
    list[str] | None,
    typer.Option("--model", help="Override TASK[:LANG]=MODEL for the affect pass (repeatable)."),
]
TaxonomyOption = Annotated[
    Path | None, typer.Option("--taxonomy", help="Taxonomy YAML (default models/reasons/taxonomy.yaml).")
]


def _scorer(registry: Path | None, model: list[str] | None, precision: str | None = None) -> AffectScorer:
    """The registry's affect models; `precision` (fp32, bf16) overrides every model's."""
    from qa_engine.affect.registry import load_registry, parse_overrides
    from qa_engine.affect.scorer import AffectScorer

    loaded = load_registry(registry, parse_overrides(model))
    if precision is not None:
        for spec in loaded.models.values():
            spec.precision = precision
    return AffectScorer(loaded)


@app.command("fit")
def fit_cmd(
    taxonomy: TaxonomyOption = None,
    signals: Annotated[
        Path | None,
        typer.Option("--signals", help="Signal file with escalation examples (default rules/default)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write the classifier (default models/reasons).")
    ] = None,
    registry: RegistryOption = None,
    model: ModelOption = None,
    keep_settings: Annotated[
        bool,
        typer.Option(
            "--keep-settings",
            help="Refit with the settings the current classifier chose (the one in --out, else the committed one) "
            "instead of searching them again: a quick refit after adding examples (about 2 minutes, not 3).",
        ),
    ] = False,
) -> None:
    """Fit both classifiers on the taxonomy's and the signal file's examples (deterministic; about 3 minutes on a quiet 2-core machine for 12,000 examples).

    The examples are encoded in fp32 whatever the registry serves: bf16 (`auto` on CPUs with native bf16) moves
    the vectors with the CPU's kernels and thread count, so a bf16 fit does not reproduce the committed weights
    and version (tests/reasons/test_fit.py checks that this command does)."""
    from qa_engine.reasons.classifier import META, ReasonModel, default_model_dir
    from qa_engine.reasons.fit import Grid, Settings, fit_model
    from qa_engine.reasons.signals import load_signals
    from qa_engine.reasons.taxonomy import load_taxonomy

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    target = out or default_model_dir()
    grid = None
    if keep_settings:
        grid = Grid.only(Settings.of(ReasonModel.load(target if (target / META).is_file() else None)))
    fitted = fit_model(
        load_taxonomy(taxonomy), load_signals(signals), _scorer(registry, model, COMMITTED_PRECISION), grid
    )
    fitted.save(target)
    cv = fitted.meta["cv"]
    per_language = ", ".join(f"{k} {v:.3f}" for k, v in cv["per_language"].items())
    typer.echo(
        f"wrote {target} ({fitted.version}): C={fitted.meta['C']}, keyword weight {fitted.keyword_weight}, "
        f"n-gram weight {fitted.ngrams.weight if fitted.ngrams else 0} (C={fitted.meta.get('ngram_C')}); "
        f"cross-validated reason macro-F1 {cv['reason_macro_f1']} ({per_language}), "
        f"escalation AUC {cv['escalation_auc']}. Measure it on the held-apart sets with `qa reasons eval`."
    )


@app.command("eval")
def eval_cmd(
    registry: RegistryOption = None,
    model: ModelOption = None,
    reasons_set: Annotated[
        Path | None, typer.Option("--reasons-set", help="Labelled requests (TSV).")
    ] = None,
    escalation_set: Annotated[
        Path | None, typer.Option("--escalation-set", help="Escalating vs ordinary requests (TSV).")
    ] = None,
    encoder_only: Annotated[
        bool,
        typer.Option(
            "--encoder-only", help="Also measure the encoder head alone (no keyword or n-gram evidence)."
        ),
    ] = False,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures as JSON here.")
    ] = None,
    card: Annotated[
        bool,
        typer.Option(
            "--card",
            help="Measure in fp32 (as the committed figures are), write the figures to models/reasons/metrics.json "
            "and regenerate its MODEL_CARD.md.",
        ),
    ] = False,
) -> None:
    """Per-language, per-reason precision/recall/F1 and macro-F1; escalation AUC (models/reasons/eval/)."""
    from qa_engine.affect.training.evaluate import format_reports
    from qa_engine.reasons.evaluate import read_sets

    read_sets(reasons_set, escalation_set)  # a broken set fails in a second, before the models load
    scorer = _scorer(registry, model, COMMITTED_PRECISION if card else None)
    # the card reports the encoder head alone too: without it a regenerated metrics.json silently loses those rows
    reports = evaluate_with(scorer, reasons_set, escalation_set, encoder_only=encoder_only or card)
    typer.echo(format_reports(reports))
    figures = json.dumps([r.as_dict() for r in reports], indent=2) + "\n"
    if json_out:
        json_out.write_text(figures, encoding="utf-8")
    if card:
        from qa_engine.reasons.card import write_card
        from qa_engine.reasons.classifier import default_model_dir

        folder = default_model_dir()
        (folder / "metrics.json").write_text(figures, encoding="utf-8")
        typer.echo(f"wrote {write_card(folder)}")


def evaluate_with(
    scorer: AffectScorer,
    reasons_set: Path | None = None,
    escalation_set: Path | None = None,
    *,
    encoder_only: bool = False,
) -> list:
    """The reasons figures through `scorer` (also used by `qa models eval`); the sets are checked before any
    model loads."""
    from qa_engine.reasons.evaluate import (
        evaluate,
        evaluate_intent_style,
        evaluate_realistic,
        evaluate_tickets,
        evaluate_unseen,
        read_sets,
    )
    from qa_engine.reasons.stage import ReasonsStage

    requests = read_sets(reasons_set, escalation_set)
    stage = ReasonsStage.load(scorer)
    reports = evaluate(stage, scorer, *requests, without_keywords=encoder_only)
    if reasons_set is None:  # the default sets: also the unseen, realistic and whole-conversation sets
        reports += evaluate_unseen(stage, scorer) + evaluate_realistic(stage, scorer)
        reports += evaluate_intent_style(stage, scorer)
        reports += evaluate_tickets(stage, scorer)
    return reports
