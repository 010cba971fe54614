"""Key issues as the review app shows them: the contact reason (with its sub-reason) and the escalation risk with
the signals that raised it, each pointing at words in a turn.

The reasons stage (`qa_engine.reasons`) writes these columns; this module only reads them. It does not import that
stage: loading it pulls in the NLP stack (seconds), and the app only needs the names, which come from the contract
and from the taxonomy file (read as plain YAML, cached until the file changes).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from qa_engine import paths
from qa_engine.errors import QAError
from qa_engine.kpi.definitions import ESCALATION_FROM
from qa_engine.pack.yamlfile import read_yaml
from qa_engine.schema import ID_PATTERN

# CONTRACT.md section 3 (the same tuple as qa_engine.reasons.REASONS; a test keeps the two equal).
CONTACT_REASONS: tuple[str, ...] = (
    "presales", "order", "payment", "logistics", "returns", "complaint", "account", "other",
)  # fmt: skip
TAXONOMY_FILE = Path("reasons") / "taxonomy.yaml"  # under models/, as qa_engine.reasons.taxonomy has it
SUB_REASON = re.compile(rf"^(?P<reason>[a-z]+)\.(?P<sub>{ID_PATTERN})$")
# escalation_risk at or above these reads as high / elevated (high: what the escalation_rate KPI counts as escalated)
RISK_HIGH, RISK_ELEVATED = ESCALATION_FROM, 0.25
MODEL_SIGNAL = "model"  # evidence of the escalation model itself, not of a phrase


def risk_level(risk: float | None) -> str | None:
    """high / elevated / low for a badge; None when the ticket was scored before escalation risk existed."""
    if risk is None:
        return None
    return "high" if risk >= RISK_HIGH else "elevated" if risk >= RISK_ELEVATED else "low"


def taxonomy_sub_reasons(file: Path | None = None) -> tuple[str, ...]:
    """The taxonomy's sub-reasons as `<reason>.<sub>`, in file order; empty when the file is missing or unreadable
    (the filter then accepts what the store holds)."""
    file = file or paths.models_dir() / TAXONOMY_FILE
    try:
        return _read_sub_reasons(file, file.stat().st_mtime_ns)
    except OSError:
        return ()


@cache
def _read_sub_reasons(file: Path, _mtime: int) -> tuple[str, ...]:
    try:
        data = read_yaml(file, "Q701", field="-").data
    except QAError:
        return ()
    reasons = data.get("reasons") if isinstance(data, dict) else None
    if not isinstance(reasons, dict):
        return ()
    return tuple(
        f"{reason}.{sub}"
        for reason, spec in reasons.items()
        if isinstance(spec, dict) and isinstance(spec.get("sub_reasons"), dict)
        for sub in spec["sub_reasons"]
    )


EVIDENCE_KEYS = ("turn_index", "start", "end", "text", "note")


def evidence_list(text: str | None) -> list[dict]:
    """A stored JSON evidence list (tier, contact reason or escalation evidence) as dicts; [] when absent.

    Every item has every key of EVIDENCE_KEYS (None where the evidence has none): a reason such as a low QA score
    points at no turn, and the pages read `turn_index` of every item."""
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    return [{**dict.fromkeys(EVIDENCE_KEYS), **v} for v in value if isinstance(v, dict)]


def signal_label(item: dict) -> str:
    """How a signal reads beside its highlight: the note the signal file gives, else its id."""
    signal = str(item.get("signal") or "signal")
    note = item.get("note")
    return f"escalation: {note}" if note else f"escalation: {signal}"
