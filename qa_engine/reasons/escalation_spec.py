"""What an escalation-signal file (`escalation.yaml` in a rule pack) holds, as pydantic models: each signal's id,
weight, phrases and regular expressions per language, exclusions and examples; the repeat-contact and model weights;
and the resolution phrases.

Apart from `signals` (which builds the matchers, and so imports spaCy) because reading a pack (`qa_engine.pack`)
validates the file without compiling anything.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator

from qa_engine.pack.yamlfile import load_model
from qa_engine.rules.specs import GroupSpec, PhraseLists, Strict
from qa_engine.schema import ID_PATTERN

REPEAT_CONTACT = "repeat_contact"  # the store-based signal: same customer, same order, within the window
MODEL = "model"  # evidence from the escalation model's probability, not a phrase
_ID = re.compile(f"^{ID_PATTERN}$")


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


def load_escalation(file: Path) -> tuple[EscalationSpec, str]:
    """An escalation-signal file validated (Q702 naming file, line and field; Q703 when missing) and its sha256
    prefix."""
    return load_model(file, EscalationSpec, "Q702", "Escalation signal file")
