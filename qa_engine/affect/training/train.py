"""Fine-tune the embedded default affect model: seeded, checkpointed, resumable.

The recipe (written to the model card too): the first `layers` transformer layers of multilingual-e5-small, word
embeddings frozen, mean pooling, a sentiment and an emotion head trained jointly with masked cross-entropy (GoEmotions'
multi-label emotions as soft targets), length-bucketed batches, AdamW with linear warm-up and decay. A seeded slice
of each training set is held out as the `tune` split: it picks per-class logit offsets that balance recall (macro-F1
matters here) and is the only data used for choices. The dev splits are only ever measured.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from qa_engine.affect import embedded
from qa_engine.affect.labels import EMOTIONS, SENTIMENTS
from qa_engine.affect.training import datasets
from qa_engine.affect.training.datasets import Example

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    seed: int = 13
    layers: int = 6
    max_length: int = 128
    batch_size: int = 32
    epochs: float = 2.0
    lr_encoder: float = 6e-5
    lr_heads: float = 2e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    online_shopping_sample: int = 12000  # an easy, large set: a sample is enough
    xlmt_repeat: int = 2  # tweets are few per language; see them twice per epoch
    tune_fraction: float = 0.04
    checkpoint_every: int = 200
    threads: int = 2


def _split_tune(examples: list[Example], fraction: float, rng: random.Random) -> tuple[list, list]:
    idx = list(range(len(examples)))
    rng.shuffle(idx)
    cut = int(len(idx) * fraction)
    tune = {i for i in idx[:cut]}
    return [e for i, e in enumerate(examples) if i not in tune], [examples[i] for i in sorted(tune)]


def build_training_set(root: Path, cfg: TrainConfig) -> tuple[list[Example], list[Example]]:
    """(train, tune) examples, seeded: the same data folder and config give the same lists."""
    rng = random.Random(cfg.seed)
    train, tune = [], []
    shopping = datasets.online_shopping(root, "train")
    rng.shuffle(shopping)
    parts = {
        "goemotions": datasets.goemotions(root, "train"),
        "nlpcc": datasets.nlpcc(root, "train"),
        "online_shopping": shopping[: cfg.online_shopping_sample + int(cfg.online_shopping_sample * 0.05)],
        "xlmt": datasets.xlmt(root, "train"),
    }
    for name, examples in parts.items():
        fit, held = _split_tune(examples, cfg.tune_fraction, rng)
        train += fit * (cfg.xlmt_repeat if name == "xlmt" else 1)
        tune += held
    return train, tune


def length_bucketed_batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Length bucketing: shuffle, sort within chunks of 50 batches, cut, shuffle the batch order."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    chunk = batch_size * 50
    batches = []
    for start in range(0, len(idx), chunk):
        part = sorted(idx[start : start + chunk], key=lambda i: lengths[i])
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(ids: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, x in enumerate(ids):
        input_ids[row, : len(x)] = torch.tensor(x)
        mask[row, : len(x)] = 1
    return input_ids, mask


def emotion_class_weights(examples: list[Example]) -> torch.Tensor:
    """Inverse square-root frequency of each emotion: rare classes count more, without exploding."""
    counts = np.ones(len(EMOTIONS))
    for e in examples:
        if e.emotion_dist:
            counts += e.emotion_dist
    weights = (counts.sum() / counts) ** 0.5
    return torch.tensor(weights / weights.mean(), dtype=torch.float32)


@dataclass
class Targets:
    """A training mix as tensors: token ids, the sentiment class (-1: none), the emotion distribution and whether
    there is one, and the emotion classes' loss weights."""

    ids: list[list[int]]
    pad_id: int
    sentiment: torch.Tensor
    emotion: torch.Tensor
    has_emotion: torch.Tensor
    emotion_weights: torch.Tensor

    @classmethod
    def of(cls, examples: list[Example], tok, emotion_weights: torch.Tensor) -> Targets:
        return cls(
            ids=tok.encode_ids([e.text for e in examples]),
            pad_id=tok.pad_id,
            sentiment=torch.tensor([e.sentiment for e in examples]),
            emotion=torch.tensor([e.emotion_dist or [0.0] * len(EMOTIONS) for e in examples]),
            has_emotion=torch.tensor([e.emotion_dist is not None for e in examples]),
            emotion_weights=emotion_weights,
        )

    @property
    def lengths(self) -> list[int]:
        return [len(x) for x in self.ids]


def optimiser(model: nn.Module, lr_encoder: float, lr_heads: float, weight_decay: float, total: int,
              warmup: float) -> tuple[torch.optim.AdamW, torch.optim.lr_scheduler.LambdaLR]:  # fmt: skip
    """AdamW over the trainable parameters (the heads at their own rate), linear warm-up then linear decay."""
    heads = [p for n, p in model.named_parameters() if not n.startswith("encoder.") and p.requires_grad]
    encoder = [p for n, p in model.named_parameters() if n.startswith("encoder.") and p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": encoder, "lr": lr_encoder}, {"params": heads, "lr": lr_heads}], weight_decay=weight_decay
    )
    warm = max(1, int(total * warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    return optimizer, schedule


def training_step(model: nn.Module, targets: Targets, batch: list[int], optimizer, schedule) -> torch.Tensor:
    """One update on `batch` (rows of `targets`): cross-entropy on sentiment plus class-weighted soft cross-entropy
    on emotion, each only where the example has that label."""
    input_ids, mask = collate([targets.ids[i] for i in batch], targets.pad_id)
    _, s_logits, e_logits = model(input_ids, mask)
    b = torch.tensor(batch)
    loss = nn.functional.cross_entropy(s_logits, targets.sentiment[b], ignore_index=-1)
    em = targets.has_emotion[b]
    if em.any():
        logp = torch.log_softmax(e_logits[em], dim=-1)
        target, weights = targets.emotion[b][em], targets.emotion_weights
        loss = loss + (-(target * logp * weights).sum(-1) / (target * weights).sum(-1)).mean()
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    schedule.step()
    return loss


def train(data: Path | None, out: Path, run_dir: Path, cfg: TrainConfig | None = None) -> Path:
    """Train, checkpointing to `run_dir` (an interrupted run resumes there), and write the model to `out`."""
    cfg = cfg or TrainConfig()
    root = datasets.data_dir(data)
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(cfg.threads)
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)

    train_set, tune_set = build_training_set(root, cfg)
    tok = embedded.tokenizer(cfg.max_length)
    targets = Targets.of(train_set, tok, emotion_class_weights(train_set))
    log.info("training examples %d, tune examples %d", len(train_set), len(tune_set))

    model = embedded.AffectNet(cfg.layers)
    steps_per_epoch = math.ceil(len(train_set) / cfg.batch_size)
    total = int(steps_per_epoch * cfg.epochs)
    optimizer, schedule = optimiser(model, cfg.lr_encoder, cfg.lr_heads, cfg.weight_decay, total, cfg.warmup)

    step = 0
    ckpt = run_dir / "checkpoint.pt"
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"], strict=False)
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step = state["step"]
        log.info("resumed from step %d of %d", step, total)

    model.train()
    started, seen = time.time(), 0
    while step < total:
        epoch = step // steps_per_epoch
        order = length_bucketed_batches(
            targets.lengths, cfg.batch_size, random.Random(cfg.seed * 1000 + epoch)
        )
        for batch in order[step % steps_per_epoch :]:
            if step >= total:
                break
            torch.manual_seed(cfg.seed + step)  # dropout masks reproducible across resumes
            loss = training_step(model, targets, batch, optimizer, schedule)
            step += 1
            seen += len(batch)
            if step % 50 == 0:
                rate = seen / (time.time() - started)
                log.info("step %d/%d loss %.4f %.1f ex/s", step, total, loss.item(), rate)
            if step % cfg.checkpoint_every == 0 or step == total:
                torch.save(
                    {
                        "model": model.trainable_state(),
                        "optimizer": optimizer.state_dict(),
                        "schedule": schedule.state_dict(),
                        "step": step,
                    },
                    ckpt.with_suffix(".tmp"),
                )
                ckpt.with_suffix(".tmp").replace(ckpt)
    model.eval()
    config = embedded.EmbeddedConfig(layers=cfg.layers, max_length=cfg.max_length)
    from qa_engine.affect.training.calibrate import fit_biases

    config.sentiment_bias, config.emotion_bias = fit_biases(model, tok, tune_set)
    embedded.save(model, config, out)
    (out / "train_config.json").write_text(json.dumps(asdict(cfg), indent=2) + "\n", encoding="utf-8")
    log.info("saved %s", out)
    return out


__all__ = [
    "SENTIMENTS",
    "Targets",
    "TrainConfig",
    "build_training_set",
    "collate",
    "emotion_class_weights",
    "length_bucketed_batches",
    "optimiser",
    "train",
    "training_step",
]
