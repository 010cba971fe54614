"""Rebuild the embedded default affect model and measure it (Prefect flow; `qa models train` does the same).

The flow is a to-do list: train (seeded, resumable from its checkpoint) -> evaluate on the dev splits -> write the
figures beside the weights for the model card.
"""

from __future__ import annotations

import json
from pathlib import Path

from prefect import flow, task

from qa_engine import paths
from qa_engine.affect.training.heads import SUPPORT_DIR
from qa_engine.affect.training.recipe import build


@task(name="train-affect-model")
def train_model(data: str | None, out: str, run_dir: str, epochs: float, seed: int) -> str:
    """The whole recipe (public data, own support sets, second sentiment head); stage one resumes from `run_dir` if
    a checkpoint is there."""
    support = paths.models_dir() / SUPPORT_DIR
    return str(
        build(Path(data) if data else None, Path(out), Path(run_dir), support, seed=seed, epochs=epochs)
    )


@task(name="evaluate-affect-model")
def evaluate_model(data: str | None, quantize: str, precision: str = "fp32") -> list[dict]:
    """Every dev-split figure of the model card for the embedded model: fp32 or bf16 (`quantize` `none`), or
    dynamic `int8`."""
    from qa_engine.affect.registry import load_registry
    from qa_engine.affect.scorer import AffectScorer
    from qa_engine.affect.training.evaluate import CARD_FAMILIES, evaluate

    registry = load_registry()
    for spec in registry.models.values():
        spec.quantize, spec.precision = quantize, precision
    return [
        r.as_dict()
        for r in evaluate(AffectScorer(registry), Path(data) if data else None, only=CARD_FAMILIES)
    ]


@flow(name="train-models", log_prints=True)
def train_models(
    data: str | None = None,
    out: str | None = None,
    run_dir: str = "training-runs/affect-e5s6-v1",
    epochs: float = 2.0,
    seed: int = 13,
) -> dict:
    """Train, evaluate (fp32, bf16 and int8), and write `metrics.json` beside the weights."""
    target = out or str(paths.models_dir() / "embedded" / "affect-e5s6-v1")
    train_model(data, target, run_dir, epochs, seed)
    figures = {
        "served": "bf16 where the CPU has native bf16 (AVX512-BF16 or AMX), else fp32",
        "fp32": evaluate_model(data, "none"),
        "bf16": evaluate_model(data, "none", "bf16"),
        "int8_dynamic": evaluate_model(data, "int8"),
    }
    Path(target, "metrics.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    for fig in figures["fp32"]:
        print(f"{fig['name']}: {fig['metric']} {fig['value']}")
    return figures


if __name__ == "__main__":
    train_models()
