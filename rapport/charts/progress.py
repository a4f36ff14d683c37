"""Stacked score panels over session numbers, drawn by matplotlib as a self-contained SVG.

A `ProgressChart` is plain data (no Django): the progress app builds it from an episode, and the
same chart renders for the page, the phone and print. Panels share the x axis (session number),
so a fall in the scores lines up with the alliance beneath it and with plan revisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from rapport.charts.layout import (
    BORDER_PAD,
    COLUMN_SPACING,
    EDGE,
    HANDLE_LENGTH,
    HANDLE_PAD,
    LABEL_SPACING,
    LINE_HEIGHT,
    TICK_SPACE,
    WIDE,
    WRAPPED_LINE_SPACING,
    KeyShape,
    Layout,
    band_labels,
    inches,
    key_shape,
    label_rows,
    left_margin,
    spaced,
    text_width,
)

# lines.py sets the SVG options (stable ids, text kept as text) and the colour-blind-safe palette.
from rapport.charts.lines import MARKERS, PALETTE, STYLES
from rapport.charts.svg import svg_bytes

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
    # Its key in plain words, for a client's eyes (the percentiles are named for staff).
    plain: bool = False

    @property
    def labels(self) -> tuple[str, str, str]:
        if self.plain:
            return ("most people starting like you", "half of them", "the middle")
        return ("expected 10–90%", "expected 25–75%", "expected median")


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


class _Ticks(MaxNLocator):
    """MaxNLocator without the ticks it adds beyond the axis, which matplotlib builds (a tick
    is five artists) only to leave them undrawn: a fifth of the drawing's cost went on ticks."""

    def __call__(self) -> Sequence[float]:
        assert self.axis is not None
        low, high = sorted(self.axis.get_view_interval())
        close = (high - low) * 1e-10  # matplotlib's own tolerance at the axis ends
        return [tick for tick in super().__call__() if low - close <= tick <= high + close]


GAP = 0.18  # inches between one panel's key and the next panel's title
LABEL_OFFSET = 4.0  # points between the axes and a band name


def _right(layout: Layout, panels: Sequence[Panel]) -> float:
    return layout.band_margin if any(panel.shades for panel in panels) else 0.2


def key_labels(panel: Panel) -> list[str]:
    """The key's entries, in the order they are drawn; one line alone needs no key (the
    title and the table say whose it is)."""
    labels = []
    if panel.envelope is not None and panel.envelope.x:
        labels += list(panel.envelope.labels)
    labels += [line.label for line in panel.lines if line.x]
    labels += ["alert"] * bool(panel.alerts) + [RISK_LABEL] * bool(panel.risk_points)
    return labels if len(labels) > 1 else []


@dataclass(frozen=True)
class _Revision:
    text: str
    x: float  # inches from the left of the drawing, where the label starts or ends
    align: str
    row: int


@dataclass(frozen=True)
class _Geometry:
    """Where everything goes, in inches from the top-left corner of the drawing."""

    width: float
    height: float
    left: float
    axes_width: float
    axes_tops: list[float]
    title_tops: list[float]
    keys: list[KeyShape]
    revisions: list[_Revision]
    revision_top: float


def _revisions(
    chart: ProgressChart, layout: Layout, left: float, axes_width: float, x_high: float
) -> list[_Revision]:
    """Revision labels in a strip above the first panel, in as many rows as keep them apart."""
    font, placed = layout.small, []
    events = sorted(chart.revisions, key=lambda event: event.x)
    for event in events:
        text = event.short if layout.narrow and event.short else event.label
        at = left + (event.x - 0.5) / (x_high - 0.5) * axes_width
        width = inches(text_width(text, font) + 2)
        if at + width <= layout.width - EDGE:
            placed.append((text, at + inches(2), "left", (at, at + width)))
        else:  # no room after the line: the label ends at it instead
            placed.append((text, at - inches(2), "right", (at - width, at)))
    rows = label_rows([span for *_, span in placed], gap=inches(4))
    return [
        _Revision(text, x, align, row)
        for (text, x, align, _), row in zip(placed, rows, strict=True)
    ]


def _geometry(chart: ProgressChart, layout: Layout) -> _Geometry:
    panels = list(chart.panels)
    left, right = left_margin(layout), _right(layout, panels)
    axes_width = layout.width - left - right
    key_width = (layout.width - 2 * EDGE) * 72
    keys = [key_shape(key_labels(panel), layout.small, key_width) for panel in panels]
    revisions = _revisions(chart, layout, left, axes_width, chart.x_max + 0.5)
    title = inches(layout.font * LINE_HEIGHT + 4)
    ticks = inches(TICK_SPACE + layout.small * LINE_HEIGHT)
    x_label = inches(layout.font * LINE_HEIGHT + 2)
    revision_row = inches(layout.small * LINE_HEIGHT)
    y, tops, title_tops, revision_top = EDGE, [], [], 0.0
    for i, key in enumerate(keys):
        title_tops.append(y)
        y += title
        if i == 0 and revisions:
            revision_top = y
            y = revision_top + (max(r.row for r in revisions) + 1) * revision_row + inches(2)
        tops.append(y)
        y += layout.plot_height + ticks + (x_label if i == len(keys) - 1 else 0.0)
        y += inches(key.height(layout.small)) + (GAP if i < len(keys) - 1 else 0.0)
    return _Geometry(
        layout.width, y + EDGE, left, axes_width, tops, title_tops, keys, revisions, revision_top
    )


def pixel_size(layout: Layout, panel_count: int, key_rows: int = 2) -> tuple[int, int]:
    """Width and height of a drawing in CSS pixels, an estimate for a page that has not built
    the chart (`chart_size` gives the exact figure); the browser keeps the drawing's own
    proportions once it has loaded it."""
    if not panel_count:
        return round(layout.width * 96), 96
    key = KeyShape(1, key_rows).height(layout.small)
    per_panel = layout.font * LINE_HEIGHT + 4 + TICK_SPACE + layout.small * LINE_HEIGHT + key
    height = panel_count * (layout.plot_height + inches(per_panel) + GAP) + 2 * EDGE
    return round(layout.width * 96), round(height * 96)


def chart_size(chart: ProgressChart, layout: Layout) -> tuple[int, int]:
    if not chart.panels:
        return pixel_size(layout, 0)
    geometry = _geometry(chart, layout)
    return round(geometry.width * 96), round(geometry.height * 96)


def render_progress_svg(chart: ProgressChart, *, layout: Layout = WIDE) -> bytes:
    # Figure() instead of pyplot: no global figure registry, nothing to close, safe in threads.
    panels = list(chart.panels)
    if not panels:
        figure = Figure(figsize=(layout.width, 1.0), dpi=96)
        figure.text(0.5, 0.5, chart.empty_text, ha="center", va="center", fontsize=layout.font)
        return _svg(figure)
    geometry = _geometry(chart, layout)
    figure = Figure(figsize=(geometry.width, geometry.height), dpi=96)
    x_high = chart.x_max + 0.5
    axes_list: list[Axes] = []
    for i, (panel, top) in enumerate(zip(panels, geometry.axes_tops, strict=True)):
        rect = (
            geometry.left / geometry.width,
            1 - (top + layout.plot_height) / geometry.height,
            geometry.axes_width / geometry.width,
            layout.plot_height / geometry.height,
        )
        axes = figure.add_axes(rect, sharex=axes_list[0] if axes_list else None)
        axes_list.append(axes)
        _draw_panel(axes, panel, x_high, layout, geometry)
        # Placed in its own row rather than by the axes, which would put it over the strip
        # of revision labels.
        figure.text(
            geometry.left / geometry.width,
            1 - geometry.title_tops[i] / geometry.height,
            panel.title,
            ha="left",
            va="top",
            fontsize=layout.font,
        )
        _draw_key(figure, axes, panel, layout, geometry, index=i)
    for event in chart.revisions:
        for axes in axes_list:
            axes.axvline(event.x, color=REVISION_COLOUR, linewidth=1.1, linestyle=(0, (4, 2)))
    row_height = inches(layout.small * LINE_HEIGHT)
    for revision in geometry.revisions:
        figure.text(
            revision.x / geometry.width,
            1 - (geometry.revision_top + revision.row * row_height) / geometry.height,
            revision.text,
            ha=revision.align,
            va="top",
            fontsize=layout.small,
            color=REVISION_COLOUR,
        )
    bottom = axes_list[-1]
    bottom.set_xlim(0.5, x_high)
    bottom.xaxis.set_major_locator(_Ticks(integer=True, nbins=10 if not layout.narrow else 6))
    bottom.set_xlabel(chart.x_label, fontsize=layout.font, labelpad=2)
    return _svg(figure)


def _draw_key(
    figure: Figure, axes: Axes, panel: Panel, layout: Layout, geometry: _Geometry, *, index: int
) -> None:
    """The panel's key below it (under its tick labels, and the x label on the last panel),
    from the left edge of the drawing, so that it never covers the data or a band name."""
    labels = key_labels(panel)
    if not labels:
        return
    handles, drawn = axes.get_legend_handles_labels()
    by_label = dict(zip(drawn, handles, strict=True))
    last = index == len(geometry.keys) - 1
    below = TICK_SPACE + layout.small * LINE_HEIGHT + (layout.font * LINE_HEIGHT + 2 if last else 0)
    top = geometry.axes_tops[index] + layout.plot_height + inches(below)
    figure.legend(
        [by_label[label] for label in labels],
        labels,
        loc="upper left",
        bbox_to_anchor=(EDGE / geometry.width, 1 - top / geometry.height),
        ncols=geometry.keys[index].columns,
        fontsize=layout.small,
        frameon=False,
        borderaxespad=0,
        borderpad=BORDER_PAD,
        handlelength=HANDLE_LENGTH,
        handletextpad=HANDLE_PAD,
        columnspacing=COLUMN_SPACING,
        labelspacing=LABEL_SPACING,
    )


def _draw_panel(
    axes: Axes, panel: Panel, x_high: float, layout: Layout, geometry: _Geometry
) -> None:
    low, high = panel.y_range
    worst = max((shade.severity for shade in panel.shades), default=0) or 1
    bands = []
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
        bands.append((band_low, band_high, shade.label))
    margin = (layout.band_margin - EDGE) * 72 - LABEL_OFFSET
    for name in band_labels(bands, (low, high), layout.plot_height * 72, layout.small, margin):
        axes.annotate(
            name.text,
            xy=(1.0, name.y),
            xycoords=("axes fraction", "data"),
            xytext=(LABEL_OFFSET, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=layout.small,
            linespacing=WRAPPED_LINE_SPACING,
            color="#6b4a3a",
            annotation_clip=False,
        )
    envelope = panel.envelope
    if envelope is not None and envelope.x:
        x = list(envelope.x)
        # A plain polygon per band: fill_between builds a collection that costs ten times more.
        for low_edge, high_edge, alpha, label in (
            (envelope.p10, envelope.p90, 0.10, envelope.labels[0]),
            (envelope.p25, envelope.p75, 0.20, envelope.labels[1]),
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
            label=envelope.labels[2],
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
        _draw_risk(axes, panel, x_high, layout, geometry)
    axes.set_ylim(low, high)
    axes.yaxis.set_major_locator(_Ticks(integer=True, nbins=6 if not layout.narrow else 5))
    axes.set_xlim(0.5, x_high)
    axes.set_ylabel(panel.y_label, fontsize=layout.font, labelpad=3)
    axes.tick_params(labelsize=layout.small, labelbottom=True)
    axes.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _draw_risk(
    axes: Axes, panel: Panel, x_high: float, layout: Layout, geometry: _Geometry
) -> None:
    """A red ring on each flagged score, and the word "risk" beside the rings that have room
    for it (the key explains every ring); the word stays inside the plotting area."""
    low, high = panel.y_range
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
    width = geometry.axes_width * 72
    half = text_width("risk", layout.small) / 2 + 1
    points = sorted(panel.risk_points)
    at = [(x - 0.5) / (x_high - 0.5) * width for x, _ in points]
    for (x, y), position, room in zip(points, at, spaced(at, 2 * half + 2), strict=True):
        if not room:
            continue
        shift = min(0.0, width - (position + half)) + max(0.0, half - position)
        above = y < (low + high) / 2  # a low score has room above it, a high one below
        axes.annotate(
            "risk",
            xy=(x, y),
            xytext=(shift, 10 if above else -10),
            textcoords="offset points",
            ha="center",
            va="bottom" if above else "top",
            fontsize=layout.small,
            fontweight="bold",
            color=RISK_COLOUR,
            zorder=5,
        )


def _svg(figure: Figure) -> bytes:
    return svg_bytes(figure)
