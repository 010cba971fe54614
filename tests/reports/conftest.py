"""Shared fixtures: the bundled examples scored once per session (real default models) and reports rendered once.

Scoring the bundled examples loads the affect model and spaCy (a minute on two busy cores), so every report test reads
the same store; tests that change a store work on their own copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa_engine import paths


@pytest.fixture(scope="session")
def scored_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the bundled example tickets, scored with the default rule pack and models."""
    from qa_engine.pipeline import ScoreConfig, score_files

    db = tmp_path_factory.mktemp("scored") / "qa.duckdb"
    summary = score_files([str(paths.examples_dir() / "tickets.jsonl")], ScoreConfig(db=db, force=True))
    assert summary.scored == summary.read > 0
    return db


@pytest.fixture
def store_copy(scored_store: Path, tmp_path: Path) -> Path:
    """A private copy of the scored store, for tests that change it."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(scored_store, copy)
    return copy
