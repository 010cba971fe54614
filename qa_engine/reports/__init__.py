"""Coaching reports per agent and per team, rendered from the store as self-contained HTML and PDF.

    render_agent_report(db, "a-17", out)            # OUT/a-17.html, OUT/a-17.pdf
    render_team_report(db, "EU-1", out)             # OUT/team-EU-1.*; team None: OUT/team-all.*
    render_all(db, out, date_from, date_to)         # every active agent, every team and the index (nightly)
    render_all(db, out, workers=default_workers())  # the same in one process per core

Layout: `queries` (the SQL: every number, once per period), `agent` and `team` (what each report shows),
`practise` ("what to practise this week"), `excerpts` (masked transcript excerpts), `charts` (matplotlib, SVG),
`render` (Jinja2 templates from `reports/`, WeasyPrint), `build` (the entry points of `qa_engine.cli.report`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa_engine.lazy import lazy_getattr

# names load on first use: `qa demo` and `qa report` import this package, and matplotlib, WeasyPrint and polars
# would add a second to their `--help`
_EXPORTS: dict[str, str] = {
    "RenderSummary": "build", "default_workers": "build", "render_agent_report": "build", "render_all": "build",
    "render_team_report": "build", "Period": "period", "ReportFiles": "render",
}  # fmt: skip
__all__ = [
    "Period",
    "RenderSummary",
    "ReportFiles",
    "default_workers",
    "render_agent_report",
    "render_all",
    "render_team_report",
]

if TYPE_CHECKING:
    from qa_engine.reports.build import (
        RenderSummary,
        default_workers,
        render_agent_report,
        render_all,
        render_team_report,
    )
    from qa_engine.reports.period import Period
    from qa_engine.reports.render import ReportFiles


__getattr__ = lazy_getattr(__name__, _EXPORTS)
