"""`qa rules test` and `qa rules list`: prove a rule pack with its own examples, and show what it holds.

`qa rules` is `app`, `make_app(affect=...)` with the real affect models for examples that do not pin their sentiment
and emotion; `make_app()` builds the same commands without them (such turns are then neutral), as tests use it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qa_engine.errors import QAError
from qa_engine.paths import rules_dir

if TYPE_CHECKING:  # the rules load spaCy: imported inside the commands so that `qa --help` stays instant
    from qa_engine.rules.examples import AffectScorer
    from qa_engine.rules.loader import RulePack

PathArgument = Annotated[
    Path | None,
    typer.Argument(
        help="A rule-pack YAML file or a folder of them (default: rules/default, or $QA_RULES_DIR)."
    ),
]
LIST_COLUMNS = (
    "id", "title", "kind", "category", "weight", "critical", "languages", "channels", "markets", "contact_reasons",
)  # fmt: skip


def default_pack_path() -> Path:
    """The pack `qa rules` reads without a PATH: <repository>/rules/default, or $QA_RULES_DIR (qa_engine.paths)."""
    return rules_dir()


def make_app(affect: AffectScorer | None = None) -> typer.Typer:
    """The `rules` command group; `affect` scores unpinned example turns (see qa_engine.rules.examples)."""
    app = typer.Typer(help="Test and list rule packs.", no_args_is_help=True)

    @app.command("test")
    def test(path: PathArgument = None) -> None:
        """Run every rule's examples; stop at the first wrong one (exit 1)."""
        from qa_engine.rules.examples import run_examples

        pack = _load(path)
        results = run_examples(pack, affect=affect)
        for result in results:
            if not result.ok:
                case = result.case
                error = QAError(
                    "Q106", rule_id=case.rule.id, file=f"{case.rule.file}:{case.rule.line}", which=case.expected,
                    index=case.index + 1, expected=case.expected, got=result.got, text=case.describe(),
                )  # fmt: skip
                typer.echo(str(error), err=True)
                typer.echo(f"  why: {result.detail}", err=True)
                if result.got == case.expected:  # the outcome is right; the pack's suggestion did not render
                    typer.echo("  no suggestion for this failure (see the rule's `suggestion`)", err=True)
                raise typer.Exit(1)
        typer.echo(
            f"{len(results)} examples of {len(pack)} rules passed (pack {pack.path}, version {pack.version})"
        )

    @app.command("list")
    def list_rules(
        path: PathArgument = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
    ) -> None:
        """List the pack's rules: id, title, kind, category, weight, critical, languages, channels."""
        from qa_engine.pack import load_pack

        try:
            rows = [entry.spec.listing() for entry in load_pack(path)]
        except QAError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(json.dumps(rows, ensure_ascii=False))
            return
        cells = [[_cell(row[c]) for c in LIST_COLUMNS] for row in rows]
        widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(LIST_COLUMNS)]
        for line in [list(LIST_COLUMNS), *cells]:
            typer.echo(
                "  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip()
            )

    return app


def _load(path: Path | None) -> RulePack:
    """The compiled pack, its reason names checked against the taxonomy (a misspelt one would match no ticket)."""
    from qa_engine.pack import load_pack
    from qa_engine.pack.reason_names import check_reason_names
    from qa_engine.reasons import load_taxonomy
    from qa_engine.rules.loader import compile_pack

    try:
        pack = load_pack(path if path is not None else default_pack_path())
        check_reason_names(pack, load_taxonomy())
        return compile_pack(pack)
    except QAError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _cell(value: object) -> str:
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _score_example_turns(turns, languages):
    """Affect for rule examples that do not pin it: the real models (loaded on first use)."""
    from qa_engine.affect import AffectScorer

    return AffectScorer.from_registry().score_turns(turns, languages)


app = make_app(affect=_score_example_turns)
