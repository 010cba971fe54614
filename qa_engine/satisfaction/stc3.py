"""The STC-3 DCH-1 customer-helpdesk dialogues as qa-engine tickets, labelled dissatisfied or not.

NTCIR-14 STC-3 DCH-1 (Zeng et al.; Sakai): real Weibo helpdesk dialogues in Chinese, part of them translated into
English, each rated by 19 annotators for customer satisfaction `S` in -2..2. A dialogue is *dissatisfied* when the
annotators' mean `S` is at most -0.5 (the issue's definition; about 30% of train, 26% of dev). The texts are read
from the shared data folder at training time and never copied into the repository.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa_engine.errors import QAError

FOLDER = "stc3_dch1"
LANGUAGES = {"cn": "zh", "en": "en"}  # file suffix -> ISO 639-1
DISSATISFIED_AT_MOST = -0.5
SPEAKERS = {"customer": "customer", "helpdesk": "agent"}


@dataclass(frozen=True)
class Dialogue:
    """One rated dialogue as a ticket record (CONTRACT.md section 1) with its label."""

    ticket: dict
    mean_s: float

    @property
    def dissatisfied(self) -> bool:
        return self.mean_s <= DISSATISFIED_AT_MOST

    @property
    def language(self) -> str:
        return self.ticket["language"]


def stc3_file(data: Path, split: str, language: str) -> Path:
    suffix = next(k for k, v in LANGUAGES.items() if v == language)
    return data / FOLDER / f"{split}_{suffix}.json"


def load_dialogues(data: Path, split: str, languages: tuple[str, ...] = ("zh", "en")) -> list[Dialogue]:
    """Every dialogue of `split` (`train` or `dev`) in these languages; a missing or malformed file is Q301/Q302."""
    out: list[Dialogue] = []
    for language in languages:
        out.extend(_read(stc3_file(data, split, language), split, language))
    return out


def _read(path: Path, split: str, language: str) -> Iterator[Dialogue]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise QAError("Q301", path=path) from exc
    except ValueError as exc:
        raise QAError("Q751", path=path, detail=str(exc).splitlines()[0]) from exc
    for position, item in enumerate(raw):
        try:
            ratings = [a["quality"]["S"] for a in item["annotations"]]
            # a turn with no text (an emptied Weibo post) would send the whole dialogue to quarantine
            turns = [
                {"speaker": SPEAKERS[t["sender"]], "text": "\n".join(t["utterances"]).strip()}
                for t in item["turns"]
                if "".join(t["utterances"]).strip()
            ]
        except (KeyError, TypeError) as exc:
            raise QAError("Q751", path=path, detail=f"dialogue {position}: missing {exc}") from exc
        if not ratings or not turns:
            raise QAError("Q751", path=path, detail=f"dialogue {position}: no ratings or no turns")
        ticket = {
            "ticket_id": f"stc3-{split}-{language}-{item['id']}",
            "channel": "social",
            "language": language,
            "turns": turns,
        }
        yield Dialogue(ticket, sum(ratings) / len(ratings))
