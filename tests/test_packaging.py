"""A plain (non-editable) install carries what the product needs: the wheel holds the default pack, the model
registry and embedded weights, the report templates and the examples, and `qa demo` runs from it outside the checkout.

The wheel is built from a copy of the files the build reads, so the test neither writes into the checkout nor ships
whatever else lies in it. The venv reuses this environment's packages through a `.pth` file (the pinned torch is
never reinstalled, nothing is downloaded) and gets only the wheel itself.
"""

from __future__ import annotations

import ast
import os
import shutil
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import polars as pl
import pytest

from qa_engine import paths

ROOT = paths.PROJECT_ROOT
BUILD_INPUTS = (
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "qa_engine",
    "flows",
    *paths.DATA_FOLDERS,
)
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", "_data")


def tracked(folder: str) -> set[str]:
    """The checkout's files under `folder` as git knows them (what a release ships), relative to the root."""
    listed = subprocess.run(
        ["git", "ls-files", "--", folder], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {name for name in listed if (ROOT / name).is_file()}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=JUNK)
        else:
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(out), str(source)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (built,) = out.glob("qa_engine-*.whl")
    return built


def test_wheel_ships_the_data_folders_and_package_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in paths.DATA_FOLDERS:
        expected = {f"qa_engine/{paths.PACKAGED}/{name}" for name in tracked(folder)}
        assert expected, folder
        assert expected <= names, sorted(expected - names)[:5]
    web_and_store = (
        tracked("qa_engine/web/templates") | tracked("qa_engine/web/static") | {"qa_engine/store/schema.sql"}
    )
    assert web_and_store <= names, sorted(web_and_store - names)
    assert "qa_engine/_data/models/embedded/affect-e5s6-v1/weights.safetensors" in names


def test_setup_ships_the_folders_paths_reads() -> None:
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    (folders,) = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "DATA_FOLDERS" for t in node.targets)
    ]
    assert folders == paths.DATA_FOLDERS


def test_checkout_reads_its_own_folders() -> None:
    """Without a packaged copy (a checkout or an editable install) the top-level folders are used, so an edit to
    rules/ takes effect without a reinstall."""
    assert not (ROOT / "qa_engine" / paths.PACKAGED).exists()
    assert paths.data_folder("rules") == ROOT / "rules"
    assert paths.reports_dir() == ROOT / "reports"


@pytest.mark.slow
def test_plain_install_runs_demo_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False, system_site_packages=True)
    python = env_dir / "bin" / "python"
    (purelib,) = (env_dir / "lib").glob("python3*/site-packages")
    # this environment's packages (torch, transformers...) after the venv's own, which will hold only qa_engine
    (purelib / "_qa_engine_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "QA_MODELS_DIR", "QA_RULES_DIR"}}
    env |= {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "MPLBACKEND": "Agg", "DO_NOT_TRACK": "1"}
    subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel],
        env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip

    where = tmp_path / "elsewhere"
    where.mkdir()
    probe = "import qa_engine, qa_engine.paths as p; print(qa_engine.__file__); print(p.models_dir()); print(p.rules_dir())"
    located = subprocess.run(
        [python, "-c", probe], cwd=where, env=env, capture_output=True, text=True, check=True
    )
    for line in located.stdout.splitlines():
        assert Path(line).is_relative_to(purelib), line  # the installed copy, not the checkout

    demo = subprocess.run(
        [env_dir / "bin" / "qa", "demo"], cwd=where, env=env, capture_output=True, text=True, timeout=1200
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    out = where / "out" / "demo"
    expected = sum(
        1 for line in (ROOT / "examples" / "tickets.jsonl").read_text(encoding="utf-8").splitlines() if line
    )
    tickets = pl.read_parquet(out / "tickets.parquet")
    assert tickets.height == expected
    assert set(tickets["tier"]) == {"red", "yellow", "green"}
    emotions = pl.read_parquet(out / "turns.parquet")["emotion"]
    assert emotions.null_count() == 0 and emotions.n_unique() >= 3  # the embedded model scored every turn
    assert (out / "reports" / "team-all.html").stat().st_size > 0
    assert (out / "reports" / "team-all.pdf").stat().st_size > 0
    # what the README promises of `qa demo` (checked here, on the one demo run of the suite): a report per agent,
    # a composure failure with its suggestion, the ticket in a language no rule covers, a suggestion per failure
    agents = set(tickets["agent_id"].drop_nulls())
    assert {p.stem for p in (out / "reports").glob("*.pdf") if not p.stem.startswith("team-")} == agents
    assert f"{len(agents)} agent" in demo.stdout
    assert "T-1012 composure_after_hostility:" in demo.stdout and "suggestion After turn 0:" in demo.stdout
    assert "T-8001: language not covered: th" in demo.stdout
    rules = pl.read_parquet(out / "rule_results.parquet")
    failed = rules.filter(pl.col("outcome") == "fail")
    assert failed["suggestion"].null_count() == 0
    assert rules.filter(pl.col("outcome") != "fail")["suggestion"].is_null().all()
