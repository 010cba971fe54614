"""Escalation signals: phrases per language that show a contact heading for a chargeback, a public complaint or
legal action (`rules/default/escalation.yaml`), found in the customer's turns with turn and span.

The file is pack data, not a rule file (it has no `rules:` list): each signal has an id, a weight (how much it alone
raises the escalation risk, 0-1), phrases and regular expressions per language in the rule packs' own format
(`qa_engine.rules.specs`), optional exclusions (a hit inside "my manager" is not a request for one), and
examples that must and must not fire. Its `resolution` phrases tell whether the customer's closing turns sound
settled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa_engine.pack.files import SIGNALS_FILE, pack_file
from qa_engine.reasons.escalation_spec import EscalationSpec, load_escalation
from qa_engine.rules.conversation import Conversation
from qa_engine.rules.matching import GroupMatcher

if TYPE_CHECKING:
    from qa_engine.pack import Pack

SETTLED = "settled"  # evidence that the customer ends settled, which lowers the risk
CLOSING_TURNS = 2  # the customer's turns read for resolution wording


@dataclass(frozen=True)
class SignalHit:
    """One signal found in a customer turn: character span [start, end) of the turn's text."""

    signal: str
    weight: float
    turn_index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Signals:
    spec: EscalationSpec
    file: Path
    sha: str

    @classmethod
    def of(cls, pack: Pack) -> Signals:
        """The signals a loaded pack holds (its own escalation.yaml, else the default pack's)."""
        return cls(spec=pack.escalation, file=pack.escalation_file, sha=pack.escalation_sha)


def signals_file(pack: str | Path | None = None) -> Path:
    """`escalation.yaml` in the rule-pack folder (or beside a single pack file), else the default pack's."""
    return pack_file(pack, SIGNALS_FILE)


def load_signals(path: str | Path | None = None) -> Signals:
    """Read and validate a signal file; a bad value fails with Q702 naming file, line and field."""
    file = Path(path) if path else signals_file()
    spec, sha = load_escalation(file)
    return Signals(spec=spec, file=file, sha=sha)


class SignalFinder:
    """Finds every signal in a conversation's customer turns (phrase matchers are built once per language)."""

    def __init__(self, spec: EscalationSpec) -> None:
        self.spec = spec
        self._matchers = [
            (
                signal,
                GroupMatcher(signal, name=signal.id),
                GroupMatcher(signal.exclude) if signal.exclude else None,
            )
            for signal in spec.signals
        ]
        has_resolution = spec.resolution.phrases or spec.resolution.patterns
        self._resolution = GroupMatcher(spec.resolution, name="resolution") if has_resolution else None

    def find(self, conversation: Conversation) -> list[SignalHit]:
        """Hits in the customer turns, in turn order then by position."""
        language = conversation.language
        hits: list[SignalHit] = []
        for turn in conversation.by(("customer",)):
            for signal, matcher, exclude in self._matchers:
                if not matcher.covers(language):
                    continue
                found = matcher.find(turn, language)
                if not found:
                    continue
                banned = (
                    exclude.find(turn, language) if exclude is not None and exclude.covers(language) else []
                )
                for match in found:
                    if any(b.start < match.end and match.start < b.end for b in banned):
                        continue
                    hits.append(
                        SignalHit(signal.id, signal.weight, turn.index, match.start, match.end,
                                  turn.text[match.start : match.end])
                    )  # fmt: skip
        return hits

    def resolved(self, conversation: Conversation) -> bool:
        """Whether the customer's closing turns (the last two) have resolution wording ("thanks, that helps",
        "谢谢", "merci"): customers often thank first and then answer "anything else?" with "no, that's all"."""
        customer = conversation.by(("customer",))
        if not customer or self._resolution is None or not self._resolution.covers(conversation.language):
            return False
        return any(self._resolution.find(turn, conversation.language) for turn in customer[-CLOSING_TURNS:])
