"""Where a pack's files are: the pack's own folder, and "this file in the pack, else the default pack's".

A pack is a folder of YAML files (or one rule file, whose folder holds the rest). Rule files may be many; the tier
policy (`tiers.yaml`), the escalation signals (`escalation.yaml`) and the KPI targets and SLAs (`targets.yaml`) are
one file each, and a pack that leaves one out borrows the default pack's, except the targets, whose absence means
the built-in defaults (`qa_engine.kpi.targets`).
"""

from __future__ import annotations

from pathlib import Path

from qa_engine import paths
from qa_engine.errors import QAError

YAML_SUFFIXES = (".yaml", ".yml")
POLICY_FILE = "tiers.yaml"
SIGNALS_FILE = "escalation.yaml"
TARGETS_FILE = "targets.yaml"


def pack_path(pack: str | Path | None = None) -> Path:
    """The pack itself (a folder or a single rule file): `pack`, or the default pack without one."""
    return Path(pack) if pack else paths.rules_dir()


def pack_folder(pack: str | Path | None = None) -> Path:
    """The folder holding the pack's files: the pack folder, or the folder of a single pack file."""
    base = pack_path(pack)
    return base if base.is_dir() else base.parent


def pack_file(pack: str | Path | None, name: str, *, fallback: bool = True) -> Path | None:
    """`name` in the pack's folder; else (`fallback`) the default pack's ($QA_RULES_DIR's, then the shipped one's),
    or None without fallback."""
    found = pack_folder(pack) / name
    if found.is_file() or not fallback:
        return found if found.is_file() else None
    default = pack_folder(None) / name
    return default if default.is_file() else paths.data_folder("rules") / "default" / name


def yaml_files(pack: str | Path) -> list[Path]:
    """Every *.yaml / *.yml file of a pack folder (sorted, sub-folders included), or the single file named;
    Q101 when it does not exist."""
    root = Path(pack)
    if not root.exists():
        raise QAError("Q101", path=root)
    if not root.is_dir():
        return [root]
    return sorted(p for p in root.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
