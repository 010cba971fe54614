"""Where the project's data folders live: next to the package in a checkout, or where the environment says."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def models_dir() -> Path:
    """`models/` (registry and embedded weights); $QA_MODELS_DIR overrides."""
    return Path(os.environ.get("QA_MODELS_DIR") or PROJECT_ROOT / "models")


def rules_dir() -> Path:
    """The default rule pack; $QA_RULES_DIR overrides."""
    return Path(os.environ.get("QA_RULES_DIR") or PROJECT_ROOT / "rules" / "default")


def examples_dir() -> Path:
    return PROJECT_ROOT / "examples"


def reports_dir() -> Path:
    """Report templates and static assets."""
    return PROJECT_ROOT / "reports"
