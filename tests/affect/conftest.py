from __future__ import annotations

from pathlib import Path

import pytest

from qa_engine.affect import AffectScorer
from qa_engine.affect.registry import load_registry


@pytest.fixture(scope="session")
def tiny_hf_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BERT classifier saved as a Hugging Face folder: exercises the real loading path offline."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert")
    vocab = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        "where",
        "is",
        "my",
        "parcel",
        "great",
        "thanks",
        "bad",
    ]
    vocab += [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["?", "!", "."]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        max_position_embeddings=64, num_labels=3, id2label={0: "NEG", 1: "NEU", 2: "POS"},
        label2id={"NEG": 0, "NEU": 1, "POS": 2},
    )  # fmt: skip
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def fp32_scorer() -> AffectScorer:
    """The registry's models in fp32: the committed figures are reproduced exactly only there. bf16 results move
    with the CPU's kernels and thread count (a dev figure by up to 0.004), so bf16 is checked against fp32 in
    `qa models eval --precision bf16` and by the card's bf16 column, not reproduced to the third decimal."""
    registry = load_registry(None, None)
    for spec in registry.models.values():
        spec.precision = "fp32"
    return AffectScorer(registry)
