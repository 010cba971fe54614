"""`pii`: an agent turn discloses payment or login data (CONTRACT.md section 3).

A disclosure is a full Luhn-valid card number (any grouping), a card security code or a password written by one of
the rule's speakers. Order and tracking numbers, masked cards ("ending in 4242", "**** 4242"), warnings never to
share such data and data only the customer wrote are not disclosures: the recognisers in `qa_engine.nlp.pii`
draw those lines. Evidence text is masked, so results never repeat the secret they flag.

Stored turns keep no payment data (`qa_engine.nlp.redact`): a turn re-scored from the store holds `[CARD]`,
`[CVV]` or `[PASSWORD]` where the agent wrote one, and that mask is the disclosure, so a re-score judges the same.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from qa_engine.nlp.pii import CREDIT_CARD, CVV, MASK_TAGS, PASSWORD, analyze_pii, mask
from qa_engine.rules.conversation import Conversation, Evidence, Outcome, failed, not_applicable, passed
from qa_engine.rules.kinds.base import ConversationKind
from qa_engine.rules.registry import register_kind
from qa_engine.rules.specs import Speaker, Strict

Label = Literal["CREDIT_CARD", "CVV", "PASSWORD"]
_WHAT = {CREDIT_CARD: "a full payment-card number", CVV: "a card security code", PASSWORD: "a password"}


class PiiParams(Strict):
    labels: list[Label] = Field(default_factory=lambda: [CREDIT_CARD, CVV, PASSWORD], min_length=1)
    speakers: list[Speaker] = Field(default_factory=lambda: ["agent"], min_length=1)


@register_kind("pii")
class PiiKind(ConversationKind):
    Params = PiiParams
    params: PiiParams

    def check(self, conversation: Conversation) -> Outcome:
        turns = conversation.by(self.params.speakers)
        if not turns:
            return not_applicable(conversation, f"no {'/'.join(self.params.speakers)} turn")
        for turn in turns:
            hits = [(h.label, h.start, h.end, mask(h)) for h in
                    analyze_pii(turn.text, conversation.language, self.params.labels)]  # fmt: skip
            hits += [
                (label, m.start(), m.end(), m.group())
                for label, m in _stored_masks(turn.text, self.params.labels)
            ]
            if hits:
                label, start, end, shown = min(hits, key=lambda h: h[1])
                note = f"{_WHAT[label]} written by the {turn.speaker} (masked here)"
                evidence = Evidence(turn.index, start, end, shown, note)
                return failed(conversation, f"turn {turn.index} discloses {_WHAT[label]}", evidence)
        return passed(
            conversation, f"no card number, CVV or password in {len(turns)} {turns[0].speaker} turn(s)"
        )


def _stored_masks(text: str, labels: list[str]) -> list[tuple[str, re.Match[str]]]:
    """The masks a stored turn holds where payment data was written (see the module docstring)."""
    if "[" not in text:
        return []
    return [(label, m) for label in labels for m in re.finditer(re.escape(MASK_TAGS[label]), text)]
