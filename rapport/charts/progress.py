"""Stacked score panels over session numbers, written as a self-contained SVG.

A `ProgressChart` is plain data (no Django): the progress app builds it from an episode, and the
same chart renders for the page, the phone and print. Panels share the x axis (session number),
so a fall in the scores lines up with the alliance beneath it and with plan revisions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

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
    split_columns,
    text_width,
)

# The colour-blind-safe palette, line styles and markers every chart shares.
from rapport.charts.lines import MARKERS, PALETTE, STYLES
from rapport.charts.vector import ASCENT, Drawing, Point, dash_pattern

EXPECTED_COLOUR = "#0072B2"
SEVERITY_COLOUR = "#D55E00"
ALERT_COLOUR = "#8A5A00"
RISK_COLOUR = "#C00000"
RISK_LABEL = "risk item answered"
REVISION_COLOUR = "#6B3FA0"
MEDIAN_DASHES = (1.0, 1.5)
REVISION_DASHES = (4.0, 2.0)


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
    # The key's words in the reader's language, given by the caller (this package speaks no
    # language of its own); the English ones otherwise.
    words: tuple[str, str, str] | None = None

    @property
    def labels(self) -> tuple[str, str, str]:
        if self.words is not None:
            return self.words
        if self.plain:
            return ("most people starting like you", "half of them", "the middle")
        return ("expected 10–90%", "expected 25–75%", "expected median")


@dataclass(frozen=True)
class KeyWords:
    """A panel's own words in the reader's language, given by the caller (this package speaks
    no language of its own); the English ones otherwise."""

    alert: str = "alert"
    risk_item: str = RISK_LABEL  # the key's entry for a ringed score
    risk: str = "risk"  # beside a ring on the chart


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
    words: KeyWords = KeyWords()


@dataclass(frozen=True)
class ProgressChart:
    x_label: str
    panels: Sequence[Panel]
    revisions: Sequence[Event] = field(default_factory=tuple)
    empty_text: str = "No scores yet."
    # The drawing's name and description for screen readers, in the reader's language.
    title: str = "Progress chart"
    description: str = "The same scores are in the tables beside the chart."

    @property
    def x_max(self) -> float:
        xs = [x for panel in self.panels for line in panel.lines for x in line.x]
        xs += [event.x for panel in self.panels for event in panel.alerts]
        xs += [event.x for event in self.revisions]
        return max(xs, default=1.0)


def ticks(low: float, high: float, bins: int) -> list[float]:
    """Whole-number ticks at a round step, as matplotlib chooses them (its MaxNLocator, used as
    a function), without those it adds beyond the axis."""
    close = (high - low) * 1e-10  # matplotlib's own tolerance at the axis ends
    values = MaxNLocator(nbins=bins, integer=True).tick_values(low, high)
    return [float(tick) for tick in values if low - close <= tick <= high + close]


def tick_label(value: float) -> str:
    return f"{value:g}".replace("-", "\u2212")  # a minus sign, as matplotlib writes it


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
    labels += [panel.words.alert] * bool(panel.alerts)
    labels += [panel.words.risk_item] * bool(panel.risk_points)
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
    """The chart as a self-contained SVG document: text stays text, nothing is fetched."""
    panels = list(chart.panels)
    if not panels:
        empty = Drawing(layout.width * 72, 72.0, title=chart.empty_text)
        empty.text(
            layout.width * 36,
            36.0,
            chart.empty_text,
            size=layout.font,
            anchor="middle",
            align="center",
        )
        return empty.bytes()
    geometry = _geometry(chart, layout)
    drawing = Drawing(
        geometry.width * 72,
        geometry.height * 72,
        title=f"{chart.title}: " + "; ".join(panel.title for panel in panels),
        description=chart.description,
    )
    x_range = (0.5, chart.x_max + 0.5)
    x_ticks = ticks(*x_range, bins=6 if layout.narrow else 10)
    for i, panel in enumerate(panels):
        frame = _Frame(
            geometry.left * 72,
            geometry.axes_tops[i] * 72,
            geometry.axes_width * 72,
            layout.plot_height * 72,
            x_range,
            panel.y_range,
        )
        drawing.open(f"axes_{i + 1}")
        _draw_panel(drawing, frame, panel, chart.revisions, x_ticks, layout)
        drawing.close()
        # In its own row rather than by the axes, where it would be over the revision labels.
        drawing.text(
            geometry.left * 72,
            geometry.title_tops[i] * 72,
            panel.title,
            size=layout.font,
            align="top",
        )
        if i == len(panels) - 1:
            drawing.text(
                frame.left + frame.width / 2,
                frame.bottom + TICK_SPACE + layout.small + 2,
                chart.x_label,
                size=layout.font,
                anchor="middle",
                align="top",
            )
        _draw_key(drawing, panel, layout, geometry, index=i)
    row_height = layout.small * LINE_HEIGHT
    for revision in geometry.revisions:
        drawing.text(
            revision.x * 72,
            geometry.revision_top * 72 + revision.row * row_height,
            revision.text,
            size=layout.small,
            anchor="start" if revision.align == "left" else "end",
            align="top",
            colour=REVISION_COLOUR,
        )
    return drawing.bytes()


@dataclass(frozen=True)
class _Frame:
    """A panel's plotting area in points, and where a value falls in it."""

    left: float
    top: float
    width: float
    height: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def x(self, value: float) -> float:
        low, high = self.x_range
        return self.left + (value - low) / (high - low) * self.width

    def y(self, value: float) -> float:
        low, high = self.y_range
        return self.bottom - (value - low) / (high - low) * self.height

    def points(self, xs: Sequence[float], ys: Sequence[float]) -> list[Point]:
        return [(self.x(x), self.y(y)) for x, y in zip(xs, ys, strict=True)]


AXIS_COLOUR = "#000000"
GRID_COLOUR = "#e5e5e5"
BAND_NAME_COLOUR = "#6b4a3a"
TICK_LENGTH = 3.5  # points, outwards; the pad before the labels makes up TICK_SPACE
LINE_WIDTH = 2.0
MARKER_SIZE = 4.5
ALERT_SIZE = math.sqrt(30)  # points across (matplotlib's scatter sizes are areas)
RING_SIZE = math.sqrt(150)


def _draw_panel(
    drawing: Drawing,
    frame: _Frame,
    panel: Panel,
    revisions: Sequence[Event],
    x_ticks: Sequence[float],
    layout: Layout,
) -> None:
    """Drawn from the back: bands, expected range, grid and ticks, expected median, revision
    lines, the axes' edges, band names, the scores, alerts, risk rings."""
    low, high = panel.y_range
    drawing.rect(frame.left, frame.top, frame.width, frame.height, fill="#ffffff")
    clip = drawing.clip(frame.left, frame.top, frame.width, frame.height)
    drawing.open(clip=clip)
    worst = max((shade.severity for shade in panel.shades), default=0) or 1
    bands = []
    for shade in panel.shades:
        # Bands are inclusive integer ranges (5–9, 10–14): half a point either side closes gaps.
        band_low, band_high = max(low, shade.low - 0.5), min(high, shade.high + 0.5)
        if band_high <= band_low:
            continue
        top = frame.y(band_high)
        drawing.rect(
            frame.left,
            top,
            frame.width,
            frame.y(band_low) - top,
            fill=SEVERITY_COLOUR,
            opacity=0.02 + 0.10 * shade.severity / worst,
        )
        bands.append((band_low, band_high, shade.label))
    envelope = panel.envelope if panel.envelope is not None and panel.envelope.x else None
    if envelope is not None:
        x = list(envelope.x)
        for low_edge, high_edge, opacity in (
            (envelope.p10, envelope.p90, 0.10),
            (envelope.p25, envelope.p75, 0.20),
        ):
            outline = frame.points(x + x[::-1], list(high_edge) + list(low_edge)[::-1])
            drawing.polygon(outline, fill=EXPECTED_COLOUR, opacity=opacity)
    y_ticks = ticks(low, high, bins=5 if layout.narrow else 6)
    for tick in y_ticks:
        at = frame.y(tick)
        drawing.line(
            [(frame.left, at), (frame.right, at)], stroke=GRID_COLOUR, width=0.6, cap="square"
        )
    if envelope is not None:
        drawing.line(
            frame.points(envelope.x, envelope.p50),
            stroke=EXPECTED_COLOUR,
            width=1.0,
            dashes=dash_pattern(MEDIAN_DASHES, 1.0),
        )
    for event in revisions:
        at = frame.x(event.x)
        drawing.line(
            [(at, frame.top), (at, frame.bottom)],
            stroke=REVISION_COLOUR,
            width=1.1,
            dashes=dash_pattern(REVISION_DASHES, 1.1),
        )
    drawing.close()
    _draw_axes(drawing, frame, x_ticks, y_ticks, panel.y_label, layout)
    margin = (layout.band_margin - EDGE) * 72 - LABEL_OFFSET
    for name in band_labels(bands, (low, high), frame.height, layout.small, margin):
        lines = name.text.split("\n")
        spacing = WRAPPED_LINE_SPACING * layout.small
        first = frame.y(name.y) - (len(lines) - 1) * spacing / 2
        for n, text in enumerate(lines):
            drawing.text(
                frame.right + LABEL_OFFSET,
                first + n * spacing,
                text,
                size=layout.small,
                align="center",
                colour=BAND_NAME_COLOUR,
            )
    drawing.open(clip=clip)
    for i, line in enumerate(panel.lines):
        if not line.x:
            continue
        colour = PALETTE[i % len(PALETTE)]
        points = frame.points(line.x, line.y)
        drawing.line(
            points,
            stroke=colour,
            width=LINE_WIDTH,
            dashes=dash_pattern(STYLES[i % len(STYLES)], LINE_WIDTH),
            cap="square" if STYLES[i % len(STYLES)] == "-" else "",
        )
        drawing.markers(
            MARKERS[i % len(MARKERS)],
            points,
            MARKER_SIZE,
            fill=colour,
            stroke=colour,
            join="miter",
        )
    drawing.close()
    if panel.alerts:  # over the top edge where there is no room inside
        at = high - (high - low) * 0.04
        drawing.markers(
            "v",
            [(frame.x(event.x), frame.y(at)) for event in panel.alerts],
            ALERT_SIZE,
            fill=ALERT_COLOUR,
            stroke=ALERT_COLOUR,
            width=1.5,
        )
    if panel.risk_points:
        _draw_risk(drawing, frame, clip, panel, layout)


def _draw_axes(
    drawing: Drawing,
    frame: _Frame,
    x_ticks: Sequence[float],
    y_ticks: Sequence[float],
    y_label: str,
    layout: Layout,
) -> None:
    """Ticks and their labels outside the left and bottom edges, the edges, the y label."""
    pad = TICK_SPACE - TICK_LENGTH
    for tick in x_ticks:
        at = frame.x(tick)
        drawing.line(
            [(at, frame.bottom), (at, frame.bottom + TICK_LENGTH)], stroke=AXIS_COLOUR, width=0.8
        )
        drawing.text(
            at,
            frame.bottom + TICK_SPACE,
            tick_label(tick),
            size=layout.small,
            anchor="middle",
            align="top",
        )
    widest = 0.0
    for tick in y_ticks:
        at, label = frame.y(tick), tick_label(tick)
        drawing.line(
            [(frame.left - TICK_LENGTH, at), (frame.left, at)], stroke=AXIS_COLOUR, width=0.8
        )
        drawing.text(
            frame.left - TICK_SPACE, at, label, size=layout.small, anchor="end", align="center"
        )
        widest = max(widest, text_width(label, layout.small))
    drawing.line(
        [(frame.left, frame.top), (frame.left, frame.bottom), (frame.right, frame.bottom)],
        stroke=AXIS_COLOUR,
        width=0.8,
        cap="square",
        join="miter",
    )
    drawing.text(
        frame.left - TICK_SPACE - widest - pad,
        frame.top + frame.height / 2,
        y_label,
        size=layout.font,
        anchor="middle",
        align="bottom",
        rotate=True,
    )


def _draw_risk(drawing: Drawing, frame: _Frame, clip: str, panel: Panel, layout: Layout) -> None:
    """A red ring on each flagged score, and the word "risk" beside the rings that have room
    for it (the key explains every ring); the word stays inside the plotting area."""
    low, high = panel.y_range
    points = sorted(panel.risk_points)
    drawing.open(clip=clip)
    drawing.markers(
        "o",
        [(frame.x(x), frame.y(y)) for x, y in points],
        RING_SIZE,
        stroke=RISK_COLOUR,
        width=2.0,
    )
    drawing.close()
    word = panel.words.risk
    half = text_width(word, layout.small) / 2 + 1
    at = [frame.x(x) - frame.left for x, _ in points]
    for (x, y), position, room in zip(points, at, spaced(at, 2 * half + 2), strict=True):
        if not room:
            continue
        shift = min(0.0, frame.width - (position + half)) + max(0.0, half - position)
        above = y < (low + high) / 2  # a low score has room above it, a high one below
        drawing.text(
            frame.x(x) + shift,
            frame.y(y) + (-10 if above else 10),
            word,
            size=layout.small,
            anchor="middle",
            align="bottom" if above else "top",
            colour=RISK_COLOUR,
            bold=True,
        )


def _draw_key(
    drawing: Drawing, panel: Panel, layout: Layout, geometry: _Geometry, *, index: int
) -> None:
    """The panel's key below it (under its tick labels, and the x label on the last panel),
    from the left edge of the drawing, so that it never covers the data or a band name."""
    labels = key_labels(panel)
    if not labels:
        return
    font = layout.small
    last = index == len(geometry.keys) - 1
    below = TICK_SPACE + font * LINE_HEIGHT + (layout.font * LINE_HEIGHT + 2 if last else 0)
    top = (geometry.axes_tops[index] + layout.plot_height) * 72 + below + BORDER_PAD * font
    handle = HANDLE_LENGTH * font
    x = EDGE * 72 + BORDER_PAD * font
    drawing.open(f"legend_{index + 1}")
    for column in split_columns(labels, geometry.keys[index].columns):
        for row, label in enumerate(column):
            baseline = top + row * (LINE_HEIGHT + LABEL_SPACING) * font + ASCENT * font
            _draw_handle(drawing, panel, label, x, baseline - 0.3 * font, handle, font)
            drawing.text(x + handle + HANDLE_PAD * font, baseline, label, size=font)
        widest = max(text_width(label, font) for label in column)
        x += handle + HANDLE_PAD * font + widest + COLUMN_SPACING * font
    drawing.close()


def _draw_handle(
    drawing: Drawing, panel: Panel, label: str, x: float, y: float, length: float, font: float
) -> None:
    """The mark a key entry stands for, `length` wide from x, centred on y."""
    middle = [(x + length / 2, y)]
    # The expected band's entries are named by its own labels: staff and client words differ.
    outer, inner, median = panel.envelope.labels if panel.envelope is not None else ("", "", "")
    if label and label in (outer, inner):
        opacity = 0.10 if label == outer else 0.20
        height = 0.7 * font
        drawing.rect(x, y - height / 2, length, height, fill=EXPECTED_COLOUR, opacity=opacity)
    elif label and label == median:
        drawing.line(
            [(x, y), (x + length, y)],
            stroke=EXPECTED_COLOUR,
            width=1.0,
            dashes=dash_pattern(MEDIAN_DASHES, 1.0),
        )
    elif label == panel.words.alert:
        drawing.markers("v", middle, ALERT_SIZE, fill=ALERT_COLOUR, stroke=ALERT_COLOUR, width=1.5)
    elif label == panel.words.risk_item:
        drawing.markers("o", middle, RING_SIZE, stroke=RISK_COLOUR, width=2.0)
    else:
        i = next(n for n, line in enumerate(panel.lines) if line.label == label)
        colour, style = PALETTE[i % len(PALETTE)], STYLES[i % len(STYLES)]
        drawing.line(
            [(x, y), (x + length, y)],
            stroke=colour,
            width=LINE_WIDTH,
            dashes=dash_pattern(style, LINE_WIDTH),
            cap="square" if style == "-" else "",
        )
        drawing.markers(
            MARKERS[i % len(MARKERS)],
            middle,
            MARKER_SIZE,
            fill=colour,
            stroke=colour,
            join="miter",
        )
