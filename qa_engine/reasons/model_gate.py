"""Which customer turns the escalation model may read.

The escalation model is fitted on requests written to open a contact ("I'll file a chargeback", "Put your
supervisor on"). Two kinds of customer turn are outside what it learned, and it reads them high because they are
as short as most escalating requests:

- a closing reply made only of listed phatic replies or courtesy formulas ("No, nada más.", "Ja, bitte.", "谢谢";
  `models/phatic.yaml`, `models/courtesy.yaml`): it read "No, nada más." 0.97;
- a short, plain answer to the question the agent (or bot) has just asked: "Sí, todo con este mismo correo." 0.92,
  "De esta semana, del martes." 0.80, "Oui, pour faire mes comptes" 0.79, "照片附上了。" 0.56. Short means at most
  `ANSWER_MAX_WORDS` words (`ANSWER_MAX_CHARS` characters in unspaced zh and ja); plain means the affect model does
  not read it negative, so "Sí, a todos. No está." or "你这是什么态度？我要投诉你！" still count.

Neither kind is evidence of an escalation for the model; the signal phrases still read every turn.
"""

from __future__ import annotations

import re

from qa_engine.affect.short_replies import is_short_reply
from qa_engine.rules.conversation import Conversation, Turn

ANSWER_MAX_WORDS = 8
ANSWER_MAX_CHARS = 15  # zh and ja, written without spaces
# a question mark in any script, or a Japanese sentence ending in the question particle か (often written with 。)
_ASKS = re.compile(r"[?？]|か[。．.!！]?(?:\s|$)")
_ASKERS = ("agent", "bot")


def model_may_read(conversation: Conversation, turn: Turn) -> bool:
    """Whether the escalation model's reading of the customer's `turn` counts."""
    if is_short_reply(turn.text, conversation.language):
        return False
    # the cheap tests first: most customer turns are long or negative, and then nothing before them is looked at
    return not (
        _short(turn.text) and turn.sentiment != "negative" and _answers_a_question(conversation, turn)
    )


def _answers_a_question(conversation: Conversation, turn: Turn) -> bool:
    """Whether the last turn with text before `turn` is the agent's (or bot's) and asks something."""
    earlier = (t for t in reversed(conversation.turns) if t.index < turn.index and t.text.strip())
    before = next(earlier, None)
    return before is not None and before.speaker in _ASKERS and bool(_ASKS.search(before.text))


def _short(text: str) -> bool:
    words = text.split()
    if len(words) <= 1:  # unspaced zh or ja, or one word
        return len(text.strip()) <= ANSWER_MAX_CHARS
    return len(words) <= ANSWER_MAX_WORDS
