"""The report charts, drawn offline with matplotlib (Agg) and inlined as PNG data URIs.

PNG rather than SVG because WeasyPrint draws an SVG node by node: a matplotlib SVG cost it about a second per
chart, a 150 dpi PNG a few milliseconds, and at print size the PNG is still sharp. Text uses matplotlib's bundled
DejaVu Sans, so a chart looks the same on a machine without system fonts; where a Noto CJK font is installed it
is the fallback for the characters DejaVu lacks (an agent named 王芳 was drawn as boxes). Figures are built with the
object-oriented API (no pyplot state) and fixed margins (constrained layout would draw every figure twice), and
every chart function takes plain lists: what to show is decided in `agent.py` and `team.py`, how to show it here.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

TIER_COLOURS: dict[str, str] = {"red": "#d1453b", "yellow": "#e9a82b", "green": "#3a9a4f"}
SELF, REFERENCE, MUTED = "#1f5fbf", "#6b7280", "#aeb5bf"
COACHING = "#7c3aed"
# one colour per contact reason (CONTRACT.md section 3), colour-blind-safe where it matters most
REASON_COLOURS: dict[str, str] = {
    "presales": "#8fb8e8", "order": "#1f5fbf", "payment": "#e9a82b", "logistics": "#3a9a4f",
    "returns": "#7c3aed", "complaint": "#d1453b", "account": "#6b7280", "other": "#cbd2d9", "unknown": "#eef0f3",
}  # fmt: skip
WIDTH_IN = 7.0  # the A4 page's text width, less a margin
DPI = 150
# fixed margins in inches: room for tick labels on the left, titles and legends on top
MARGINS = {"left": 0.75, "right": 0.15, "top": 0.4, "bottom": 0.5}

# installed CJK fonts, tried in turn for what DejaVu Sans lacks (only installed ones: a missing family is a warning)
_CJK_FALLBACK = ("Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK KR")


def _font_families() -> list[str]:
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return ["DejaVu Sans", *(name for name in _CJK_FALLBACK if name in installed)]


_STYLE = {
    "font.family": _font_families(),
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9aa1ab",
    "axes.labelcolor": "#374151",
    "xtick.color": "#374151",
    "ytick.color": "#374151",
    "legend.frameon": False,
    "legend.fontsize": 8,
    "axes.titley": 1.0,  # a fixed title position: placing it automatically measures every tick label again
    "axes.titlepad": 5.0,
}


@dataclass(frozen=True)
class Chart:
    uri: str  # data:image/png;base64,...
    alt: str  # what the chart shows, for screen readers and as a caption
    width_in: float
    height_in: float


def _figure(
    height_in: float,
    hspace_in: float = 0.0,
    wspace_in: float = 0.0,
    left_in: float | None = None,
    width_in: float = WIDTH_IN,
    bottom_in: float | None = None,
) -> Figure:
    """A figure whose margins and gaps between panels are given in inches, whatever its size."""
    fig = Figure(figsize=(width_in, height_in), dpi=DPI)
    left = MARGINS["left"] if left_in is None else left_in
    fig.subplots_adjust(
        left=left / width_in, right=1 - MARGINS["right"] / width_in,
        top=1 - MARGINS["top"] / height_in, bottom=(bottom_in or MARGINS["bottom"]) / height_in,
        hspace=hspace_in / height_in * 2, wspace=wspace_in / width_in * 2,
    )  # fmt: skip
    return fig


def _encode(fig: Figure, alt: str) -> Chart:
    buffer = io.BytesIO()
    with matplotlib.rc_context(_STYLE):
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    width, height = fig.get_size_inches()
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Chart(f"data:image/png;base64,{data}", alt, float(width), float(height))


def _percent(value: float, _pos: object = None) -> str:
    return f"{value:.0%}"


def _tier_bars(ax, labels: Sequence[str], tiers: dict[str, Sequence[int]], horizontal: bool = False) -> None:
    """Stacked red / yellow / green bars, one per label."""
    bottom = [0] * len(labels)
    positions = range(len(labels))
    for tier in ("red", "yellow", "green"):
        values = tiers[tier]
        if horizontal:
            ax.barh(positions, values, left=bottom, color=TIER_COLOURS[tier], label=tier, height=0.65)
        else:
            ax.bar(positions, values, bottom=bottom, color=TIER_COLOURS[tier], label=tier, width=0.7)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]


def trend_chart(
    labels: Sequence[str],
    tiers: dict[str, Sequence[int]],
    score: Sequence[float | None],
    reference: Sequence[float | None] | None,
    points: Sequence[tuple[int, float]],
    score_label: str,
    reference_label: str,
    bucket_name: str,
    markers: Sequence[float] = (),
) -> Chart:
    """QA score per bucket against a reference line (the team median), over stacked tier counts per bucket;
    `markers` are x positions (in buckets) of coaching sessions, drawn as vertical lines through both panels."""
    with matplotlib.rc_context(_STYLE):
        fig = _figure(3.0, hspace_in=0.5)
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1.35, 1])
        x = list(range(len(labels)))
        if points:
            px, py = zip(*points, strict=True)
            top.scatter(px, py, s=9, color=MUTED, zorder=1, label="one ticket")
        if reference is not None:
            top.plot(x, [math.nan if v is None else v for v in reference], color=REFERENCE, linestyle="--",
                     marker="s", markersize=3.5, linewidth=1.3, label=reference_label, zorder=2)  # fmt: skip
        top.plot(x, [math.nan if v is None else v for v in score], color=SELF, marker="o", markersize=4.5,
                 linewidth=2, label=score_label, zorder=3)  # fmt: skip
        top.set_ylim(-3, 103)
        top.set_yticks([0, 50, 80, 100])
        top.set_title(f"QA score per {bucket_name}")
        top.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=3, borderaxespad=0.1)
        top.grid(axis="y", color="#eceef1", linewidth=0.8)
        _tier_bars(bottom, labels, tiers)
        bottom.set_title(f"Tickets per {bucket_name}, by tier")
        bottom.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=3))
        bottom.set_xticks(
            x, labels, rotation=0 if len(labels) <= 8 else 45, ha="center" if len(labels) <= 8 else "right"
        )
        for x_pos in markers:  # labelled where they are: the legend row above the chart is full
            for ax in (top, bottom):
                ax.axvline(x_pos, color=COACHING, linestyle=":", linewidth=1.6, zorder=0)
            top.text(x_pos + 0.04, 4, "coaching", rotation=90, fontsize=7, color=COACHING, va="bottom")
        bottom.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=3, borderaxespad=0.1)
    alt = f"QA score per {bucket_name} ({score_label} vs {reference_label}) and the red/yellow/green ticket count per {bucket_name}"
    return _encode(fig, alt)


def mood_chart(points: Sequence[tuple[float, float, str]]) -> Chart:
    """Each ticket's customer sentiment at the start against the end, coloured by tier."""
    with matplotlib.rc_context(_STYLE):
        fig = _figure(2.7, width_in=3.3, left_in=0.45)
        ax = fig.subplots()
        ax.axhspan(0, 1.05, xmin=0, xmax=0.5, color="#e8f5ec", zorder=0)  # started negative, ended positive
        ax.axhline(0, color="#d5d9df", linewidth=0.8)
        ax.axvline(0, color="#d5d9df", linewidth=0.8)
        ax.plot([-1, 1], [-1, 1], color="#b8bec7", linewidth=0.8, linestyle=":")
        for tier in ("green", "yellow", "red"):
            xs = [p[0] for p in points if p[2] == tier]
            ys = [p[1] for p in points if p[2] == tier]
            if xs:
                ax.scatter(xs, ys, s=16, color=TIER_COLOURS[tier], alpha=0.8, label=tier, zorder=3)
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.set_xticks([-1, 0, 1])
        ax.set_yticks([-1, 0, 1])
        ax.set_title("Sentiment: start (→) vs end (↑)")
        ax.text(-1.0, 0.95, "turned around", fontsize=7.5, color="#2f7d43", va="top")
    return _encode(fig, "Each ticket's customer sentiment at the start (across) and at the end (up), by tier")


def response_chart(rows: Sequence[tuple[str, Sequence[float], float | None]]) -> Chart:
    """Each ticket's first response time per channel, on a log scale, with the channel's SLA as a red tick.

    The log is taken here and drawn on a linear axis with fixed ticks: same picture, without matplotlib's log
    locators, which cost more than the rest of the chart."""
    with matplotlib.rc_context(_STYLE):
        fig = _figure(0.4 * max(len(rows), 1) + 0.9)
        ax = fig.subplots()
        for i, (_, values, sla) in enumerate(rows):
            late = [math.log10(max(v, 1.0)) for v in values if sla is not None and v > sla]
            ok = [math.log10(max(v, 1.0)) for v in values if sla is None or v <= sla]
            ax.scatter(ok, [i] * len(ok), s=14, color=SELF, alpha=0.7, zorder=3)
            ax.scatter(late, [i] * len(late), s=16, color=TIER_COLOURS["red"], alpha=0.85, zorder=3)
            if sla is not None:
                ax.plot(
                    [math.log10(sla)] * 2,
                    [i - 0.35, i + 0.35],
                    color=TIER_COLOURS["red"],
                    linewidth=2,
                    zorder=2,
                )
        ax.set_xlim(0, math.log10(4 * 86400))
        ticks = {1: "1 s", 10: "10 s", 60: "1 min", 600: "10 min", 3600: "1 h", 14400: "4 h", 86400: "24 h"}
        ax.set_xticks([math.log10(t) for t in ticks], list(ticks.values()))
        ax.set_yticks(range(len(rows)), [r[0] for r in rows])
        ax.set_ylim(len(rows) - 0.4, -0.6)  # first channel on top
        ax.grid(axis="x", color="#eceef1", linewidth=0.8)
        ax.set_title("First response time per ticket (red tick: the channel's SLA; red dots: late)")
    return _encode(
        fig, "First response time of each ticket per channel, on a log scale, against the channel's SLA"
    )


def mix_chart(panels: Sequence[tuple[str, Sequence[str], dict[str, Sequence[int]]]]) -> Chart:
    """Side-by-side panels of stacked tier counts per label (e.g. per language and per channel), one legend below."""
    with matplotlib.rc_context(_STYLE):
        rows = max((len(p[1]) for p in panels), default=1)
        fig = _figure(0.22 * rows + 1.15, wspace_in=0.7, left_in=0.9, bottom_in=0.65)
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        for ax, (title, labels, tiers) in zip(axes, panels, strict=True):
            _tier_bars(ax, labels, tiers, horizontal=True)
            ax.set_yticks(range(len(labels)), labels)
            ax.invert_yaxis()
            ax.set_title(title)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        handles, names = axes[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="lower center", ncols=3, bbox_to_anchor=(0.5, 0.0))
    return _encode(fig, "Tickets per " + " and per ".join(p[0].lower() for p in panels) + ", by tier")


def reason_chart(labels: Sequence[str], counts: dict[str, Sequence[int]]) -> Chart:
    """Tickets per week stacked by contact reason: what customers come about, and how that moves."""
    with matplotlib.rc_context(_STYLE):
        fig = _figure(2.3, bottom_in=0.45)
        ax = fig.subplots()
        bottom = [0] * len(labels)
        for reason, values in counts.items():
            ax.bar(range(len(labels)), values, bottom=bottom, width=0.7, label=reason,
                   color=REASON_COLOURS.get(reason, MUTED))  # fmt: skip
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_xticks(range(len(labels)), labels)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        ax.set_title("Tickets per week, by contact reason")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), ncols=1, borderaxespad=0.2)
        fig.subplots_adjust(right=1 - 1.25 / WIDTH_IN)  # room for the legend beside the bars
    return _encode(fig, "Tickets per week stacked by contact reason")


def kpi_chart(
    labels: Sequence[str],
    panels: Sequence[tuple[str, Sequence[float | None], float | None, bool]],
) -> Chart:
    """Small multiples, one per KPI: its value per week (a share, 0-100%) against its target line. Each panel is
    (title, values, target, target met when above)."""
    with matplotlib.rc_context(_STYLE):
        fig = _figure(1.9, wspace_in=0.6, left_in=0.45, bottom_in=0.42)
        axes = fig.subplots(1, max(len(panels), 1), squeeze=False, sharey=True)[0]
        x = list(range(len(labels)))
        for ax, (title, values, target, above) in zip(axes, panels, strict=False):
            ys = [math.nan if v is None else v for v in values]
            if target is not None:
                ax.axhline(target, color=REFERENCE, linestyle="--", linewidth=1.1)
            colours = [
                MUTED if v is None or target is None
                else TIER_COLOURS["green"] if (v >= target) == above else TIER_COLOURS["red"]
                for v in values
            ]  # fmt: skip
            ax.plot(x, ys, color=SELF, linewidth=1.6, zorder=2)
            ax.scatter(x, ys, color=colours, s=22, zorder=3)
            ax.set_ylim(-0.04, 1.04)
            ax.set_yticks([0, 0.5, 1], ["0%", "50%", "100%"])
            ax.set_xticks(x, labels, fontsize=6.5)
            ax.set_xlim(-0.4, len(labels) - 0.6)
            ax.set_title(title, fontsize=8.5)
            ax.grid(axis="y", color="#eceef1", linewidth=0.8)
    alt = (
        "Per week: "
        + ", ".join(p[0] for p in panels)
        + " against their targets (dashed; dots green when met)"
    )
    return _encode(fig, alt)
