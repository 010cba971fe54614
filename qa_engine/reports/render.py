"""Turn a report's content into one self-contained HTML file and the same document as a PDF.

The HTML inlines its stylesheet and its charts (PNG data URIs) and names no other resource, so it opens from disk
with no network and nothing beside it. The PDF is WeasyPrint's rendering of that very HTML, with a URL fetcher that
allows data URIs only: a report can never reach out, even if a template were changed to. Files are
written to a temporary name and renamed, so a crash never leaves half a report where a good one was.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from qa_engine import paths
from qa_engine.errors import QAError
from qa_engine.nlp.pii import mask_pii
from qa_engine.reports.practise import short_tip

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")
_ESCAPED = re.compile(r"-[0-9a-f]{12}$")  # the tail of an escaped name
_DOTS = re.compile(r"\.{2,}")
ALL_TEAMS = "all"  # `qa report team` without TEAM; the file is team-all.html
TEAM_PREFIX = "team-"
HEAT_RGB = (209, 69, 59)


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    pdf: Path
    pages: int  # pages of the PDF


def report_file_stem(name: str, *, plain: bool = True) -> str:
    """The file name (without suffix) for an agent id or a team: one-to-one, so two ids never share a file.

    An ordinary id (letters, digits, '.', '_', '-'; not starting with '.' or '-'; no '..'; at most 100
    characters) is its own name, as the contract says (`a-17` -> `a-17.html`). Any other id, and one that `plain`
    is False for (it would collide with a reserved name), gets a readable part (other characters as '_') and the
    first 12 hex digits of the sha256 of the id: `a/1` -> `a_1-3f0c...`, never equal to the id `a_1`. An ordinary
    id never ends in '-' and 12 hex digits (such an id is escaped too), so the two kinds of names cannot meet, and
    a name never holds a path separator or '..'."""
    if plain and _PLAIN.fullmatch(name) and ".." not in name and not _ESCAPED.search(name):
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    readable = _DOTS.sub("_", _UNSAFE.sub("_", name)).strip("._-")[:60]
    return f"{readable or '_'}-{digest}"


def agent_file_stem(agent_id: str) -> str:
    """`<agent>`: an id that starts like a team report's name (`team-...`) is escaped (`report_file_stem`)."""
    return report_file_stem(agent_id, plain=not agent_id.startswith(TEAM_PREFIX))


def team_file_stem(team: str | None) -> str:
    """`team-<team>`, or `team-all` for all teams (None); a team really called `all` is escaped."""
    if team is None:
        return TEAM_PREFIX + ALL_TEAMS
    return TEAM_PREFIX + report_file_stem(team, plain=team != ALL_TEAMS)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _duration(seconds: float | None) -> str:
    """Seconds in the unit a person reads best: 45 s, 3.5 min, 5.2 h, 1.4 d."""
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _signed(value: float | None, kind: str = "score") -> str:
    """A change or a signed level: score (+3.2), score1/score2 (decimals), rate (+5 pts), count (+4)."""
    if value is None:
        return "–"
    if kind == "rate":
        text = f"{100 * value:+.0f} pts"
    elif kind == "count":
        text = f"{value:+.0f}"
    elif kind == "score2":
        text = f"{value:+.2f}"
    else:
        text = f"{value:+.1f}"
    return text.replace("-", "−")


def _fmt(value: float | None, kind: str) -> str:
    """A level as the change table shows it."""
    if kind == "rate":
        return _pct(value)
    if kind == "count":
        return "–" if value is None else f"{value:.0f}"
    return _score(value)


def _kpi(value: float | None, kind: str, currency: str | None = None) -> str:
    """A KPI in its unit (kinds: qa_engine.reports.kpi_section.KINDS)."""
    if value is None:
        return "–"
    if kind == "rate":
        return _pct(value)
    if kind == "duration":
        return _duration(value)
    if kind == "csat":
        return f"{value:.2f}"
    if kind == "balance":
        return _signed(value, "score1")
    if kind == "money":
        return f"{value:,.2f} {currency or ''}".strip()
    return _score(value)


def _kpi_delta(value: float | None, kind: str) -> str:
    """A KPI's change in its unit: rates in points, durations in their unit with a sign."""
    if value is None:
        return "–"
    if kind == "rate":
        return _signed(value, "rate")
    if kind == "duration":
        return ("+" if value >= 0 else "−") + _duration(abs(value))
    if kind == "csat":
        return _signed(value, "score2")
    return _signed(value, "score1")


def _heat(rate: float) -> str:
    """White (never fails) to the tier red (always fails): the heat map legend (cells use the h0-h10 classes)."""
    r, g, b = HEAT_RGB
    mix = [round(255 + (c - 255) * min(max(rate, 0.0), 1.0)) for c in (r, g, b)]
    return f"rgb({mix[0]}, {mix[1]}, {mix[2]})"


def _mix_background(red: int, yellow: int, green: int) -> str:
    """The tier mix as hard-stop gradient segments (one element instead of three)."""
    total = red + yellow + green
    if not total:
        return "#e5e7eb"
    a, b = 100 * red / total, 100 * (red + yellow) / total
    return (
        f"linear-gradient(to right, #d1453b 0%, #d1453b {a:.2f}%, #e9a82b {a:.2f}%, #e9a82b {b:.2f}%, "
        f"#3a9a4f {b:.2f}%, #3a9a4f 100%)"
    )


def _bar_background(value: float | None, reference: float | None) -> str:
    """A rate as a filled bar, with the reference as a dark tick on top."""
    layers = []
    if reference is not None:
        lo, hi = max(0.0, 100 * reference - 0.6), min(100.0, 100 * reference + 0.6)
        layers.append(
            f"linear-gradient(to right, transparent 0%, transparent {lo:.1f}%, #111827 {lo:.1f}%, "
            f"#111827 {hi:.1f}%, transparent {hi:.1f}%, transparent 100%)"
        )
    filled = 0.0 if value is None else 100 * value
    layers.append(
        f"linear-gradient(to right, #1f5fbf 0%, #1f5fbf {filled:.1f}%, #eef0f3 {filled:.1f}%, #eef0f3 100%)"
    )
    return ", ".join(layers)


def _rate(part: int | None, whole: int | None) -> float | None:
    return part / whole if whole else None


@cache
def _environment(template_dir: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir),
        autoescape=True,  # transcript text is data: always escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        pct=_pct, score=_score, duration=_duration, signed=_signed, fmt=_fmt, heat=_heat,
        mask_text=lambda text, language=None: mask_pii(str(text), language), agent_file=agent_file_stem, team_file=team_file_stem,
        short_tip=short_tip, kpi=_kpi, kpi_delta=_kpi_delta,
    )  # fmt: skip
    env.globals.update(rate=_rate, mix_background=_mix_background, bar_background=_bar_background)
    return env


@cache
def _stylesheet(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def render_html(template: str, report: Any, reports_dir: Path | None = None) -> str:
    """The report as one HTML document with its CSS inlined."""
    folder = reports_dir or paths.reports_dir()
    templates, css = folder / "templates", folder / "static" / "report.css"
    if not (templates / template).is_file() or not css.is_file():
        raise QAError("Q505", path=folder)
    env = _environment(str(templates))
    return env.get_template(template).render(
        r=report,
        css=markupsafe.Markup(_stylesheet(str(css))),  # our own stylesheet: trusted, not escaped
        period_label=report.period_label,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _atomic_write(path: Path, write) -> None:
    """Write through `write(tmp_path)` into a temporary file beside `path`, then rename it into place."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(handle)
        try:
            write(Path(tmp))
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        raise QAError("Q504", path=path, detail=exc.strerror or str(exc)) from exc


def write_report(html: str, out: Path, stem: str) -> ReportFiles:
    """Write OUT/<stem>.html and OUT/<stem>.pdf; returns their paths and the PDF's page count."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html_path, pdf_path = out / f"{stem}.html", out / f"{stem}.pdf"
    _atomic_write(html_path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    # only data URIs (the charts) may load: nothing from disk or the network, even if a template asked
    document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).render()
    _atomic_write(pdf_path, lambda tmp: document.write_pdf(tmp))
    return ReportFiles(html_path, pdf_path, len(document.pages))
