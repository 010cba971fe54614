"""Short replies whose meaning in a support conversation the models, trained without dialogue context, misread.

Three lists, same matching (a whole turn made only of listed phrases of its language, phrases may be chained, case,
spaces and punctuation ignored, at most `max_chars` letters and digits):

- phatic replies (`models/phatic.yaml`: "nope, that's all", "没有了", "不客气") carry no emotion, but their "no"
  reads negative: a negative reading is scored neutral (`phatic_reply`);
- dismissive replies (`models/dismissive.yaml`: "Faites ce que vous voulez.", "算了", "ご自由にどうぞ") are a
  customer giving up or an agent brushing someone off, but without context they read neutral or even positive
  (four rounds of refitting the sentiment head did not teach them, docs/affect_heads.md): a reading that is not
  negative is scored negative, angry (`dismissive_reply`);
- relief (`models/relief.yaml`, French only: "Je suis soulagée !", "ça me rassure") ends a customer's worry, but the
  embedded model reads French relief negative even after its support stage (docs/affect_heads.md): a negative
  reading is scored positive, joy (`relief_reply`).

A turn made only of phatic replies or courtesy formulas (`is_short_reply`) is no evidence for the escalation model
either (`qa_engine.reasons.model_gate`): fitted on requests, it read "No, nada más." as escalating (0.97).

A fourth list, courtesy formulas (`models/courtesy.yaml`: "Viele Grüße Sabine Krämer", "Thanks in advance!"), is read
per sentence: such a sentence does not make a customer turn mixed when it is read sentence by sentence
(`AffectScorer._read_negative_sentences`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import yaml

from qa_engine import paths
from qa_engine.errors import QAError

PHATIC_FILE = "phatic.yaml"  # under models/
DISMISSIVE_FILE = "dismissive.yaml"
RELIEF_FILE = "relief.yaml"
COURTESY_FILE = "courtesy.yaml"
LIST_FILES = (PHATIC_FILE, DISMISSIVE_FILE, RELIEF_FILE, COURTESY_FILE)  # what the affect cache's key hashes
# a trailing capitalised word, the writer's name after a sign-off ("Viele Grüße Sabine Krämer", "Best, John.")
_TRAILING_NAME = re.compile(r"[,\s]+[A-ZÀ-ÖØ-ÞĀ-Ž][\w'.-]*[.!]?\s*$")
_KEEP = {
    "L",
    "N",
}  # letters and digits; everything else (spaces, punctuation, emoji) is ignored when matching


def _squash(text: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKC", text).lower() if unicodedata.category(ch)[0] in _KEEP
    )


# Emoji a customer closes with to say "fine, thanks" (chat and messaging apps): the model reads a lone 👍 as neutral
# (0.52 neutral, 0.44 positive), and an unanswered neutral last turn counts as a customer left waiting.
POSITIVE_EMOJI = frozenset("👍👌🙏😊🙂☺😀😃😄😁😍🥰🤗❤♥💕💖💗💙💚💛💜🧡👏✅✔🎉💯🆗✨🌹😘🤝")
# spaces, the variation selector, the zero-width joiner, skin tones and a little punctuation
_EMOJI_NOISE = re.compile(r"[\s\ufe0f\u200d\U0001F3FB-\U0001F3FF!.,~]")


def positive_emoji_only(text: str | None) -> bool:
    """Whether a turn is made only of the emoji of thanks and approval (`POSITIVE_EMOJI`)."""
    rest = _EMOJI_NOISE.sub("", text or "")
    return bool(rest) and len(rest) <= 12 and all(ch in POSITIVE_EMOJI for ch in rest)


class ShortReplies:
    """Whether a whole turn is made of the listed phrases of its language (phrases may be chained)."""

    def __init__(self, phrases: dict[str, list[str]], max_chars: int) -> None:
        self.max_chars = max_chars
        self._phrases = {lang: {_squash(p) for p in items if _squash(p)} for lang, items in phrases.items()}
        self._longest = {lang: max(map(len, ps), default=0) for lang, ps in self._phrases.items()}

    @classmethod
    def load(cls, file: str | Path) -> ShortReplies:
        path = Path(file)
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        phrases = raw.get("phrases", {})
        for lang, items in phrases.items():
            bad = [p for p in items if not isinstance(p, str)]
            if bad:  # YAML reads a bare no / yes as a boolean: quote it
                raise QAError(
                    "Q204", file=path, field=f"phrases.{lang}", detail=f"{bad} are not text: quote them"
                )
        return cls(phrases, int(raw.get("max_chars", 40)))

    def matches(self, text: str | None, language: str | None) -> bool:
        phrases = self._phrases.get(language or "")
        squashed = _squash(text or "")
        if not phrases or not squashed or len(squashed) > self.max_chars:
            return False
        longest = self._longest[language]
        # word break: can the squashed text be cut into known phrases?
        reachable = [True] + [False] * len(squashed)
        for end in range(1, len(squashed) + 1):
            reachable[end] = any(
                reachable[start] and squashed[start:end] in phrases
                for start in range(max(0, end - longest), end)
            )
        return reachable[-1]


@functools.cache
def phatic_replies() -> ShortReplies:
    return ShortReplies.load(paths.models_dir() / PHATIC_FILE)


@functools.cache
def dismissive_replies() -> ShortReplies:
    return ShortReplies.load(paths.models_dir() / DISMISSIVE_FILE)


@functools.cache
def relief_replies() -> ShortReplies:
    return ShortReplies.load(paths.models_dir() / RELIEF_FILE)


@functools.cache
def courtesy_formulas() -> ShortReplies:
    return ShortReplies.load(paths.models_dir() / COURTESY_FILE)


def is_short_reply(text: str | None, language: str | None) -> bool:
    """Whether a whole turn is only listed phatic replies or courtesy formulas ("No, nada más.", "Ja, bitte",
    "Thanks in advance!"): it says nothing of where the conversation is heading."""
    return phatic_replies().matches(text, language) or courtesy_formulas().matches(text, language)


def is_courtesy(sentence: str, language: str | None) -> bool:
    """Whether a sentence is only a courtesy formula, perhaps signed with a name of up to three words."""
    text = sentence.strip()
    for _ in range(4):
        if courtesy_formulas().matches(text, language):
            return True
        shorter = _TRAILING_NAME.sub("", text)
        if shorter == text:
            return False
        text = shorter
    return False
