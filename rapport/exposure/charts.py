"""Peak distress over repetitions, one line per step of a ladder (server-side SVG).

The x-axis counts repetitions of a step, not dates, which charts.lines (dates only) does not
draw; this module keeps that module's set-up, palette, line styles and markers so the charts
look alike.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from rapport.charts.lines import MARKERS, PALETTE, STYLES
from rapport.exposure.queries import LadderOverview

LABEL_CHARS = 34
# Wide for a desktop page; narrow is drawn at about the size a 390 px phone shows it, so that
# its text stays readable instead of being scaled down.
SIZES = {"wide": (7.0, 3.4), "narrow": (3.9, 4.6)}
TEXT_SCALE = {"wide": 1.0, "narrow": 1.25}


@dataclass(frozen=True)
class StepLine:
    label: str
    peaks: list[int]


def step_lines(overview: LadderOverview) -> list[StepLine]:
    lines = []
    for row in overview.rows:
        if not row.attempts:
            continue
        words = row.step.situation
        short = words if len(words) <= LABEL_CHARS else words[: LABEL_CHARS - 1].rstrip() + "…"
        lines.append(StepLine(f"{row.number}. {short}", [a.peak_suds for a in row.attempts]))
    return lines


def render_ladder_svg(overview: LadderOverview, *, size: str = "wide") -> bytes:
    """Drawn in the active language: its words are the client's on a portal page. The caller's
    cache key names the language (see rapport.exposure.views._ladder_chart)."""
    width, height = SIZES[size]
    scale = TEXT_SCALE[size]
    lines = step_lines(overview)
    # A bare Figure, not pyplot: no global figure registry to leak into between requests.
    figure = Figure(figsize=(width, height), dpi=96)
    axes = figure.subplots()
    for i, line in enumerate(lines):
        # Past five steps the colours repeat, so shift the style and marker with them.
        shift = i + i // len(PALETTE)
        axes.plot(
            list(range(1, len(line.peaks) + 1)),
            line.peaks,
            label=line.label,
            color=PALETTE[i % len(PALETTE)],
            linestyle=STYLES[shift % len(STYLES)],
            marker=MARKERS[shift % len(MARKERS)],
            markersize=4,
            linewidth=1.8,
        )
    threshold = overview.ladder.mastery_peak_suds
    axes.axhline(threshold, color="#888888", linewidth=1, linestyle=(0, (2, 2)))
    axes.annotate(
        _("mastery: %(threshold)s or less") % {"threshold": threshold},
        xy=(1, threshold),
        xycoords=("axes fraction", "data"),
        xytext=(-2, 3),
        textcoords="offset points",
        ha="right",
        fontsize=7 * scale,
        color="#555555",
    )
    axes.set_ylim(0, 102)
    axes.set_xlim(left=0.7)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(_("Repetition"), fontsize=8 * scale)
    axes.set_ylabel(_("Peak distress (SUDS)"), fontsize=8 * scale)
    axes.set_title(_("Peak distress over repetitions, per step"), fontsize=9 * scale, loc="left")
    axes.tick_params(labelsize=7 * scale)
    axes.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if lines:
        if size == "narrow":
            axes.legend(
                fontsize=7 * scale, frameon=False, loc="upper left", bbox_to_anchor=(0, -0.18)
            )
        else:
            axes.legend(
                fontsize=7 * scale, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1)
            )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()
