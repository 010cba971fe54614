"""Measure the affect models on the dev splits, per language and per class (what the model card reports).

Definitions (kept identical in the model card):
- GoEmotions dev, emotion: the examples whose labels fall in exactly one Ekman group (7 classes), macro-F1.
- GoEmotions dev, sentiment: the examples whose labels fall in exactly one of negative / neutral / positive, macro-F1.
- online_shopping_zh dev: accuracy of the sign of the sentiment score (> 0 positive, else negative).
- NLPCC 2013 dev: 7-class emotion macro-F1 after the data README's label mapping.
- XLM-T val: 3-class sentiment macro-F1 per language (all eight).
- ja sanity (our own hand-written set, models/sanity/): sentiment and emotion macro-F1.
- support turns (our own held-apart sets, models/sanity/<language>_support_turns.tsv, six languages): sentiment
  macro-F1, and emotion macro-F1.
- reviews (our own held-apart product reviews, models/sanity/<language>_reviews.tsv, 3 classes, neutral = mixed or
  3-star): sentiment macro-F1 per language (`reviews_own/sentiment/<language>`).
- plain reviews (our own held-apart reviews written like real marketplace reviews, most 1-2 star ones stating the
  defect with no feeling word: models/sanity/<language>_plain_reviews.tsv): the same
  (`plain_reviews_own/sentiment/<language>`).
- demo mood (examples/): the first and the last customer turn of every example ticket against the sentiment the
  ground truth's `customer_mood` gives them, per language (accuracy).
Every sentiment report also carries the neutral recall and the share of negative texts read as positive.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from qa_engine import paths
from qa_engine.affect.labels import EMOTIONS, SENTIMENTS, XLMT_LANGUAGES
from qa_engine.affect.scorer import AffectScorer
from qa_engine.affect.training import datasets


@dataclass
class Report:
    """One measured figure set: a name (data set / task / language), its headline metric and per-class rows."""

    name: str
    metric: str
    value: float
    n: int
    per_class: list[dict] = field(default_factory=list)
    neg_as_pos: float | None = None  # sentiment only: share of negative texts read as positive

    @property
    def neutral_recall(self) -> float | None:
        return next((row["recall"] for row in self.per_class if row["class"] == "neutral"), None)

    def as_dict(self) -> dict:
        out = {"name": self.name, "metric": self.metric, "value": round(self.value, 4), "n": self.n,
               "per_class": self.per_class}  # fmt: skip
        if self.neg_as_pos is not None:
            out["neutral_recall"], out["neg_as_pos"] = self.neutral_recall, round(self.neg_as_pos, 4)
        return out


def _classification(name: str, gold: list[int], pred: list[int], labels: tuple[str, ...]) -> Report:
    idx = list(range(len(labels)))
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=idx, zero_division=0)
    rows = [
        {"class": labels[i], "precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
         "f1": round(float(f[i]), 4), "support": int(s[i])}
        for i in idx
        if s[i] > 0
    ]  # fmt: skip
    present = [i for i in idx if s[i] > 0]
    macro = f1_score(gold, pred, labels=present, average="macro", zero_division=0)
    report = Report(name, "macro_f1", float(macro), len(gold), rows)
    if labels == SENTIMENTS:
        neg, pos = SENTIMENTS.index("negative"), SENTIMENTS.index("positive")
        negatives = [p for g, p in zip(gold, pred, strict=True) if g == neg]
        report.neg_as_pos = sum(p == pos for p in negatives) / len(negatives) if negatives else 0.0
    return report


FAMILIES = (
    "goemotions", "online_shopping", "nlpcc", "xlmt", "ja_sanity_own", "support_own", "reviews_own",
    "plain_reviews_own", "demo_mood",
)  # fmt: skip
# the figures of metrics.json and the model card's main table (the own held-apart sets and the demo moods have a
# table of their own there, measured with `qa models eval`)
CARD_FAMILIES = ("goemotions", "online_shopping", "nlpcc", "xlmt", "ja_sanity_own")
SERVED = ("en", "zh", "de", "ja", "es", "fr")


def evaluate(
    scorer: AffectScorer,
    data: Path | None = None,
    sanity: Path | None = None,
    only: Collection[str] = FAMILIES,
) -> list[Report]:
    """Every figure of the model card (or those of the data set families in `only`), measured through the same
    scorer the pipeline uses. The shared data folder is looked up only when a family needs it."""
    wanted = set(only)
    reports: list[Report] = []
    if wanted & {"goemotions", "online_shopping", "nlpcc", "xlmt"}:
        root = datasets.data_dir(data)
    if "goemotions" in wanted:
        reports.extend(_goemotions(scorer, root))
    if "online_shopping" in wanted:
        reports.append(_online_shopping(scorer, root))
    if "nlpcc" in wanted:
        nl = datasets.nlpcc(root, "dev")
        res = scorer.score_texts([e.text for e in nl], ["zh"] * len(nl))
        reports.append(
            _classification(
                "nlpcc/emotion/zh", [e.emotion for e in nl], list(res.emotion.argmax(1)), EMOTIONS
            )
        )
    if "xlmt" in wanted:
        for lang in XLMT_LANGUAGES.values():
            tw = datasets.xlmt(root, "val", [lang])
            res = scorer.score_texts([e.text for e in tw], [lang] * len(tw))
            reports.append(
                _classification(f"xlmt/sentiment/{lang}", [e.sentiment for e in tw],
                                list(res.sentiment.argmax(1)), SENTIMENTS)
            )  # fmt: skip
    ja_file = sanity or paths.models_dir() / "sanity" / "ja_support_affect.tsv"
    if "ja_sanity_own" in wanted and ja_file.exists():
        reports.extend(_labelled_set(scorer, ja_file, "ja", "ja_sanity_own"))
    own = sanity.parent if sanity else paths.models_dir() / "sanity"
    if "support_own" in wanted:
        reports.extend(_support_turns(scorer, own))
    for kind in ("reviews", "plain_reviews"):
        if f"{kind}_own" in wanted:
            reports.extend(_reviews(scorer, own, kind))
    if "demo_mood" in wanted:
        reports.extend(_demo_mood(scorer))
    return reports


def _labelled_set(scorer: AffectScorer, file: Path, lang: str, family: str) -> list[Report]:
    """Sentiment and emotion macro-F1 on one of our own labelled sets (text, sentiment, emotion per line)."""
    rows = datasets.labelled_tsv(file, lang, family)
    res = scorer.score_texts([e.text for e in rows], [lang] * len(rows))
    return [
        _classification(f"{family}/sentiment/{lang}", [e.sentiment for e in rows], list(res.sentiment.argmax(1)),
                        SENTIMENTS),
        _classification(f"{family}/emotion/{lang}", [e.emotion for e in rows], list(res.emotion.argmax(1)),
                        EMOTIONS),
    ]  # fmt: skip


def _support_turns(scorer: AffectScorer, folder: Path) -> list[Report]:
    """Our held-apart support turns: never trained or calibrated on (training uses models/affect_support/)."""
    reports = []
    for lang in SERVED:
        file = folder / f"{lang}_support_turns.tsv"
        if not file.exists():
            continue
        reports.extend(_labelled_set(scorer, file, lang, "support_turns_own"))
    return reports


def _reviews(scorer: AffectScorer, folder: Path, kind: str = "reviews") -> list[Report]:
    """Our held-apart product reviews, `<language>_<kind>.tsv` (sentiment only: reviews carry no emotion label
    worth measuring); never trained or calibrated on (training uses models/affect_support/)."""
    reports = []
    for lang in SERVED:
        file = folder / f"{lang}_{kind}.tsv"
        if file.exists():
            reports.append(_labelled_set(scorer, file, lang, f"{kind}_own")[0])
    return reports


def demo_turns() -> list[tuple[str, str, str, str]]:
    """(ticket id, language, customer text, sentiment a person reads in it): the first and the last customer turn of
    each example ticket, labelled by the ground truth's `customer_mood`."""
    import json

    import yaml

    root = paths.examples_dir()
    truth = {
        t["ticket_id"]: t for t in yaml.safe_load((root / "ground_truth.yaml").read_text("utf-8"))["tickets"]
    }
    out = []
    for line in (root / "tickets.jsonl").read_text(encoding="utf-8").splitlines():
        ticket = json.loads(line)
        t = truth.get(ticket["ticket_id"])
        mood = (t or {}).get("customer_mood") or {}
        said = [turn["text"] for turn in ticket["turns"] if turn["speaker"] == "customer"]
        if not said or not mood.get("start"):
            continue
        out.append((ticket["ticket_id"], t["language"], said[0], mood["start"]))
        if len(said) > 1 and mood.get("end"):
            out.append((ticket["ticket_id"], t["language"], said[-1], mood["end"]))
    return out


def _demo_mood(scorer: AffectScorer) -> list[Report]:
    turns = demo_turns()
    res = scorer.score_texts([t[2] for t in turns], [t[1] for t in turns])
    pred = res.sentiment.argmax(1)
    reports = []
    for lang in SERVED:
        rows = [i for i, t in enumerate(turns) if t[1] == lang]
        gold = [SENTIMENTS.index(turns[i][3]) for i in rows]
        hits = sum(int(pred[i]) == g for i, g in zip(rows, gold, strict=True))
        reports.append(Report(f"demo_mood/sentiment/{lang}", "accuracy", hits / len(rows), len(rows)))
    return reports


def _goemotions(scorer: AffectScorer, root: Path) -> list[Report]:
    go = datasets.goemotions(root, "dev")
    res = scorer.score_texts([e.text for e in go], ["en"] * len(go))
    single = [i for i, e in enumerate(go) if len(e.emotion_groups) == 1]
    senti = [i for i, e in enumerate(go) if e.sentiment >= 0]
    return [
        _classification("goemotions/emotion/en", [go[i].emotion for i in single],
                        list(res.emotion[single].argmax(1)), EMOTIONS),
        _classification("goemotions/sentiment/en", [go[i].sentiment for i in senti],
                        list(res.sentiment[senti].argmax(1)), SENTIMENTS),
    ]  # fmt: skip


def _online_shopping(scorer: AffectScorer, root: Path) -> Report:
    shop = datasets.online_shopping(root, "dev")
    res = scorer.score_texts([e.text for e in shop], ["zh"] * len(shop))
    gold = [e.sentiment == SENTIMENTS.index("positive") for e in shop]
    pred = list(res.sentiment_score > 0)
    return Report("online_shopping/sentiment/zh", "accuracy", float(accuracy_score(gold, pred)), len(shop))


def format_reports(reports: list[Report]) -> str:
    """A plain-text table per report: headline first, then precision/recall/F1 per class."""
    lines = []
    for rep in reports:
        extra = ""
        if rep.neg_as_pos is not None:
            extra = f"  neutral recall {rep.neutral_recall or 0:.3f}  negative read as positive {rep.neg_as_pos:.3f}"
        lines.append(f"{rep.name:34s} {rep.metric} {rep.value:.4f}  (n={rep.n}){extra}")
        for row in rep.per_class:
            lines.append(
                f"    {row['class']:9s} P {row['precision']:.3f}  R {row['recall']:.3f}  F1 {row['f1']:.3f}"
                f"  support {row['support']}"
            )
    return "\n".join(lines)


def headline(reports: list[Report]) -> dict[str, float]:
    return {r.name: round(r.value, 4) for r in reports}


__all__ = ["Report", "evaluate", "format_reports", "headline"]
