"""Make any turn text safe and sized for the encoder, and say when a text cannot carry affect.

Bad input never crashes the affect stage and never loses a turn: empty or whitespace-only text, text with no
letters, digits or emoji, control characters and lone surrogates get a defined result (neutral with uniform, i.e.
low-confidence, scores) and a flag; long texts (e-mails) are scored by sentence chunks and aggregated.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

MAX_CHUNKS = (
    64  # a 100 KB e-mail is sampled: its first 48 and last 16 chunks (openings and closings matter most)
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")
# Where an e-mail client starts quoting the earlier messages below a reply: an "On ... wrote:" header (en, fr, de,
# es, zh), any header line that names an address in angle brackets and ends in a colon (Gmail in every language:
# "2026年11月20日(月) 9:14 Support <help@shop.com>:"), an "Original Message" rule, or Outlook's header block: a
# "From:" line straight above a "Sent:" line (en, de, fr, es, it, zh, ja), with the rule of underscores above it.
# Not "> " lines or "From:" lines alone: customers quote or forward a message they received (a payment reminder,
# a phishing e-mail) inline and go on writing below it, and that message is what their request is about.
_QUOTE_START = re.compile(
    r"^[ \t]*(?:-{2,}[ \t]*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|原始邮件)[ \t]*-*"
    r"|(?:_{8,}[ \t]*\n[ \t]*)?(?:From|Von|De|Da|发件人|寄件者|差出人)[ \t]*[:：].*\n"
    r"[ \t]*(?:Sent|Gesendet|Envoyé|Enviado|Inviato|发送时间|傳送時間|送信日時)[ \t]*[:：].*"
    r"|On\b.{4,200}\bwrote:"
    r"|Le\b.{4,200}\ba écrit[ \t]?:"
    r"|Am\b.{4,200}\bschrieb\b.{0,100}:"
    r"|El\b.{4,200}\bescribió:"
    r"|在.{4,200}写道[:：]"
    r"|.{0,200}<[^<>@\s]+@[^<>\s]+>.{0,40}[:：])[ \t\r]*$",
    re.MULTILINE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？…])\s+|(?<=[。！？])|\n+")

EMPTY = "empty_text"
NO_CONTENT = "no_text_content"
SAMPLED = "long_text_sampled"
CLEANED = "cleaned_invalid_characters"
# an e-mail's quoted earlier messages are not read: they are someone else's words
QUOTED = "quoted_reply_skipped"
PHATIC = "phatic_reply"  # scored neutral: see models/phatic.yaml
DISMISSIVE = "dismissive_reply"  # scored negative: see models/dismissive.yaml
RELIEF = "relief_reply"  # scored positive: see models/relief.yaml
# only emoji of thanks or approval (👍, 🙏): scored positive, see short_replies
POSITIVE_EMOJI = "positive_emoji"
NEGATIVE_SENTENCE = "negative_sentence"  # read from its most negative sentence: see AffectScorer.score_texts
TEXTLESS_FLAGS = (EMPTY, NO_CONTENT)  # turns with no text to read
# ...and a phatic "ok, thanks" or "no, that's all": turns that say nothing about the customer's mood
UNTELLING_FLAGS = (*TEXTLESS_FLAGS, PHATIC)


def own_words(text: str) -> str:
    """The text above an e-mail's quoted earlier thread (a reply header, `_QUOTE_START`), or the whole text when it
    has none or is all quote. A prefix, so character offsets found in it are offsets in the whole text."""
    quote = _QUOTE_START.search(text)
    return text[: quote.start()] if quote and text[: quote.start()].strip() else text


def clean(text: str | None) -> tuple[str, str | None]:
    """(text fit for the model, flag or None). An empty result means: do not run the model."""
    if text is None:
        return "", EMPTY
    flag = None
    # Windows and old Mac line ends are line ends, not control characters to clean (the quote headers are lines)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    fixed = text.encode("utf-16", "surrogatepass").decode(
        "utf-16", "replace"
    )  # pair or replace lone surrogates
    fixed = _CONTROL.sub(" ", fixed)
    if fixed != text:
        flag = CLEANED
    # a reply above a quoted thread is read alone; a text that is all quote is read whole
    own = own_words(fixed)
    if len(own) < len(fixed):
        fixed, flag = own, flag or QUOTED
    fixed = _SPACE.sub(" ", fixed).strip()
    if not fixed:
        return "", EMPTY
    if not any(ch.isalnum() or unicodedata.category(ch) == "So" for ch in fixed):
        return "", NO_CONTENT
    return fixed, flag


def sentences(text: str) -> list[str]:
    """The sentences of a cleaned text that hold a letter or a digit, cut where `split_long` cuts."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and any(c.isalnum() for c in s)]


def split_long(
    text: str, count_tokens: Callable[[list[str]], list[int]], max_tokens: int
) -> tuple[list[str], bool]:
    """Cut a text into chunks of whole sentences that fit `max_tokens`; (chunks, sampled?)."""
    sentences = [s for s in _SENTENCE_END.split(text) if s and s.strip()]
    sizes = count_tokens(sentences)
    budget = max_tokens - 2  # room for the special tokens of each chunk
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for sentence, size in zip(sentences, sizes, strict=True):
        if size > budget:  # one over-long "sentence" (no punctuation): cut it by characters
            if current:
                chunks.append(" ".join(current))
                current, used = [], 0
            step = max(16, int(len(sentence) * budget / size))
            chunks += [sentence[i : i + step] for i in range(0, len(sentence), step)]
            continue
        if used + size > budget and current:
            chunks.append(" ".join(current))
            current, used = [], 0
        current.append(sentence)
        used += size
    if current:
        chunks.append(" ".join(current))
    if len(chunks) > MAX_CHUNKS:
        return chunks[:48] + chunks[-16:], True
    return chunks, False
