"""The `qa` command line (CONTRACT.md section 2): `app`, the root group, and `main`, the entry point.

Layout: `commands.py` lists every subcommand and loads its module only when it runs, so `qa --help` imports none of
them; `options.py` holds the options several commands share (`--db`, `--rules`, `--model`, `--registry` ...); each
other module is one command or command group (`score.py` holds `qa score` and `qa rescore`, `kpi.py` `qa kpi` and
`qa coaching`, `users.py` `qa users ...`). Every error a user can cause is one line on stderr and a non-zero exit,
never a traceback.
"""

from __future__ import annotations

import os

import typer

from qa_engine.cli.commands import LazyGroup
from qa_engine.errors import QAError

app = typer.Typer(
    cls=LazyGroup,
    name="qa",
    help="qa-engine: score customer-service conversations (rules, sentiment, emotion) into red/yellow/green tiers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    # no options of its own: the callback makes `app` a group whose commands LazyGroup adds
    pass


def _click_exception_types() -> tuple[tuple[type, ...], tuple[type, ...], tuple[type, ...]]:
    """Usage errors come from typer's bundled copy of click (typer >= 0.29), or from click itself in older typers:
    both are caught, so `qa scor` or a missing argument prints click's usage message, not an internal error."""
    import click

    exceptions = [click.exceptions]
    try:
        from typer._click import exceptions as bundled

        exceptions.append(bundled)
    except ImportError:
        pass
    return (
        tuple(m.ClickException for m in exceptions),
        (click.exceptions.Exit, typer.Exit),
        tuple(m.NoArgsIsHelpError for m in exceptions if hasattr(m, "NoArgsIsHelpError")),
    )


def main() -> None:
    """Entry point: one-line errors, no tracebacks (set QA_DEBUG=1 to see them)."""
    try:
        code = app(standalone_mode=False)  # without standalone mode click returns typer.Exit's code
    except QAError as exc:
        typer.echo(f"qa: {exc}", err=True)
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        raise SystemExit(130) from None
    except Exception as exc:
        click_exception, click_exit, no_args_help = _click_exception_types()
        if isinstance(exc, no_args_help):  # the help is already printed; click's usage exit code
            raise SystemExit(exc.exit_code) from None
        if isinstance(exc, click_exception):
            exc.show()
            raise SystemExit(exc.exit_code) from None
        if isinstance(exc, click_exit):
            raise SystemExit(exc.exit_code) from None
        if os.environ.get("QA_DEBUG"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        typer.echo(
            f"qa: internal error: {type(exc).__name__}: {first} (set QA_DEBUG=1 for details)", err=True
        )
        raise SystemExit(1) from None
    if isinstance(code, int) and code:
        raise SystemExit(code)
