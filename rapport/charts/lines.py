from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import matplotlib

matplotlib.use("svg")  # no display, no GUI toolkit: the server only ever writes SVG

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

# Same SVG for the same data (stable ids), so responses can be cached and compared in tests.
matplotlib.rcParams["svg.hashsalt"] = "rapport"
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, selectable, readable
matplotlib.rcParams["font.family"] = "sans-serif"

# Colour-blind-safe palette (Okabe & Ito 2008) with a distinct line style per series, so the
# lines are told apart in greyscale print too.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")
STYLES = ("-", "--", ":", "-.", "-")
MARKERS = ("o", "s", "^", "D", "v")


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


def render_svg(chart: LineChart, *, width: float = 7.0, height: float = 3.2) -> bytes:
    figure, axes = plt.subplots(figsize=(width, height), dpi=96)
    try:
        for i, series in enumerate(chart.series):
            if not series.x:
                continue
            axes.plot(
                list(series.x),
                list(series.y),
                label=series.label,
                color=PALETTE[i % len(PALETTE)],
                linestyle=STYLES[i % len(STYLES)],
                marker=MARKERS[i % len(MARKERS)],
                markersize=4,
                linewidth=1.8,
            )
        if chart.threshold is not None:
            axes.axhline(chart.threshold, color="#888888", linewidth=1, linestyle=(0, (2, 2)))
            if chart.threshold_label:
                axes.annotate(
                    chart.threshold_label,
                    xy=(0, chart.threshold),
                    xycoords=("axes fraction", "data"),
                    xytext=(2, -10),
                    textcoords="offset points",
                    fontsize=7,
                    color="#555555",
                )
        for marker in chart.ruptures:
            axes.axvline(marker.x, color="#A12828", linewidth=1, linestyle="--")
        if chart.alerts:
            axes.scatter(
                [m.x for m in chart.alerts],
                [chart.y_range[0] + 0.5] * len(chart.alerts),
                marker="^",
                color="#8A5A00",
                s=28,
                label="alert",
                zorder=3,
            )
        axes.set_ylim(*chart.y_range)
        axes.set_ylabel(chart.y_label, fontsize=8)
        axes.set_title(chart.title, fontsize=9, loc="left")
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        axes.tick_params(labelsize=7)
        axes.grid(axis="y", color="#e5e5e5", linewidth=0.6)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        if any(series.x for series in chart.series) or chart.alerts:
            axes.legend(fontsize=7, frameon=False, loc="lower left", ncols=4)
        figure.autofmt_xdate(rotation=0, ha="center")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
        return buffer.getvalue()
    finally:
        plt.close(figure)
