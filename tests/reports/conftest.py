"""Shared fixtures: the bundled examples scored once per run (`scored_examples`, tests/conftest.py) and reports
rendered once.

Scoring the bundled examples loads the affect model and spaCy (a minute on two busy cores), so every report test reads
the same store; tests that change a store work on their own copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def scored_store(scored_examples) -> Path:
    """A store holding the bundled example tickets, scored with the default rule pack and models (read only)."""
    return scored_examples.db


@pytest.fixture
def store_copy(scored_store: Path, tmp_path: Path) -> Path:
    """A private copy of the scored store, for tests that change it."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(scored_store, copy)
    return copy
