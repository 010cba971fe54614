"""Every subcommand of `qa`, where it lives, and the stand-in that imports it only when it runs.

`qa --help` needs each subcommand's name and one line of help, nothing else; building the commands themselves would
import every command module and what those import. So the root group holds a `LazyCommand` per row of `SUBCOMMANDS`:
the listing reads its name and line, and the first time the command runs (its own `--help` included) the stand-in
imports the module and hands parsing and invoking to the real command. A new command is a module in this package and
a row here; tests/cli/test_lazy.py checks that each row's line is the first paragraph of the command's own help.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Subcommand:
    """One `qa` subcommand: `target` is "module:attribute", a `typer.Typer` (a command group such as `qa users`)
    or a function (one command such as `qa score`); `help` is the line `qa --help` shows for it."""

    name: str
    target: str
    help: str


SUBCOMMANDS = (
    Subcommand(
        "score", "qa_engine.cli.score:score", "Score the tickets in INPUTS into the store (and --out)."
    ),
    Subcommand(
        "demo",
        "qa_engine.cli.demo:demo",
        "Score the bundled example tickets offline on the embedded default models, print a summary and write the\n"
        "coaching reports (OUT/reports/).",
    ),
    Subcommand(
        "rescore",
        "qa_engine.cli.score:rescore",
        "Re-score stored tickets after a rule pack or model change (human reviews are kept).",
    ),
    Subcommand(
        "pull",
        "qa_engine.cli.pull:pull",
        "Pull what changed since the last pull from each source and score it like `qa score` (CONTRACT.md\n"
        "section 6). A failed source is one line naming it; the others still run; the exit status is then 1.",
    ),
    Subcommand(
        "schedule",
        "qa_engine.cli.schedule:schedule",
        "Serve the nightly flow on a schedule (needs a Prefect server: `prefect server start`): pull every source of\n"
        "--config, or score the new files of a --source folder.",
    ),
    Subcommand(
        "kpi",
        "qa_engine.cli.kpi:kpi",
        "Service KPIs per group for the tickets that start in the period, against their targets (CONTRACT section 5).",
    ),
    Subcommand(
        "serve",
        "qa_engine.cli.serve:serve",
        "Start the review app: queue, conversation view, reviews, disputes, calibration, KPIs, coaching, and the\n"
        "JSON API. HTTPS with --tls-cert/--tls-key, or behind a reverse proxy named with --trusted-proxy\n"
        "(docs/security.md).",
    ),
    Subcommand("rules", "qa_engine.cli.rules:app", "Test and list rule packs."),
    Subcommand(
        "models", "qa_engine.cli.models:app", "Train and evaluate the affect models (sentiment, emotion)."
    ),
    Subcommand(
        "tiers",
        "qa_engine.cli.tiers:app",
        "Calibrate the tier policy from a store's CSAT and reviewed tiers.",
    ),
    Subcommand(
        "reasons",
        "qa_engine.cli.reasons:app",
        "Contact reasons and escalation risk: fit and evaluate the classifiers.",
    ),
    Subcommand(
        "coaching",
        "qa_engine.cli.kpi:coaching_app",
        "Coaching sessions: record them; reports compare the agent before and after.",
    ),
    Subcommand("users", "qa_engine.cli.users:app", "Review-app users."),
    Subcommand("store", "qa_engine.cli.store:app", "Whole stores: copy one into another."),
    Subcommand(
        "report",
        "qa_engine.cli.report:app",
        "Coaching reports per agent and per team: one self-contained HTML file and a PDF each.",
    ),
)


class LazyCommand(TyperCommand):
    """A subcommand known by its name and help line until it runs; then the real command, built from its module."""

    def __init__(self, subcommand: Subcommand) -> None:
        super().__init__(subcommand.name, help=subcommand.help)
        self.subcommand = subcommand

    @cached_property
    def command(self) -> Any:
        """The real click command, built as `app.add_typer(...)` / `app.command(...)` would mount it on the root."""
        module, _, attribute = self.subcommand.target.partition(":")
        target = getattr(importlib.import_module(module), attribute)
        holder = typer.Typer(add_completion=False)
        holder.callback()(_no_options)  # a group of one, so that a single command stays a command
        if isinstance(target, typer.Typer):
            holder.add_typer(target, name=self.subcommand.name)
        else:
            holder.command(self.subcommand.name)(target)
        return typer.main.get_command(holder).commands[self.subcommand.name]  # type: ignore[attr-defined]

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        # parsing (and so --help) is the real command's, as is the context, which then invokes the real command
        return self.command.make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        return self.command.invoke(ctx)


def _no_options() -> None:
    """The holder group's callback: it adds nothing."""


class LazyGroup(TyperGroup):
    """The root `qa` group: one `LazyCommand` per row of `SUBCOMMANDS`, in that order (the order `qa --help` lists)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for subcommand in SUBCOMMANDS:
            self.add_command(LazyCommand(subcommand))
