"""The progress chart as matplotlib drew it before the chart was written as SVG directly
(rapport/charts/progress.py), kept only so that the bench compares the two in the same run.
Same layout numbers, same look; about a hundred times the CPU time."""

from __future__ import annotations

from collections.abc import Sequence

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
    Layout,
    band_labels,
    inches,
    spaced,
    text_width,
)

# lines.py sets the SVG options (stable ids, text kept as text) and the colour-blind-safe palette.
from rapport.charts.lines import MARKERS, PALETTE, STYLES
from rapport.charts.progress import (
    ALERT_COLOUR,
    EXPECTED_COLOUR,
    LABEL_OFFSET,
    REVISION_COLOUR,
    RISK_COLOUR,
    RISK_LABEL,
    SEVERITY_COLOUR,
    Panel,
    ProgressChart,
    _Geometry,
    _geometry,
    key_labels,
)
from rapport.charts.svg import svg_bytes


class _Ticks(MaxNLocator):
    """MaxNLocator without the ticks it adds beyond the axis, which matplotlib builds (a tick
    is five artists) only to leave them undrawn: a fifth of the drawing's cost went on ticks."""

    def __call__(self) -> Sequence[float]:
        assert self.axis is not None
        low, high = sorted(self.axis.get_view_interval())
        close = (high - low) * 1e-10  # matplotlib's own tolerance at the axis ends
        return [tick for tick in super().__call__() if low - close <= tick <= high + close]


def render_progress_svg_matplotlib(chart: ProgressChart, *, layout: Layout = WIDE) -> bytes:
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
