"""`--db` is one option: every command that takes a store declares it through `cli.options.DbOption`, so each shows
the same help, reads $QA_DB when the option is absent, defaults to ./qa.duckdb and turns a URL into a `StoreUrl`."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_engine.cli.commands import SUBCOMMANDS, LazyCommand
from qa_engine.cli.options import DEFAULT_DB
from qa_engine.store.location import DB_ENV, StoreUrl

URL = "postgresql://qa:s3cret@db.example:5432/qa"
OWN_DB = {"demo"}  # `qa demo --db` defaults to OUT/qa.duckdb: its own option, on purpose (cli/options.py)


def _commands(command, path: tuple[str, ...]):
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    for name, sub in subcommands.items():
        yield from _commands(sub, (*path, name))


def _db_commands() -> dict[str, object]:
    """Every `qa ...` command with a --db option, by its words, with that option."""
    found = {}
    for subcommand in SUBCOMMANDS:
        for path, command in _commands(LazyCommand(subcommand).command, (subcommand.name,)):
            for param in command.params:
                if "--db" in getattr(param, "opts", ()):
                    found[" ".join(path)] = (command, param)
    return found


DB_COMMANDS = _db_commands()
SHARED = sorted(name for name in DB_COMMANDS if name not in OWN_DB)


def test_the_commands_that_take_a_store_are_all_found() -> None:
    # a command that loses its --db, or one whose --db is not found, fails here rather than passing unseen
    expected = {"score", "rescore", "pull", "schedule", "kpi", "serve", "tiers calibrate", "models train",
                "report agent", "report team", "users add", "users list"}  # fmt: skip
    assert expected <= set(SHARED)


def test_every_db_option_is_the_shared_one() -> None:
    help_texts = {DB_COMMANDS[name][1].help for name in SHARED}
    assert len(help_texts) == 1, help_texts
    assert "$QA_DB" in help_texts.pop()
    for name in SHARED:
        param = DB_COMMANDS[name][1]
        assert param.envvar == DB_ENV, name
        assert Path(param.default) == DEFAULT_DB, name


def _resolve(name: str, opts: dict):
    command, param = DB_COMMANDS[name]
    ctx = command.context_class(command, info_name=name.split()[-1])
    value, _ = param.handle_parse_result(ctx, opts, [])
    return value


@pytest.mark.parametrize("name", SHARED)
def test_db_resolves_as_before(name: str, monkeypatch) -> None:
    monkeypatch.delenv(DB_ENV, raising=False)
    assert _resolve(name, {}) == Path("qa.duckdb")  # no --db, no $QA_DB
    assert _resolve(name, {"db": "stores/team.duckdb"}) == Path("stores/team.duckdb")
    given = _resolve(name, {"db": URL})
    assert isinstance(given, StoreUrl) and given.url == URL and "s3cret" not in str(given)
    monkeypatch.setenv(DB_ENV, URL)
    from_env = _resolve(name, {})
    assert isinstance(from_env, StoreUrl) and from_env.url == URL
    assert _resolve(name, {"db": "x.duckdb"}) == Path("x.duckdb")  # the option wins over the environment
