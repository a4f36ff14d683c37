"""Stacked score panels over session numbers, drawn by matplotlib as a self-contained SVG.

A `ProgressChart` is plain data (no Django): the progress app builds it from an episode, and the
same chart renders for the page, the phone and print. Panels share the x axis (session number),
so a fall in the scores lines up with the alliance beneath it and with plan revisions.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# lines.py sets the SVG options (stable ids, text kept as text) and the colour-blind-safe palette.
from rapport.charts.lines import MARKERS, PALETTE, STYLES

EXPECTED_COLOUR = "#0072B2"
SEVERITY_COLOUR = "#D55E00"
ALERT_COLOUR = "#8A5A00"
RISK_COLOUR = "#C00000"
RISK_LABEL = "risk item answered"
REVISION_COLOUR = "#6B3FA0"


@dataclass(frozen=True)
class Shade:
    """One severity band of an instrument, shaded darker the more severe it is."""

    low: float
    high: float
    label: str
    severity: int


@dataclass(frozen=True)
class Envelope:
    """The expected range by session: 10th–90th and 25th–75th percentiles and the median."""

    x: Sequence[float]
    p10: Sequence[float]
    p25: Sequence[float]
    p50: Sequence[float]
    p75: Sequence[float]
    p90: Sequence[float]


@dataclass(frozen=True)
class Line:
    label: str
    x: Sequence[float]
    y: Sequence[float]


@dataclass(frozen=True)
class Event:
    x: float
    label: str
    short: str = ""  # for the narrow drawing


@dataclass(frozen=True)
class Panel:
    title: str
    y_label: str
    y_range: tuple[float, float]
    lines: Sequence[Line]
    shades: Sequence[Shade] = field(default_factory=tuple)
    envelope: Envelope | None = None
    alerts: Sequence[Event] = field(default_factory=tuple)
    # Scores whose form carries a risk flag: ringed on the line, with a key entry.
    risk_points: Sequence[tuple[float, float]] = field(default_factory=tuple)


@dataclass(frozen=True)
class ProgressChart:
    x_label: str
    panels: Sequence[Panel]
    revisions: Sequence[Event] = field(default_factory=tuple)
    empty_text: str = "No scores yet."

    @property
    def x_max(self) -> float:
        xs = [x for panel in self.panels for line in panel.lines for x in line.x]
        xs += [event.x for panel in self.panels for event in panel.alerts]
        xs += [event.x for event in self.revisions]
        return max(xs, default=1.0)


@dataclass(frozen=True)
class Layout:
    """Inches and points: at 96 dpi a 3.9 inch figure is drawn 1:1 on a 390 px phone.
    With a `key_width`, each panel's key sits in a margin on its right; without, in rows
    between the panel's title and the panel (added to `panel_height`)."""

    width: float
    panel_height: float
    font: float
    key_width: float = 0.0

    @property
    def key_font(self) -> float:
        return self.font - 1.5

    @property
    def key_row(self) -> float:
        """Height of a row of the key above a panel, in inches."""
        return 0.0 if self.key_width else self.key_font * 1.9 / 72


WIDE = Layout(width=7.6, panel_height=2.2, font=8.0, key_width=1.45)
NARROW = Layout(width=3.9, panel_height=2.5, font=8.5)
KEY_COLUMNS = 3  # above a narrow panel
TITLE_SPACE = 0.3  # inches above each panel for its title
LAYOUTS = {"wide": WIDE, "narrow": NARROW}


def pixel_size(layout: Layout, panel_count: int, key_rows: int = 2) -> tuple[int, int]:
    """Width and height of a drawing in CSS pixels, for the <img> that shows it; `chart_size`
    gives the exact figure, this one an estimate for a page that has not built the chart."""
    height = (layout.panel_height + key_rows * layout.key_row) * panel_count + 0.5
    return round(layout.width * 96), round((height if panel_count else 1.0) * 96)


def chart_size(chart: ProgressChart, layout: Layout) -> tuple[int, int]:
    return pixel_size(layout, len(chart.panels), _key_rows(chart.panels, layout))


def _key_entries(panel: Panel) -> int:
    lines = len([line for line in panel.lines if line.x])
    return lines + (3 if panel.envelope else 0) + bool(panel.alerts) + bool(panel.risk_points)


def _key_rows(panels: Sequence[Panel], layout: Layout) -> int:
    """Rows of key above each panel in a narrow drawing (one-line panels have no key)."""
    if layout.key_width:
        return 0
    entries = [_key_entries(panel) for panel in panels]
    return max((-(-n // KEY_COLUMNS) for n in entries if n > 1), default=0)


def render_progress_svg(chart: ProgressChart, *, layout: Layout = WIDE) -> bytes:
    # Figure() instead of pyplot: no global figure registry, nothing to close, safe in threads.
    panels = list(chart.panels)
    key_rows = _key_rows(panels, layout)
    height = pixel_size(layout, len(panels), key_rows)[1] / 96
    figure = Figure(figsize=(layout.width, height), dpi=96)
    if not panels:
        figure.text(0.5, 0.5, chart.empty_text, ha="center", va="center", fontsize=layout.font)
        return _svg(figure)
    above = TITLE_SPACE + key_rows * layout.key_row  # title and key above each panel
    axes_list = figure.subplots(
        len(panels),
        1,
        sharex=True,
        squeeze=False,
        gridspec_kw=_margins(layout, panels, height, above),
    )[:, 0]
    x_high = chart.x_max + 0.5
    for axes, panel in zip(axes_list, panels, strict=True):
        _draw_panel(axes, panel, x_high, layout, key_rows)
    for i, event in enumerate(chart.revisions):
        for axes in axes_list:
            axes.axvline(event.x, color=REVISION_COLOUR, linewidth=1.1, linestyle=(0, (4, 2)))
        # Alternate rows, so that revisions close together keep their labels apart.
        axes_list[0].annotate(
            event.label if layout.key_width or not event.short else event.short,
            xy=(event.x, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2 - (layout.font + 2) * (i % 2)),
            textcoords="offset points",
            va="top",
            fontsize=layout.font - 1,
            color=REVISION_COLOUR,
        )
    bottom = axes_list[-1]
    bottom.set_xlim(0.5, x_high)
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=10 if layout.key_width else 6))
    bottom.set_xlabel(chart.x_label, fontsize=layout.font)
    return _svg(figure)


def _margins(layout: Layout, panels: list[Panel], height: float, above: float) -> dict[str, float]:
    """Fixed margins in inches (a layout engine would cost more than all the drawing): room for
    the y label and ticks on the left, each panel's title (and key) above it, the x label below."""
    bottom, panel_count = 0.55, len(panels)
    axes_height = (height - bottom - above * panel_count) / panel_count
    keys = any(_key_entries(panel) > 1 for panel in panels)
    return {
        "left": (0.35 + layout.font * 0.045) / layout.width,
        "right": 1 - (0.15 + (layout.key_width if keys else 0.0)) / layout.width,
        "top": 1 - above / height,
        "bottom": bottom / height,
        "hspace": above / axes_height,
    }


def _draw_panel(axes: Axes, panel: Panel, x_high: float, layout: Layout, key_rows: int) -> None:
    low, high = panel.y_range
    worst = max((shade.severity for shade in panel.shades), default=0) or 1
    for shade in panel.shades:
        # Bands are inclusive integer ranges (5–9, 10–14): half a point either side closes gaps.
        band_low, band_high = max(low, shade.low - 0.5), min(high, shade.high + 0.5)
        if band_high <= band_low:
            continue
        axes.axhspan(
            band_low,
            band_high,
            color=SEVERITY_COLOUR,
            alpha=0.02 + 0.10 * shade.severity / worst,
            linewidth=0,
            zorder=0,
        )
        axes.annotate(
            shade.label,
            xy=(1.0, (band_low + band_high) / 2),
            xycoords=("axes fraction", "data"),
            xytext=(-3, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=layout.font - 1.5,
            color="#6b4a3a",
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "alpha": 0.6, "linewidth": 0},
            zorder=1,
        )
    envelope = panel.envelope
    if envelope is not None and envelope.x:
        x = list(envelope.x)
        # A plain polygon per band: fill_between builds a collection that costs ten times more.
        for low_edge, high_edge, alpha, label in (
            (envelope.p10, envelope.p90, 0.10, "expected 10–90%"),
            (envelope.p25, envelope.p75, 0.20, "expected 25–75%"),
        ):
            axes.fill(
                x + x[::-1],
                list(high_edge) + list(low_edge)[::-1],
                color=EXPECTED_COLOUR,
                alpha=alpha,
                linewidth=0,
                label=label,
                zorder=1,
            )
        axes.plot(
            x,
            list(envelope.p50),
            color=EXPECTED_COLOUR,
            linewidth=1,
            linestyle=(0, (1, 1.5)),
            label="expected median",
            zorder=2,
        )
    for i, line in enumerate(panel.lines):
        if not line.x:
            continue
        axes.plot(
            list(line.x),
            list(line.y),
            label=line.label,
            color=PALETTE[i % len(PALETTE)],
            linestyle=STYLES[i % len(STYLES)],
            marker=MARKERS[i % len(MARKERS)],
            markersize=4.5,
            linewidth=2,
            zorder=3,
        )
    if panel.alerts:
        axes.scatter(
            [event.x for event in panel.alerts],
            [high - (high - low) * 0.04] * len(panel.alerts),
            marker="v",
            color=ALERT_COLOUR,
            s=30,
            label="alert",
            zorder=4,
            clip_on=False,
        )
    if panel.risk_points:
        axes.scatter(
            [x for x, _ in panel.risk_points],
            [y for _, y in panel.risk_points],
            marker="o",
            s=150,
            facecolors="none",
            edgecolors=RISK_COLOUR,
            linewidths=2,
            label=RISK_LABEL,
            zorder=5,
        )
        for x, y in panel.risk_points:
            axes.annotate(
                "risk",
                xy=(x, y),
                xytext=(0, -13),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize=layout.font - 1,
                fontweight="bold",
                color=RISK_COLOUR,
                zorder=5,
            )
    axes.set_ylim(low, high)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    axes.set_xlim(0.5, x_high)
    key_height = key_rows * layout.key_row * 72  # points
    axes.set_title(panel.title, fontsize=layout.font + 0.5, loc="left", pad=4 + key_height)
    axes.set_ylabel(panel.y_label, fontsize=layout.font)
    axes.tick_params(labelsize=layout.font - 0.5)
    axes.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    handles, labels = axes.get_legend_handles_labels()
    if len(handles) < 2:  # one line needs no key: the title and the table say whose it is
        return
    if layout.key_width:
        axes.legend(
            fontsize=layout.font - 1,
            frameon=False,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            borderaxespad=0,
        )
    else:
        axes.legend(
            fontsize=layout.key_font,
            frameon=False,
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            borderaxespad=0.2,
            ncols=KEY_COLUMNS,
            handlelength=1.6,
            columnspacing=0.8,
            labelspacing=0.3,
        )


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()
