"""The embedded affect model's whole recipe, in order: what `qa models train affect` and the training flow run.

1. `train.py`: fine-tune the encoder and both heads on the public data (~70 min on 2 cores; checkpointed, resumes);
   its output is kept in `RUN_DIR/stage-one`, so the later stages can be re-run from it in minutes.
2. `support.py`: continue the encoder on our own support-style sets with a replay of the public mix (~5 min), then
   a second, shorter pass that adds the plainly worded reviews (~2 min).
3. `heads.py`: refit the second sentiment head and the per-language offsets on that encoder (~3 min).

Each stage writes its settings beside the weights (`train_config.json`, `support_config.json`,
`reviews_config.json`, `head_config.json`), so the same data and settings give the same committed files.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace
from pathlib import Path

from qa_engine.affect.embedded import REFIT_FILE
from qa_engine.affect.training.heads import HeadConfig, refit_heads
from qa_engine.affect.training.support import (
    REVIEWS_CONFIG_FILE,
    REVIEWS_PASS,
    SupportConfig,
    continue_on_support,
)
from qa_engine.affect.training.train import TrainConfig, train
from qa_engine.errors import QAError

log = logging.getLogger(__name__)

STAGE_ONE = "stage-one"  # under the run folder: stage one's model


def build(
    data: Path | None, out: Path, run_dir: Path, support: Path, seed: int = 13, epochs: float = 2.0
) -> Path:
    """Run the three stages into `out` (stage one resumes from `run_dir` if it was interrupted)."""
    train(data, run_dir / STAGE_ONE, run_dir, TrainConfig(epochs=epochs, seed=seed))
    return build_from_stage_one(data, out, run_dir, support, seed)


def build_from_stage_one(data: Path | None, out: Path, run_dir: Path, support: Path, seed: int = 13) -> Path:
    """Stages two and three from stage one's kept output in `run_dir`: minutes, for work on the own sets."""
    first = run_dir / STAGE_ONE
    if not (first / "weights.safetensors").exists():
        raise QAError("Q205", path=first)
    shutil.copytree(first, out, dirs_exist_ok=True)
    (out / REFIT_FILE).unlink(missing_ok=True)  # an older second head: the heads stage fits the new one
    continue_on_support(data, out, support, SupportConfig(seed=seed), HeadConfig(seed=seed))
    reviews = replace(REVIEWS_PASS, seed=seed)
    continue_on_support(data, out, support, reviews, HeadConfig(seed=seed), config_file=REVIEWS_CONFIG_FILE)
    refit_heads(data, out, support, run_dir / "heads", HeadConfig(seed=seed))
    log.info("wrote %s", out)
    return out


__all__ = ["STAGE_ONE", "build", "build_from_stage_one"]
