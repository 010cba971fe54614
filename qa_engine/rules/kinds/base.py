"""The tiny base every rule kind builds on (Presidio's recognizer shape: `load` once, then `evaluate`).

A kind declares its own YAML fields as a pydantic model (`Params`); the pack loader validates a rule's fields
against it, so a typo in a pack fails at load time with the rule and the field, never while scoring.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import polars as pl
from pydantic import BaseModel

from qa_engine.rules.conversation import Conversation, Outcome

if TYPE_CHECKING:
    from qa_engine.kpi.targets import KpiSettings


@dataclass(frozen=True)
class Batch:
    """The conversations a rule applies to, and the sorted turns frame for kinds that work on columns."""

    conversations: Sequence[Conversation]
    turns: (
        pl.DataFrame
    )  # ticket_id, turn_index, speaker, text, ts, channel, market; sorted by ticket and turn


class RuleKind(ABC):
    """A kind of rule: validated parameters in, one Outcome per conversation out."""

    name: ClassVar[str]  # set by @register_kind
    Params: ClassVar[type[BaseModel]]

    def __init__(self, params: BaseModel) -> None:
        self.params = params
        self.load()

    def load(self) -> None:  # noqa: B027  # an optional hook, not an abstract one
        """Build matchers and compile patterns once, when the pack loads."""

    def use_pack_settings(self, settings: KpiSettings) -> None:  # noqa: B027  # an optional hook
        """The pack's shared settings (`targets.yaml`: SLAs per channel...), given once the pack has loaded, so that
        a value the KPIs and the rules both use is written once."""

    def language_problems(self, languages: Sequence[str]) -> list[tuple[tuple[str | int, ...], str]]:
        """(field location, problem) for languages the rule claims but cannot check, e.g. a missing phrase list."""
        return []

    @abstractmethod
    def evaluate(self, batch: Batch) -> list[Outcome]:
        """One Outcome for each conversation in the batch."""


class ConversationKind(RuleKind):
    """A kind that judges one conversation at a time."""

    def evaluate(self, batch: Batch) -> list[Outcome]:
        return [self.check(conversation) for conversation in batch.conversations]

    @abstractmethod
    def check(self, conversation: Conversation) -> Outcome:
        """The outcome for one conversation."""
