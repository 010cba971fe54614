"""Fit the satisfaction model from labelled dialogues: STC-3 DCH-1 and a store's own tickets.

Features come from the same pipeline stages that score tickets (language, NLP, affect, reasons), run on the
labelled dialogues, so the model sees in training exactly what it sees when it scores. A store's own labels are
tickets that carry `csat` (1-2 dissatisfied, 4-5 satisfied, 3 left out) and QA leads' reviewed tiers (red
dissatisfied, green satisfied; yellow says neither); a review outranks the CSAT of the same ticket. With
`--from-store` the team's own tickets are weighted up (`store_weight`) so that its own labels make the model theirs.

The regularisation strength is chosen by cross-validated AUC on the training rows (grouped by dialogue, seeded).
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from qa_engine.errors import QAError
from qa_engine.satisfaction.features import conversations
from qa_engine.satisfaction.model import SatisfactionModel

log = logging.getLogger(__name__)

C_GRID = (0.003, 0.01, 0.03, 0.1)
MIN_PER_CLASS = 5


@dataclass
class Labelled:
    """Feature rows with labels: what the fit reads."""

    ids: list[str]
    rows: np.ndarray  # (n, features)
    labels: np.ndarray  # (n,) 1 = dissatisfied
    languages: list[str]
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        if not len(self.weights):
            self.weights = np.ones(len(self.ids))

    def concat(self, other: Labelled) -> Labelled:
        if not other.ids:
            return self
        if not self.ids:
            return other
        return Labelled(
            self.ids + other.ids, np.vstack([self.rows, other.rows]),
            np.concatenate([self.labels, other.labels]), self.languages + other.languages,
            np.concatenate([self.weights, other.weights]),
        )  # fmt: skip


def engine_rows(engine, records: Sequence[dict], store=None) -> tuple[list[str], np.ndarray]:
    """Feature rows of ticket records (CONTRACT.md section 1) through the engine's own stages: (ids, rows) for the
    records that have a customer turn to judge, in input order. Quarantined records are logged, not fitted."""
    from qa_engine.sources import read_inputs

    ids: list[str] = []
    rows: list[np.ndarray] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dialogues.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        for batch in read_inputs([str(path)], batch_tickets=500):
            if batch.quarantine:
                log.warning("%d labelled dialogues quarantined (not fitted)", len(batch.quarantine))
            if not batch.tickets.height:
                continue
            conv = batch_conversations(engine, batch.tickets, batch.turns, store)
            for c in conv:
                row = c.row()
                if row is not None:
                    ids.append(c.ticket_id)
                    rows.append(row)
            log.info("features of %d dialogues", len(ids))
    width = rows[0].shape[0] if rows else 0
    return ids, np.vstack(rows) if rows else np.zeros((0, width), dtype=np.float32)


def batch_conversations(engine, tickets: pl.DataFrame, turns: pl.DataFrame, store=None) -> list:
    """The scoring stages language, NLP, affect and reasons over one batch, as `Conversation`s."""
    from qa_engine.batch import Batch
    from qa_engine.runner import run_stages
    from qa_engine.stages import SCORING, Context, only

    batch, _ = run_stages(
        Batch(tickets, turns), Context(engine, store), only(SCORING, "language", "nlp", "affect", "reasons")
    )
    return conversations(batch.tickets, batch.turns, batch.vectors)


def stc3_labelled(engine, data: Path, split: str, cache: Path | None = None) -> Labelled:
    """STC-3 DCH-1 `split` as feature rows (cached in `cache` by the models and the engine's code)."""
    from qa_engine.satisfaction.stc3 import load_dialogues

    dialogues = load_dialogues(data, split)
    # what the features depend on: the affect models, the reasons model and the stages' code (a change to a stage,
    # such as which turns the escalation model may read, moves no model version), not the satisfaction model
    versions = {k: v for k, v in engine.model_versions.items() if k != "satisfaction"}
    key = json.dumps({**versions, "code": _code_sha()}, sort_keys=True)
    file = cache / f"stc3-{split}.npz" if cache else None
    if file and file.exists():
        saved = np.load(file, allow_pickle=False)
        if str(saved["key"]) == key:
            ids = [str(i) for i in saved["ids"]]
            return _label(ids, saved["rows"], dialogues)
    ids, rows = engine_rows(engine, [d.ticket for d in dialogues])
    if file:
        file.parent.mkdir(parents=True, exist_ok=True)
        np.savez(file, ids=np.array(ids), rows=rows, key=np.array(key))
    return _label(ids, rows, dialogues)


def _code_sha() -> str:
    """A hash of the engine's Python source: any code change refreshes the cached features (a refit costs minutes,
    features from stale code cost a model that reads what scoring no longer computes)."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for file in sorted(package.rglob("*.py")):
        digest.update(file.relative_to(package).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _label(ids: list[str], rows: np.ndarray, dialogues) -> Labelled:
    by_id = {d.ticket["ticket_id"]: d for d in dialogues}
    return Labelled(
        ids, rows, np.array([int(by_id[i].dissatisfied) for i in ids]), [by_id[i].language for i in ids]
    )


def store_labelled(engine, db: str | Path, weight: float) -> Labelled:
    """A store's tickets that carry a label: the latest review's tier (red 1, green 0) or else `csat` (1-2 -> 1,
    4-5 -> 0), re-read through the engine's stages (the affect cache serves texts it has seen)."""
    from qa_engine.store import Store

    store = Store(db)
    if not store.path.exists():
        raise QAError("Q754", db=db, detail="the store does not exist")
    labels = store_labels(store)
    if not labels:
        return Labelled([], np.zeros((0, 0)), np.zeros(0), [])
    records = stored_records(store, list(labels))
    ids, rows = engine_rows(engine, records, store)
    language = {r["ticket_id"]: r.get("language") or "" for r in records}
    return Labelled(
        ids, rows, np.array([labels[i] for i in ids]), [language[i] for i in ids], np.full(len(ids), weight)
    )


def store_labels(store) -> dict[str, int]:
    """ticket_id -> 1 (dissatisfied) / 0 (satisfied) from the latest review's tier, else from `csat`."""
    frame = store.query(
        "SELECT t.ticket_id, t.csat, r.tier AS reviewed FROM tickets t LEFT JOIN ("
        "  SELECT ticket_id, tier FROM reviews QUALIFY row_number() OVER (PARTITION BY ticket_id ORDER BY version DESC) = 1"
        ") r USING (ticket_id)"
    )
    out: dict[str, int] = {}
    for tid, csat, reviewed in frame.iter_rows():
        if reviewed in ("red", "green"):
            out[tid] = int(reviewed == "red")
        elif reviewed is None and csat is not None and csat != 3:
            out[tid] = int(csat <= 2)
    return out


def stored_records(store, ticket_ids: list[str]) -> list[dict]:
    """Stored tickets as input records (CONTRACT.md section 1), to score them again for their features."""
    stored = store.read_results(ticket_ids)
    turns = stored["turns"].sort("ticket_id", "turn_index").group_by("ticket_id", maintain_order=True)
    by_ticket = {
        tid[0]: [
            {k: v for k, v in t.items() if v is not None}
            for t in part.select("speaker", "text", "ts", "agent_id").to_dicts()
        ]
        for tid, part in turns
    }
    records = []
    for t in stored["tickets"].iter_rows(named=True):
        record = {
            k: t[k]
            for k in ("ticket_id", "channel", "language", "agent_id", "team", "customer_id", "created_at")
            if t.get(k) is not None
        }
        if t.get("metadata"):
            record["metadata"] = json.loads(t["metadata"])
        record["turns"] = by_ticket.get(t["ticket_id"], [])
        records.append(record)
    return records


def fit(train: Labelled, seed: int = 13, c_grid: Sequence[float] = C_GRID) -> SatisfactionModel:
    """Logistic regression on standardised rows, C chosen by 5-fold cross-validated AUC."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    counts = np.bincount(train.labels.astype(int), minlength=2)
    if counts.min() < MIN_PER_CLASS:
        raise QAError(
            "Q753", what="fit the satisfaction model",
            detail=f"{counts[1]} dissatisfied and {counts[0]} satisfied; need {MIN_PER_CLASS} of each",
        )  # fmt: skip
    mean = train.rows.mean(0)
    scale = train.rows.std(0)
    scale[scale < 1e-6] = 1.0
    x = (train.rows - mean) / scale
    y = train.labels

    def model(c: float) -> LogisticRegression:
        return LogisticRegression(C=c, max_iter=3000)

    # one BLAS thread, as `qa reasons fit`: with more, the weights move in their last bits with the core count
    with threadpool_limits(limits=1):
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
        cv: dict[float, float] = {}
        for c in c_grid:
            scores = []
            for a, b in folds.split(x, y):
                clf = model(c).fit(x[a], y[a], sample_weight=train.weights[a])
                scores.append(roc_auc_score(y[b], clf.decision_function(x[b])))
            cv[c] = float(np.mean(scores))
            log.info("C=%g cross-validated AUC %.4f", c, cv[c])
        best = max(cv, key=lambda c: (cv[c], -c))
        clf = model(best).fit(x, y, sample_weight=train.weights)
    prior = float(np.log(counts[1] / counts[0]))
    meta = {
        "C": best, "cv_auc": {str(c): round(v, 4) for c, v in cv.items()}, "prior_logit": round(prior, 6),
        "trained_on": {"rows": len(y), "dissatisfied": int(counts[1]), "satisfied": int(counts[0])},
    }  # fmt: skip
    return SatisfactionModel(clf.coef_[0].astype(np.float32), float(clf.intercept_[0]), mean, scale, meta)


def auc_by_language(model: SatisfactionModel, data: Labelled) -> dict[str, dict]:
    """AUC for dissatisfied rows per language (and all together), with counts."""
    from sklearn.metrics import roc_auc_score

    risk = model.predict_rows(data.rows)
    langs = np.array(data.languages)
    out = {}
    for name in [*sorted(set(data.languages)), "all"]:
        pick = np.ones(len(langs), dtype=bool) if name == "all" else langs == name
        y = data.labels[pick]
        if len(set(y)) < 2:
            continue
        out[name] = {
            "auc": round(float(roc_auc_score(y, risk[pick])), 4), "n": int(pick.sum()),
            "dissatisfied": int(y.sum()),
        }  # fmt: skip
    return out


def train_satisfaction(
    data: Path | None,
    out: Path,
    *,
    db: str | Path | None = None,
    store_weight: float = 3.0,
    cache: Path | None = None,
    seed: int = 13,
) -> tuple[SatisfactionModel, list[dict]]:
    """Fit on STC-3 train (when `data` holds it) plus a store's labelled tickets (when `db` is given), save the
    model to `out`, and return it with its metric rows on STC-3 dev (dialogue-level, before the tier)."""
    from qa_engine.pipeline import Engine, ScoreConfig
    from qa_engine.reasons.classifier import encoder_fingerprint
    from qa_engine.satisfaction.stc3 import FOLDER

    engine = Engine(ScoreConfig(affect_cache=db is not None, db=Path("qa.duckdb") if db is None else db))
    have_stc3 = data is not None and (data / FOLDER).is_dir()
    if data is not None and not have_stc3 and db is None:
        raise QAError("Q301", path=data / FOLDER)
    train = (
        stc3_labelled(engine, data, "train", cache)
        if have_stc3
        else Labelled([], np.zeros((0, 0)), np.zeros(0), [])
    )
    sources = {"stc3_train": len(train.ids)} if have_stc3 else {}
    if db is not None:
        own = store_labelled(engine, db, store_weight)
        sources["store"] = len(own.ids)
        train = train.concat(own)
    model = fit(train, seed)
    metrics: list[dict] = []
    if have_stc3:
        dev = stc3_labelled(engine, data, "dev", cache)
        for language, figures in auc_by_language(model, dev).items():
            metrics.append({"name": f"satisfaction/stc3_dev_dialogues/{language}", "metric": "risk_auc",
                            "value": figures["auc"], "n": figures["n"], "dissatisfied": figures["dissatisfied"]})  # fmt: skip
    model.meta.update(
        encoder=encoder_fingerprint(engine.affect.vector_spec()), sources=sources, seed=seed,
        # the escalation risk is a feature: a refit of the reasons classifier or the signals needs a refit here too
        reasons=engine.reasons.version,
        label="dissatisfied: STC-3 mean S <= -0.5; store: latest reviewed tier red (green satisfied), else csat 1-2 (4-5 satisfied)",
    )  # fmt: skip
    model.save(out)
    return model, metrics
