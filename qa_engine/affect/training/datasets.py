"""Load the public labelled data sets of the data folder (`data_dir`) into one list of training examples.

Every example carries at most one sentiment and one emotion target; a missing target is -1 and is masked out of the
loss. GoEmotions is multi-label: its emotion target is a distribution over the Ekman groups of its labels.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa_engine.affect.labels import (
    EMOTION_SENTIMENT,
    EMOTIONS,
    GOEMOTIONS_EKMAN,
    GOEMOTIONS_SENTIMENT,
    NLPCC_EMOTION,
    SENTIMENTS,
    XLMT_LANGUAGES,
)
from qa_engine.errors import QAError


@dataclass
class Example:
    text: str
    language: str
    source: str
    sentiment: int = -1  # index into SENTIMENTS, -1 = no label
    emotion: int = -1  # index into EMOTIONS (the argmax of emotion_dist), -1 = no label
    emotion_dist: list[float] | None = None  # soft emotion target over EMOTIONS
    emotion_groups: frozenset[str] = field(default_factory=frozenset)


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """The shared data folder: an explicit path, $QA_DATA_DIR, or `shared/data` beside the checkout (or beside
    one of its parent folders)."""
    if path:
        found = Path(path)
    elif os.environ.get("QA_DATA_DIR"):
        found = Path(os.environ["QA_DATA_DIR"])
    else:
        checkout = Path(__file__).resolve().parents[3]
        candidates = [folder / "shared" / "data" for folder in checkout.parents]
        found = next((c for c in candidates if c.is_dir()), candidates[0])
    if not found.is_dir():
        raise QAError("Q301", path=found)
    return found


def _emotion_target(groups: set[str]) -> tuple[int, list[float]]:
    dist = [1.0 / len(groups) if e in groups else 0.0 for e in EMOTIONS]
    return int(np.argmax(dist)), dist


def goemotions(root: Path, split: str) -> list[Example]:
    """GoEmotions: Ekman emotion (soft, multi-label) and sentiment (only when all labels agree on a group)."""
    names = (root / "goemotions" / "labels.txt").read_text(encoding="utf-8").split()
    out = []
    with open(root / "goemotions" / f"{split}.tsv", encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            labels = [names[int(i)] for i in row[1].split(",")]
            ekman = {GOEMOTIONS_EKMAN[lab] for lab in labels}
            senti = {GOEMOTIONS_SENTIMENT[lab] for lab in labels}
            emotion, dist = _emotion_target(ekman)
            sentiment = SENTIMENTS.index(senti.pop()) if len(senti) == 1 and senti <= set(SENTIMENTS) else -1
            out.append(Example(row[0], "en", "goemotions", sentiment, emotion, dist, frozenset(ekman)))
    return out


def nlpcc(root: Path, split: str) -> list[Example]:
    """NLPCC 2013 Weibo emotions, mapped to ours; sentiment derived from the emotion (see labels.py)."""
    out = []
    with open(root / "nlpcc2013_emotion_zh" / f"{split}.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            emo = NLPCC_EMOTION[row["label"]]
            senti = EMOTION_SENTIMENT[emo]
            emotion, dist = _emotion_target({emo})
            sentiment = SENTIMENTS.index(senti) if senti else -1
            out.append(Example(row["text"], "zh", "nlpcc", sentiment, emotion, dist, frozenset({emo})))
    return out


def online_shopping(root: Path, split: str) -> list[Example]:
    """Chinese product reviews: binary sentiment (no neutral class in this data)."""
    out = []
    with open(root / "online_shopping_zh" / f"{split}.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if not row["review"]:
                continue
            sentiment = SENTIMENTS.index("positive" if row["label"] == "1" else "negative")
            out.append(Example(row["review"], "zh", "online_shopping", sentiment))
    return out


def xlmt(root: Path, split: str, languages: list[str] | None = None) -> list[Example]:
    """XLM-T tweets, three sentiment classes, eight languages (`split` is train or val)."""
    out = []
    for folder, lang in XLMT_LANGUAGES.items():
        if languages and lang not in languages:
            continue
        base = root / "xlm_t_sentiment" / folder
        texts = (base / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
        labels = (base / f"{split}_labels.txt").read_text(encoding="utf-8").split()
        out += [Example(t, lang, f"xlmt_{lang}", int(y)) for t, y in zip(texts, labels, strict=True)]
    return out


def labelled_tsv(file: Path, language: str, source: str) -> list[Example]:
    """One of our own hand-written sets (`models/affect_support/`, `models/sanity/`): a header, then
    `text <TAB> sentiment <TAB> emotion` per line, labels by name. A bad row stops the load with its file and line
    (these are small curated files: a typo is a mistake to fix, not a row to skip)."""
    out = []
    lines = file.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].split("\t")[:3] != ["text", "sentiment", "emotion"]:
        raise QAError("Q311", file=file, line=1, detail="the header must be text, sentiment, emotion")
    seen: dict[str, int] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != 3 or not cells[0].strip():
            raise QAError(
                "Q311", file=file, line=number, detail=f"want 3 tab-separated cells, got {len(cells)}"
            )
        text, senti, emo = cells
        if text in seen:  # a repeated row would land in the train and the tune split at once
            raise QAError("Q311", file=file, line=number, detail=f"the same text as line {seen[text]}")
        seen[text] = number
        if senti not in SENTIMENTS or emo not in EMOTIONS:
            raise QAError("Q311", file=file, line=number, detail=f"unknown label '{senti}' or '{emo}'")
        emotion, dist = _emotion_target({emo})
        out.append(Example(text, language, source, SENTIMENTS.index(senti), emotion, dist, frozenset({emo})))
    return out


# file name after `<language>_` -> the source its rows carry, `<set>_<language>`
OWN_SETS = {
    "train.tsv": "support",
    "reviews_train.tsv": "reviews",
    "plain_reviews_train.tsv": "plain_reviews",
}


def support_sets(folder: Path) -> list[Example]:
    """Our own training sets in `folder` (models/affect_support/): support turns, `<language>_train.tsv` (source
    `support_<language>`), product reviews, `<language>_reviews_train.tsv` (source `reviews_<language>`; neutral
    = mixed or 3-star), and plainly worded reviews, `<language>_plain_reviews_train.tsv` (`plain_reviews_<language>`:
    a 1-2 star review that states the defect and no feeling). Every file is read, in name order, so the refit is the
    same on every machine."""
    out = []
    for file in sorted(folder.glob("*_train.tsv")):
        lang, kind = file.name.split("_", 1)
        if kind not in OWN_SETS:
            raise QAError(
                "Q311", file=file, line=1, detail=f"want <language>_{' or <language>_'.join(OWN_SETS)}"
            )
        out += labelled_tsv(file, lang, f"{OWN_SETS[kind]}_{lang}")
    return out


def own_set(source: str) -> str:
    """The own set a source belongs to (`support_fr` -> `support`), or '' for public data."""
    name = source.rsplit("_", 1)[0]
    return name if name in OWN_SETS.values() else ""
