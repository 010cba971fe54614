"""Escalation signals: phrases per language that show a contact heading for a chargeback, a public complaint or
legal action (`rules/default/escalation.yaml`), found in the customer's turns with turn and span.

The file is pack data, not a rule file (it has no `rules:` list): each signal has an id, a weight (how much it alone
raises the escalation risk, 0-1), phrases and regular expressions per language in the rule packs' own format
(`qa_engine.rules.matching`), optional exclusions (a hit inside "my manager" is not a request for one), and
examples that must and must not fire. Its `resolution` phrases tell whether the customer's closing turns sound
settled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, field_validator

from qa_engine import paths
from qa_engine.reasons.loading import load_model
from qa_engine.rules.conversation import Conversation
from qa_engine.rules.matching import GroupMatcher, GroupSpec, PhraseLists, Strict

SIGNALS_FILE = "escalation.yaml"
REPEAT_CONTACT = "repeat_contact"  # the store-based signal: same customer, same order, within the window
MODEL = "model"  # evidence from the escalation model's probability, not a phrase
SETTLED = "settled"  # evidence that the customer ends settled, which lowers the risk
CLOSING_TURNS = 2  # the customer's turns read for resolution wording
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class SignalExample(Strict):
    language: str = Field(min_length=2)
    text: str = Field(min_length=1)


class SignalExamples(Strict):
    fire: list[SignalExample] = Field(default_factory=list)
    no_fire: list[SignalExample] = Field(default_factory=list)


class SignalSpec(GroupSpec):
    id: str
    title: str = Field(min_length=1)
    weight: float = Field(gt=0, le=1)
    exclude: PhraseLists | None = None  # a hit overlapping one of these does not count
    examples: SignalExamples = Field(default_factory=SignalExamples)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value) or value in (REPEAT_CONTACT, MODEL):
            raise ValueError(f"'{value}' must be lower_snake_case and not '{REPEAT_CONTACT}' or '{MODEL}'")
        return value


class RepeatContactSpec(Strict):
    weight: float = Field(gt=0, le=1)
    window_days: int = Field(7, ge=1, le=90)


class EscalationSpec(Strict):
    model_weight: float = Field(ge=0, le=1)  # how far the model's probability alone can raise the risk
    # the risk is multiplied by this when the customer ends settled (resolution wording, last turn not negative)
    settled_factor: float = Field(1.0, ge=0, le=1)
    repeat_contact: RepeatContactSpec
    signals: list[SignalSpec] = Field(min_length=1)
    resolution: PhraseLists = Field(default_factory=PhraseLists)

    @field_validator("signals")
    @classmethod
    def _unique_ids(cls, value: list[SignalSpec]) -> list[SignalSpec]:
        seen: set[str] = set()
        for signal in value:
            if signal.id in seen:
                raise ValueError(f"signal id '{signal.id}' appears twice")
            seen.add(signal.id)
        return value


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


def signals_file(pack: str | Path | None = None) -> Path:
    """`escalation.yaml` in the rule-pack folder (or beside a single pack file), else the default pack's."""
    base = Path(pack) if pack else paths.rules_dir()
    found = (base if base.is_dir() else base.parent) / SIGNALS_FILE
    return found if found.exists() else paths.rules_dir() / SIGNALS_FILE


def load_signals(path: str | Path | None = None) -> Signals:
    """Read and validate a signal file; a bad value fails with Q702 naming file, line and field."""
    file = Path(path) if path else signals_file()
    spec, sha = load_model(file, EscalationSpec, "Q702", "Escalation signal file")
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
