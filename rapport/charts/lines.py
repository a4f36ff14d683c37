"""Charts drawn on the server as SVG with matplotlib: they need no JavaScript, no network, and
print exactly as shown. Every chart on a page has the same data in an accessible table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import matplotlib

matplotlib.use("svg")  # no display, no GUI toolkit: the server only ever writes SVG

import matplotlib.dates as mdates  # noqa: E402
from matplotlib.artist import Artist  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from rapport.charts.layout import (  # noqa: E402
    BORDER_PAD,
    COLUMN_SPACING,
    EDGE,
    HANDLE_LENGTH,
    HANDLE_PAD,
    LABEL_SPACING,
    LINE_HEIGHT,
    TICK_SPACE,
    WIDE,
    Layout,
    inches,
    key_shape,
    left_margin,
)
from rapport.charts.svg import svg_bytes  # noqa: E402

# Same SVG for the same data (stable ids), so responses can be cached and compared in tests.
matplotlib.rcParams["svg.hashsalt"] = "rapport"
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, selectable, readable
matplotlib.rcParams["font.family"] = "sans-serif"

# Colour-blind-safe palette with a distinct line style per series, so the lines are told apart
# in greyscale print too: Okabe & Ito's (2008) blue and vermilion, then colours of Tol's (2021)
# bright and muted schemes and black in place of Okabe & Ito's green, reddish purple and orange,
# whose lines had under 3:1 contrast against the shaded bands behind them (WCAG 1.4.11).
PALETTE = ("#0072B2", "#D55E00", "#117733", "#AA4499", "#000000")
STYLES = ("-", "--", ":", "-.", "-")
MARKERS = ("o", "s", "^", "D", "v")
ALERT_COLOUR = "#8A5A00"
RUPTURE_COLOUR = "#A12828"


@dataclass(frozen=True)
class Series:
    label: str
    x: Sequence[datetime]
    y: Sequence[float]


@dataclass(frozen=True)
class Marker:
    x: datetime
    label: str


@dataclass(frozen=True)
class LineChart:
    title: str
    y_label: str
    y_range: tuple[float, float]
    series: Sequence[Series]
    alerts: Sequence[Marker] = field(default_factory=tuple)
    ruptures: Sequence[Marker] = field(default_factory=tuple)
    threshold: float | None = None
    threshold_label: str = ""
    # The words of the key's marks and the dates' month names in the reader's language, given
    # by the caller (this package speaks no language of its own); English otherwise.
    rupture_label: str = "rupture"
    alert_label: str = "alert"
    month_names: Sequence[str] = ()  # January first; empty: "Jun" as strftime writes it


def key_labels(chart: LineChart) -> list[str]:
    """The key's entries in the order they are drawn: every mark on the chart has one, so no
    word needs to be written inside the plot, where it would cover the lines."""
    labels = [series.label for series in chart.series if series.x]
    if chart.threshold is not None and chart.threshold_label:
        labels.append(chart.threshold_label)
    labels += [chart.rupture_label] * bool(chart.ruptures)
    labels += [chart.alert_label] * bool(chart.alerts)
    return labels


def _plot_height(layout: Layout) -> float:
    """A chart on its own gets more height than a panel in a stack."""
    return layout.plot_height * 1.35


def _size(labels: Sequence[str], layout: Layout) -> tuple[float, float, float]:
    """Width and height of the drawing and the top of the plot, in inches."""
    key = key_shape(labels, layout.small, (layout.width - 2 * EDGE) * 72)
    top = EDGE + inches(layout.font * LINE_HEIGHT + 4)
    below = inches(TICK_SPACE + layout.small * LINE_HEIGHT + 2 + key.height(layout.small))
    return layout.width, top + _plot_height(layout) + below + EDGE, top


# Every entry the alliance chart's key can have: the size of a page's <img> before the drawing
# has loaded (the browser then keeps the drawing's own proportions).
FULL_KEY = ("Client", "Therapist", "Guardian", "practice cut-off", "rupture", "alert")


def pixel_size(layout: Layout = WIDE, labels: Sequence[str] = FULL_KEY) -> tuple[int, int]:
    """The drawing's size in CSS pixels, for the width and height of the <img> showing it."""
    width, height, _ = _size(labels, layout)
    return round(width * 96), round(height * 96)


def render_svg(chart: LineChart, *, layout: Layout = WIDE) -> bytes:
    width, height, top = _size(key_labels(chart), layout)
    # Figure() instead of pyplot: no global figure registry, nothing to close, safe in threads.
    figure = Figure(figsize=(width, height), dpi=96)
    left = left_margin(layout, tick_chars=2)
    axes = figure.add_axes(
        (
            left / width,
            1 - (top + _plot_height(layout)) / height,
            (width - left - 0.25) / width,
            _plot_height(layout) / height,
        )
    )
    handles: dict[str, Artist] = {}
    for i, series in enumerate(chart.series):
        if not series.x:
            continue
        # matplotlib converts dates itself; its type stubs accept only numbers for x.
        [handles[series.label]] = axes.plot(
            list(series.x),  # type: ignore[arg-type]
            list(series.y),
            color=PALETTE[i % len(PALETTE)],
            linestyle=STYLES[i % len(STYLES)],
            marker=MARKERS[i % len(MARKERS)],
            markersize=4.5,
            linewidth=2,
        )
    if chart.threshold is not None:
        handles[chart.threshold_label] = axes.axhline(
            chart.threshold, color="#888888", linewidth=1.2, linestyle=(0, (2, 2))
        )
    for marker in chart.ruptures:
        handles[chart.rupture_label] = axes.axvline(
            marker.x,  # type: ignore[arg-type]  # a date, converted by matplotlib
            color=RUPTURE_COLOUR,
            linewidth=1.2,
            linestyle="--",
        )
    low, high = chart.y_range
    if chart.alerts:
        handles[chart.alert_label] = axes.scatter(
            [m.x for m in chart.alerts],  # type: ignore[arg-type]  # dates, as above
            [high - (high - low) * 0.04] * len(chart.alerts),
            marker="v",
            color=ALERT_COLOUR,
            s=30,
            zorder=3,
            clip_on=False,
        )
    axes.set_ylim(low, high)
    axes.set_ylabel(chart.y_label, fontsize=layout.font, labelpad=3)
    axes.set_title(chart.title, fontsize=layout.font, loc="left", pad=4)
    # matplotlib.dates has no annotations on these constructors.
    locator = mdates.AutoDateLocator(  # type: ignore[no-untyped-call]
        minticks=2, maxticks=4 if layout.narrow else 8
    )
    axes.xaxis.set_major_locator(locator)
    if chart.month_names:
        names = chart.month_names

        def day_and_month(value: float, _position: int | None = None) -> str:
            day: datetime = mdates.num2date(value)  # type: ignore[no-untyped-call]
            return f"{day:%d} {names[day.month - 1]}"

        axes.xaxis.set_major_formatter(FuncFormatter(day_and_month))
    else:
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
    axes.tick_params(labelsize=layout.small)
    axes.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    labels = key_labels(chart)
    if labels:
        key = key_shape(labels, layout.small, (width - 2 * EDGE) * 72)
        below = top + _plot_height(layout) + inches(TICK_SPACE + layout.small * LINE_HEIGHT + 2)
        figure.legend(
            [handles[label] for label in labels],
            labels,
            loc="upper left",
            bbox_to_anchor=(EDGE / width, 1 - below / height),
            ncols=key.columns,
            fontsize=layout.small,
            frameon=False,
            borderaxespad=0,
            borderpad=BORDER_PAD,
            handlelength=HANDLE_LENGTH,
            handletextpad=HANDLE_PAD,
            columnspacing=COLUMN_SPACING,
            labelspacing=LABEL_SPACING,
        )
    return svg_bytes(figure)
