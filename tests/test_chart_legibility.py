"""Charts a person can read: the alliance axis over the feedback scale's whole range, band names
only where they fit, keys that fit the drawing, labels kept apart, and the alliance drawn once
on the client page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.urls import reverse

from rapport.alliance.charts import alliance_chart
from rapport.alliance.queries import alliance_by_session, alliance_score_range
from rapport.care.models import Episode
from rapport.charts.layout import (
    NARROW,
    WIDE,
    band_labels,
    key_shape,
    label_rows,
    spaced,
)
from rapport.measures.registry import builtin_instruments
from rapport.progress.charts import alliance_panel
from rapport.progress.queries import AlliancePoint, EpisodeProgress
from tests.test_alliance import past_sessions, rate
from tests.test_progress import svg_texts

START = datetime(2026, 9, 1, 10, tzinfo=UTC)


def progress_with_alliance(scale: tuple[float, float], totals: list[float]) -> EpisodeProgress:
    points = [
        AlliancePoint(x, START, client=t, therapist=t, guardian=None)
        for x, t in enumerate(totals, 1)
    ]
    return EpisodeProgress(Episode(), [], alliance=points, alliance_range=scale)


def test_the_alliance_axis_spans_the_scale_it_is_given_not_the_ratings():
    # Ratings crowd the top of the scale; the axis still starts at the scale's lowest total.
    panel = alliance_panel(progress_with_alliance((0.0, 40.0), [36, 38, 39]))
    assert panel is not None
    low, high = panel.y_range
    assert low <= 0 and 40 < high <= 43
    assert panel.y_label == "Total of 40"

    # Another scale, another axis: nothing about 40 is built in.
    wider = alliance_panel(progress_with_alliance((0.0, 60.0), [50, 55]))
    assert wider is not None and wider.y_range[0] <= 0 and 60 < wider.y_range[1] <= 64
    assert wider.y_label == "Total of 60"


def test_by_default_the_alliance_axis_is_the_feedback_forms_range_from_its_definition():
    low, high = builtin_instruments()["feedback-client"].score_range

    assert EpisodeProgress(Episode(), []).alliance_range == (low, high) == (0.0, 40.0)


def test_the_alliance_charts_of_an_episode_take_their_axis_from_the_forms_used(cast):
    episode = cast.adult_episode
    for session in past_sessions(episode, 3):
        rate(session, "client", 9)
        rate(session, "therapist", 9)
    rows = alliance_by_session(episode)
    scale = builtin_instruments()["feedback-client"].score_range

    assert alliance_score_range(episode, rows) == scale
    low, high = alliance_chart(episode).y_range
    assert low <= scale[0] and scale[1] < high <= scale[1] + 3


def test_a_band_too_thin_for_its_name_goes_unnamed_and_names_stay_inside_their_bands():
    # 0–27 over 150 points: the 5-point bands are 28 points high, the 1-point band 5.5.
    bands = [(-0.5, 4.5, "Minimal"), (4.5, 5.5, "Sliver"), (5.5, 27.5, "Moderately severe")]

    labels = band_labels(bands, (-0.5, 27.5), 150, 9.5, 60)

    assert [label.text for label in labels] == ["Minimal", "Moderately\nsevere"]
    assert labels[0].y == 2.0  # the middle of its band


def test_a_band_half_off_the_axis_is_named_in_the_middle_of_what_shows():
    [label] = band_labels([(20, 40, "Severe")], (0, 30), 150, 9.5, 80)

    assert label.y == 25


def test_a_band_name_too_wide_for_the_margin_even_on_two_lines_is_left_out():
    bands = [(0, 25, "Below the cut-off"), (25, 82, "May indicate an anxiety disorder")]

    roomy = band_labels(bands, (0, 82), 300, 9.5, 110)
    tight = band_labels(bands, (0, 82), 300, 9.5, 80)

    assert [label.text for label in roomy] == [
        "Below the cut-off",
        "May indicate an\nanxiety disorder",
    ]
    assert [label.text for label in tight] == ["Below the\ncut-off"]


def test_the_key_takes_as_many_columns_as_fit_the_drawing_and_no_more():
    labels = ["expected 10–90%", "expected 25–75%", "expected median", "Client", "alert"]
    narrow_width = (NARROW.width - 0.12) * 72

    narrow = key_shape(labels, NARROW.small, narrow_width)
    wide = key_shape(labels, WIDE.small, (WIDE.width - 0.12) * 72)

    assert (narrow.columns, narrow.rows) == (2, 3)
    assert wide.columns == 5 and wide.rows == 1


def test_labels_too_close_for_one_row_go_to_the_next():
    assert label_rows([(0, 50), (30, 80), (52, 90), (60, 120)], gap=4) == [0, 1, 2, 0]


def test_risk_words_are_left_out_where_they_would_touch_the_one_before():
    assert spaced([0, 10, 30, 35, 60], 25) == [True, False, True, False, True]


def test_the_client_page_draws_the_alliance_once(cast, web_as):
    episode = cast.adult_episode
    for session in past_sessions(episode, 3):
        rate(session, "client", 9)
        rate(session, "therapist", 8)
    browser = web_as(cast.clinician)

    page = browser.get(reverse("people:client_detail", args=[episode.client_id])).content.decode()

    sources = set(re.findall(r'(?:src|srcset)="([^"]+\.svg[^"]*)"', page))
    drawings = {src: svg_texts(browser.get(src.replace("&amp;", "&")).content) for src in sources}
    titles = [
        text
        for src, texts in drawings.items()
        if "layout=narrow" not in src  # the phone's drawing of the same chart
        for text in texts
        if text.startswith("Session feedback")
    ]
    assert titles == ["Session feedback (alliance) · higher is better"], drawings.keys()
    assert reverse("alliance:chart", args=[episode.pk]) not in page


def _luminance(colour: tuple[float, float, float]) -> float:
    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = map(linear, colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(one: tuple[float, float, float], other: tuple[float, float, float]) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _rgb(colour: str) -> tuple[float, float, float]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def test_every_line_and_mark_has_3_to_1_contrast_with_the_white_and_the_darkest_shaded_band():
    from rapport.charts.lines import PALETTE
    from rapport.charts.progress import (
        ALERT_COLOUR,
        REVISION_COLOUR,
        RISK_COLOUR,
        SEVERITY_COLOUR,
    )

    # The most severe band is drawn at 12 % opacity over white (see `_draw_panel`).
    shade = _rgb(SEVERITY_COLOUR)
    darkest_band = tuple(0.12 * c + 0.88 * 255 for c in shade)
    for colour in (*PALETTE, ALERT_COLOUR, RISK_COLOUR, REVISION_COLOUR):
        for background in ((255.0, 255.0, 255.0), darkest_band):
            assert _contrast(_rgb(colour), background) >= 3, (colour, background)
