"""The `qa` root loads a command's module only when that command runs, and lists each command as the command itself
would: `qa --help` and every `qa COMMAND --help` stay quick, and the listing cannot drift from the commands."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from qa_engine.cli.commands import SUBCOMMANDS, LazyCommand, Subcommand

# what would make a --help take seconds: the models, NLP, the flow engine, data frames, the store, the web stack
HEAVY = (
    "torch", "transformers", "spacy", "prefect", "great_expectations", "sklearn", "numpy", "polars", "pyarrow",
    "duckdb", "psycopg", "pydantic", "matplotlib", "weasyprint", "fastapi", "uvicorn",
)  # fmt: skip
CLI_DIR = Path(__file__).parents[2] / "qa_engine" / "cli"


def _modules_after(code: str) -> dict:
    """Run `code` in a fresh interpreter; what it prints last (JSON) and the modules it had imported."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    *output, modules = done.stdout.strip().splitlines()
    return {"output": "\n".join(output), "modules": set(json.loads(modules))}


def test_qa_help_imports_no_command_module_and_nothing_heavy() -> None:
    run = _modules_after(
        "import sys\nfrom qa_engine.cli import main\nsys.argv = ['qa', '--help']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code"
    )
    assert not set(HEAVY) & run["modules"]
    commands = {m for m in run["modules"] if m.startswith("qa_engine.cli.")}
    assert commands == {"qa_engine.cli.commands"}  # the table only: no score, users, report ...
    for subcommand in SUBCOMMANDS:
        assert f" {subcommand.name} " in run["output"]


def test_every_command_help_stays_light() -> None:
    """Building every command (what `qa COMMAND --help` does) imports none of the heavy libraries: they load
    inside the command bodies."""
    run = _modules_after("from qa_engine.cli.commands import SUBCOMMANDS, LazyCommand\n"
                         "for s in SUBCOMMANDS:\n    LazyCommand(s).command")  # fmt: skip
    assert sorted(set(HEAVY) & run["modules"]) == []


def test_running_a_command_loads_only_its_module() -> None:
    run = _modules_after(
        "import sys\nfrom qa_engine.cli import main\nsys.argv = ['qa', 'store', '--help']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code"
    )
    assert "copy" in run["output"]
    commands = {m for m in run["modules"] if m.startswith("qa_engine.cli.")}
    assert commands == {"qa_engine.cli.commands", "qa_engine.cli.store"}


@pytest.mark.parametrize("subcommand", SUBCOMMANDS, ids=lambda s: s.name)
def test_the_listed_line_is_the_commands_own(subcommand: Subcommand) -> None:
    """`qa --help` shows the table's line; the command's --help shows its docstring (or group help): the two
    must say the same, so the first paragraph of the command's help is the table's line."""
    real = LazyCommand(subcommand).command
    assert real.short_help is None and not real.hidden and not real.deprecated
    assert inspect.cleandoc(real.help).split("\n\n")[0] == subcommand.help


def test_the_table_names_each_command_module_once_per_command() -> None:
    names = [s.name for s in SUBCOMMANDS]
    assert len(names) == len(set(names))
    modules = {s.target.partition(":")[0].rpartition(".")[2] for s in SUBCOMMANDS}
    on_disk = {p.stem for p in CLI_DIR.glob("*.py")} - {"__init__", "commands", "options"}
    assert modules == on_disk  # a command module nobody can run, or a row pointing at no module, fails here
