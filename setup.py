"""Build hook: ship the top-level data folders inside the wheel, so that a plain `pip install .` runs `qa demo`.

`rules/` (the default pack), `models/` (registry, embedded weights, model cards), `reports/` (templates) and
`examples/` stay at the top of the repository, where the design card puts them. A wheel can only carry files under
its packages, so `build_py` copies them to `qa_engine/_data/<folder>/` in the build; `qa_engine.paths` looks there
first and falls back to the checkout. Editable installs copy nothing: they read the checkout.
Everything else (name, dependencies, package data inside `qa_engine/`) is in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DATA_FOLDERS = ("rules", "models", "reports", "examples")
SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints"}
SKIP_SUFFIXES = {".pyc", ".tmp", ".partial"}


def data_files() -> list[tuple[Path, Path]]:
    """(source, path under the package) for every file of the data folders, in a stable order."""
    found = []
    for name in DATA_FOLDERS:
        for source in sorted((ROOT / name).rglob("*")):
            relative = source.relative_to(ROOT)
            if (
                source.is_file()
                and not SKIP_PARTS & set(relative.parts)
                and source.suffix not in SKIP_SUFFIXES
            ):
                found.append((source, Path("qa_engine", "_data", *relative.parts)))
    return found


class BuildPyWithData(build_py):
    """`build_py` that also copies the data folders into the build (not in editable mode)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for source, target in data_files():
            destination = Path(self.build_lib) / target
            self.mkpath(str(destination.parent))
            self.copy_file(str(source), str(destination))


setup(cmdclass={"build_py": BuildPyWithData})
