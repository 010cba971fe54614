"""What a scoring run is given, and its entry point: `ScoreConfig` (the options), `Engine` (the rule pack, tier
policy and models, loaded once for many batches) and `score_files` (files in, store and export out).

The run itself, read -> validate -> the stages -> store, is `qa_engine.runner.Runner`; the stages are
`qa_engine.stages`. `score_files` only checks the inputs before the models load and hands them to a Runner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa_engine import paths, schema

if TYPE_CHECKING:
    from qa_engine.runner import RunSummary


@dataclass
class ScoreConfig:
    """What a scoring run uses; every field has the contract's default."""

    rules: Path | None = None  # rule pack folder or file (default rules/default)
    db: Path = Path("qa.duckdb")
    out: Path | None = None  # write the contract's files here
    batch_tickets: int = 2000
    registry: Path | None = None  # model registry (default models/registry.yaml)
    model_overrides: dict[str, str] | None = None
    force: bool = False  # re-score tickets even when nothing changed
    affect_cache: bool = True  # serve texts seen before (same models) from the store's affect cache
    time_zone: str = "UTC"  # IANA name: the zone of timestamps given without one (`qa score --tz`)
    satisfaction_model: Path | None = None  # the fitted satisfaction model (default models/satisfaction)


class Engine:
    """The loaded rule pack, tier policy and affect models: load once, score many batches."""

    def __init__(self, config: ScoreConfig) -> None:
        from qa_engine.affect import AffectScorer
        from qa_engine.affect.cache import AffectCache
        from qa_engine.pack import load_pack
        from qa_engine.pack.reason_names import check_reason_names
        from qa_engine.reasons import ReasonsStage, Signals, load_taxonomy
        from qa_engine.rules.loader import compile_pack
        from qa_engine.satisfaction import SatisfactionStage

        self.config = config
        pack_path = config.rules or paths.rules_dir()
        pack = load_pack(pack_path)  # read once: rules, tier policy, signals, targets
        taxonomy = load_taxonomy()
        # a misspelt sub-reason would match no ticket: say so before the models load
        check_reason_names(pack, taxonomy)
        self.pack, self.policy = compile_pack(pack), pack.policy
        self.affect = AffectScorer.from_registry(config.registry, config.model_overrides)
        self.affect_cache = AffectCache(self.affect)
        self.reasons = ReasonsStage.load(self.affect, taxonomy=taxonomy, signals=Signals.of(pack))
        self.satisfaction = SatisfactionStage.load(self.affect, config.satisfaction_model)
        self.model_versions = {
            **self.affect.versions(schema.LANGUAGES), "affect_files": self.affect_cache.fingerprint(schema.LANGUAGES),
            "reasons": self.reasons.version, "satisfaction": self.satisfaction.version,
        }  # fmt: skip
        self.rule_pack_version = f"{self.pack.version}+{self.policy.version}"


def score_files(
    inputs: Sequence[str | Path],
    config: ScoreConfig,
    on_batch: Callable[[RunSummary], None] | None = None,
    engine: Engine | None = None,
) -> RunSummary:
    """Score every ticket in `inputs` into the store (and `config.out`), batch by batch (`runner.Runner`)."""
    from qa_engine.runner import Runner

    check_inputs(inputs, config.time_zone)  # a missing file or unknown zone: before seconds of model loading
    with Runner(inputs, config, engine) as run:
        run.run(run.read(inputs), on_batch=on_batch)
    return run.summary


def check_inputs(inputs: Sequence[str | Path], time_zone: str = "UTC") -> None:
    """Fail fast with the one-line error of a missing, unmatched or unsupported input, or an unknown time zone."""
    from qa_engine.sources.inputs import expand_inputs
    from qa_engine.sources.registry import reader_for
    from qa_engine.validation.prepare import check_time_zone

    check_time_zone(time_zone)
    for path, label in expand_inputs(inputs):
        reader_for(path, label)
