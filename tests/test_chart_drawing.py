"""The progress chart's SVG read back as a drawing: every score where its session and value put
it, the expected band around its median, the severity bands in order, the ticks where their
values fall, the words escaped, and nothing fetched from elsewhere."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from rapport.charts.layout import NARROW, WIDE, Layout
from rapport.charts.lines import PALETTE
from rapport.charts.progress import (
    EXPECTED_COLOUR,
    SEVERITY_COLOUR,
    Envelope,
    Line,
    Panel,
    ProgressChart,
    Shade,
    chart_size,
    render_progress_svg,
)
from rapport.progress.charts import clinician_chart
from tests.test_progress import assert_self_contained_svg, svg_texts
from tests.test_progress_charts import full_progress

NS = "{http://www.w3.org/2000/svg}"
LAYOUTS = [pytest.param(WIDE, id="wide"), pytest.param(NARROW, id="narrow")]


def panel(totals: list[float], **extra) -> Panel:  # type: ignore[no-untyped-def]
    xs = [float(x) for x in range(1, len(totals) + 1)]
    return Panel("PHQ-9", "Score", (-0.5, 28.6), [Line("Client", xs, totals)], **extra)


def drawn(chart: ProgressChart, layout: Layout = WIDE) -> ET.Element:
    content = render_progress_svg(chart, layout=layout)
    assert_self_contained_svg(content)
    return ET.fromstring(content)


def axes(root: ET.Element, number: int = 1) -> ET.Element:
    found = root.find(f".//{NS}g[@id='axes_{number}']")
    assert found is not None
    return found


def vertices(element: ET.Element) -> list[tuple[float, float]]:
    pairs = element.attrib["points"].split()
    return [(float(x), float(y)) for x, y in (pair.split(",") for pair in pairs)]


def score_line(root: ET.Element, colour: str = PALETTE[0]) -> list[tuple[float, float]]:
    [line] = [p for p in axes(root).iter(f"{NS}polyline") if p.get("stroke") == colour]
    return vertices(line)


def clip_box(root: ET.Element) -> tuple[float, float, float, float]:
    """The first panel's plotting area: left, top, right, bottom."""
    rect = root.find(f".//{NS}clipPath/{NS}rect")
    assert rect is not None
    x, y = float(rect.attrib["x"]), float(rect.attrib["y"])
    return x, y, x + float(rect.attrib["width"]), y + float(rect.attrib["height"])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_score_is_drawn_at_its_session_and_a_higher_score_higher_up(layout):
    totals = [10.0, 20.0, 5.0, 15.0, 27.0, 0.0]
    root = drawn(ProgressChart("Session", [panel(totals)]), layout)

    points = score_line(root)
    xs, ys = [x for x, _ in points], [y for _, y in points]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)  # one session after another
    by_height = sorted(range(len(ys)), key=lambda i: ys[i])  # SVG's y grows downwards
    assert by_height == sorted(range(len(totals)), key=lambda i: -totals[i])
    steps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    assert max(steps) - min(steps) < 0.02  # sessions evenly spaced
    left, top, right, bottom = clip_box(root)
    assert all(left < x < right and top < y < bottom for x, y in points)


def test_values_are_placed_in_proportion_to_the_axis():
    root = drawn(ProgressChart("Session", [panel([0.0, 14.0, 28.0])]))

    [(_, at_0), (_, at_14), (_, at_28)] = score_line(root)
    _, top, _, bottom = clip_box(root)
    span = bottom - top
    assert at_0 == pytest.approx(bottom - 0.5 / 29.1 * span, abs=0.01)
    assert at_28 == pytest.approx(bottom - 28.5 / 29.1 * span, abs=0.01)
    assert at_14 == pytest.approx((at_0 + at_28) / 2, abs=0.01)


def test_every_score_has_its_marker_on_the_line():
    root = drawn(ProgressChart("Session", [panel([18.0, 15.0, 14.0])]))

    circles = [
        (float(c.attrib["cx"]), float(c.attrib["cy"]))
        for c in axes(root).iter(f"{NS}circle")
        if c.get("fill") == PALETTE[0]
    ]
    assert circles == score_line(root)


def test_the_expected_band_surrounds_its_median_line():
    envelope = Envelope(
        x=[1.0, 2.0, 3.0, 4.0],
        p10=[8.0, 7.0, 6.0, 5.0],
        p25=[11.0, 10.0, 9.0, 8.0],
        p50=[14.0, 13.0, 12.0, 11.0],
        p75=[17.0, 16.0, 15.0, 14.0],
        p90=[20.0, 19.0, 18.0, 17.0],
    )
    root = drawn(ProgressChart("Session", [panel([15.0, 12.0], envelope=envelope)]))

    fills = [p for p in axes(root).iter(f"{NS}polygon") if p.get("fill") == EXPECTED_COLOUR]
    assert [float(p.attrib["opacity"]) for p in fills] == [0.1, 0.2]  # 10–90% under 25–75%
    [median] = [
        p
        for p in axes(root).iter(f"{NS}polyline")
        if p.get("stroke") == EXPECTED_COLOUR and p.get("stroke-dasharray")
    ]
    middle = vertices(median)
    outer, inner = (vertices(p) for p in fills)
    for i, (x, y) in enumerate(middle):
        upper, lower = inner[i], inner[-1 - i]  # the top edge out, the bottom edge back
        assert upper[0] == lower[0] == x
        assert upper[1] < y < lower[1]
        assert outer[i][1] < upper[1] and lower[1] < outer[-1 - i][1]


def test_severity_bands_are_shaded_darker_the_more_severe_and_named_beside_the_plot():
    shades = [Shade(0, 4, "Minimal", 0), Shade(5, 14, "Mild", 1), Shade(15, 27, "Severe", 2)]
    root = drawn(ProgressChart("Session", [panel([18.0, 9.0], shades=shades)]))

    bands = [r for r in axes(root).iter(f"{NS}rect") if r.get("fill") == SEVERITY_COLOUR]
    tops = [float(r.attrib["y"]) for r in bands]
    assert tops == sorted(tops, reverse=True)  # the least severe lowest on the chart
    opacities = [float(r.attrib["opacity"]) for r in bands]
    assert opacities == sorted(opacities) and len(set(opacities)) == 3
    _, _, right, _ = clip_box(root)
    names = [t for t in axes(root).iter(f"{NS}text") if t.text in {"Minimal", "Mild", "Severe"}]
    assert [t.text for t in names] == ["Minimal", "Mild", "Severe"]
    assert all(float(t.attrib["x"]) > right for t in names)


def test_tick_labels_sit_on_their_grid_lines():
    root = drawn(ProgressChart("Session", [panel([18.0, 9.0])]))
    first = axes(root)

    grid = {
        round(vertices(p)[0][1], 1)
        for p in first.iter(f"{NS}polyline")
        if p.get("stroke") == "#e5e5e5"
    }
    labels = {
        t.text: float(t.attrib["y"])
        for t in first.iter(f"{NS}text")
        if t.get("text-anchor") == "end"
    }
    assert set(labels) == {"0", "5", "10", "15", "20", "25"}
    size = WIDE.small
    assert {round(y - 0.38 * size, 1) for y in labels.values()} == grid  # centred on the line


def test_words_are_escaped_and_read_back_as_written():
    title = 'Scores <script>alert("x")</script> & “more”'
    chart = ProgressChart("Session & time", [replace(panel([3.0]), title=title)])

    content = render_progress_svg(chart)

    assert b"<script" not in content
    assert title in svg_texts(content) and "Session & time" in svg_texts(content)


def test_the_drawing_is_self_contained_titled_and_the_size_the_page_expects():
    chart = clinician_chart(full_progress())
    for layout in (WIDE, NARROW):
        content = render_progress_svg(chart, layout=layout)
        root = ET.fromstring(content)

        assert_self_contained_svg(content)
        assert not re.search(rb"(?:href|src)=\"(?!#)", content)
        assert all(
            value.startswith("url(#") for value in re.findall(r"url\([^)]*\)", content.decode())
        )
        title = root.find(f"{NS}title")
        assert title is not None and title.text and "PHQ-9" in title.text
        width, height = (float(v) for v in root.attrib["viewBox"].split()[2:])
        assert (round(width * 96 / 72), round(height * 96 / 72)) == chart_size(chart, layout)
        assert content == render_progress_svg(chart, layout=layout)  # same data, same bytes


def test_each_panel_has_its_key_and_the_key_names_every_mark():
    root = drawn(clinician_chart(full_progress()))

    keys = root.findall(f".//{NS}g[@id]")
    legends = [g for g in keys if g.attrib["id"].startswith("legend")]
    words = ["".join(t.itertext()) for t in legends[0].iter(f"{NS}text")]
    assert words == ["expected 10–90%", "expected 25–75%", "expected median", "Client", "alert"]
    assert len(legends) == 2  # the check-in panel has one line: its title says whose it is


def test_an_episode_without_scores_says_so():
    content = render_progress_svg(ProgressChart("Session", []))

    assert_self_contained_svg(content)
    assert svg_texts(content) == ["No scores yet."]


def test_the_drawing_writes_the_words_matplotlib_wrote_for_the_same_chart():
    # The bench times the chart against matplotlib's drawing of it: the two must stay alike.
    from rapport.speed.progress_matplotlib import render_progress_svg_matplotlib

    chart = clinician_chart(full_progress())
    for layout in (WIDE, NARROW):
        ours = svg_texts(render_progress_svg(chart, layout=layout))
        theirs = svg_texts(render_progress_svg_matplotlib(chart, layout=layout))

        assert sorted(ours) == sorted(text for text in theirs if text)
