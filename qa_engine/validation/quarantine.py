"""A quarantined record: what was rejected, where it came from and why (CONTRACT.md section 1, "Bad input").

Nothing is dropped silently: every record a reader or a check rejects becomes one of these, one per (ticket, reason),
and the run writes them to `quarantine.jsonl`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from qa_engine.validation.reasons import REASONS

MAX_LISTED = 5  # problems named in one detail line; the rest are counted


@dataclass(frozen=True)
class QuarantineRecord:
    """One rejected record and one reason it was rejected for.

    `location` is 1-based and names the unit the format has: `line 17` (JSON Lines), `line 40 (item 17)` (a JSON
    array), `rows 5-9` (CSV, Parquet: data rows, the header not counted). `record` is the raw record as text: the
    line itself, or the rows as a JSON array of objects.
    """

    source: str
    location: str
    reason: str
    detail: str
    record: str
    ticket_id: str | None = None

    def __post_init__(self) -> None:
        # A typo in a reason code would silently split the counts that scripts and the README rely on.
        if self.reason not in REASONS:
            raise ValueError(f"unknown quarantine reason {self.reason!r}; known: {', '.join(REASONS)}")

    def to_dict(self) -> dict[str, str | None]:
        """The contract's `source, location, reason, record`, plus `detail` and `ticket_id`."""
        return asdict(self)


def summarize(records: Iterable[QuarantineRecord]) -> dict[str, int]:
    """How many records were quarantined for each reason, most frequent first."""
    counts = Counter(record.reason for record in records)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def join_details(items: list[str]) -> str:
    """Several findings of one reason as one line: the first few named, the rest counted."""
    shown = "; ".join(items[:MAX_LISTED])
    return shown if len(items) <= MAX_LISTED else f"{shown}; and {len(items) - MAX_LISTED} more"
