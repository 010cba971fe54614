"""`reply_language`: the agent answers in the customer's language (category `language`).

Each agent turn with enough text to tell is compared with the language the customer last wrote in (their latest
turn before it that is long enough to tell; else all their turns together; else the ticket's language). A turn
fails only when lingua is sure of another language and nearly rules out the expected one, so a German reply that
names an English product, a short "OK" or an order number never fails. Chinese and Japanese are told apart by kana:
an all-kanji Japanese turn is not judged as Chinese unless it holds a simplified character Japanese never writes. A ticket whose expected language lingua cannot detect is na.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import Field, PositiveInt

from qa_engine.nlp.language import DETECTABLE_CODES, language_confidences
from qa_engine.rules.conversation import Conversation, Evidence, Outcome, Turn, failed, not_applicable, passed
from qa_engine.rules.kinds.base import Batch, RuleKind
from qa_engine.rules.registry import register_kind
from qa_engine.rules.specs import Speaker, Strict

_NOISE = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+|[#\d][\w\-/.]*\d\w*"
)  # links, e-mails, order and parcel ids
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
# simplified characters Japanese never writes (it has 們→…, 這, 請, 時, 為 in their own forms or not at all): a
# kana-less turn with one of them is Chinese, one without may be all-kanji Japanese
_ZH_ONLY = frozenset("们这您吗呢请没说为时过还让给对问题经谢发货订单么码钱该购买卖运递邮啊吧")
# scripts where a character carries about a word: Han, kana, Hangul, Thai
_CJK = re.compile(
    "[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]"
)


class ReplyLanguageParams(Strict):
    responders: list[Speaker] = Field(default_factory=lambda: ["agent"], min_length=1)
    min_letters: PositiveInt = 15  # alphabetic scripts: fewer letters are too short to tell ("Danke!", "OK")
    min_cjk_chars: PositiveInt = 4  # Chinese, Japanese, Korean, Thai characters carry more per character
    sure_at_least: float = Field(0.5, gt=0, le=1)  # the other language's confidence
    expected_at_most: float = Field(0.1, ge=0, lt=1)  # and the customer's language's confidence


def _judged_text(text: str) -> str:
    return _NOISE.sub(" ", text)


@register_kind("reply_language")
class ReplyLanguageKind(RuleKind):
    Params = ReplyLanguageParams
    params: ReplyLanguageParams

    def _long_enough(self, text: str) -> bool:
        cjk = len(_CJK.findall(text))
        letters = sum(c.isalpha() for c in text) - cjk
        return cjk >= self.params.min_cjk_chars or letters >= self.params.min_letters

    def evaluate(self, batch: Batch) -> list[Outcome]:
        # every text to detect in the batch, once, in one parallel call
        wanted: dict[str, None] = {}
        plans = [self._plan(c) for c in batch.conversations]
        for customer_texts, replies in plans:
            for text in (*customer_texts, *(text for _, text in replies)):
                wanted[text] = None
        texts = list(wanted)
        confidences = dict(zip(texts, language_confidences(texts), strict=True))
        return [
            self._judge(conversation, plan, confidences)
            for conversation, plan in zip(batch.conversations, plans, strict=True)
        ]

    def _plan(self, conversation: Conversation) -> tuple[list[str], list[tuple[Turn, str]]]:
        """(the customer's texts to detect: each long turn and all of them joined; the agent turns to judge)."""
        customer = [_judged_text(t.text) for t in conversation.by(("customer",))]
        texts = [text for text in customer if self._long_enough(text)]
        joined = "\n".join(customer)
        if self._long_enough(joined):
            texts.append(joined)
        replies = [
            (turn, text)
            for turn in conversation.by(self.params.responders)
            if self._long_enough(text := _judged_text(turn.text))
        ]
        return texts, replies

    def _expected(self, conversation: Conversation, before: int, scores: dict[str, dict[str, float]]) -> str:
        """The language the customer last wrote in before turn `before`."""
        for turn in reversed([t for t in conversation.by(("customer",)) if t.index < before]):
            text = _judged_text(turn.text)
            if text in scores:
                return _top(scores[text])
        joined = "\n".join(_judged_text(t.text) for t in conversation.by(("customer",)))
        return _top(scores[joined]) if joined in scores else conversation.language

    def _judge(
        self,
        conversation: Conversation,
        plan: tuple[Sequence[str], Sequence[tuple[Turn, str]]],
        scores: dict[str, dict[str, float]],
    ) -> Outcome:
        _, replies = plan
        if not replies:
            return not_applicable(conversation, "no agent turn long enough to tell its language")
        judged = 0
        for turn, text in replies:
            expected = self._expected(conversation, turn.index, scores)
            if expected not in DETECTABLE_CODES:
                continue
            found = scores[text]
            written = _top(found)
            if (
                written == "zh"
                and expected == "ja"
                and not _KANA.search(text)
                and not _ZH_ONLY.intersection(text)
            ):
                continue  # all-kanji Japanese looks Chinese to a detector: not judged
            judged += 1
            sure = found.get(written, 0.0) >= self.params.sure_at_least
            if written != expected and sure and found.get(expected, 0.0) <= self.params.expected_at_most:
                note = f"agent wrote in '{written}', the customer in '{expected}'"
                return failed(conversation, f"turn {turn.index}: {note}", Evidence.whole_turn(turn, note))
        if not judged:
            language = conversation.language
            return not_applicable(conversation, f"cannot tell the agent's language apart from '{language}'")
        return passed(conversation, f"{judged} agent turn(s) in the customer's language")


def _top(scores: dict[str, float]) -> str:
    return max(scores, key=scores.__getitem__) if scores else "xx"
