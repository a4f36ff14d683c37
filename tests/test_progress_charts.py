"""The chart definition on its own (no database): panels, bands, markers, direction, tables,
plain words, and the SVG it renders to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rapport.care.models import Episode
from rapport.charts.layout import NARROW, WIDE
from rapport.charts.progress import pixel_size, render_progress_svg
from rapport.measures.registry import builtin_instruments
from rapport.people.models import Client
from rapport.progress.charts import (
    clinician_chart,
    family_table,
    plain_summary,
    portal_chart,
    session_words,
)
from rapport.progress.queries import (
    AlertMark,
    AlliancePoint,
    EpisodeProgress,
    FamilyProgress,
    Point,
    PortalProgress,
    RevisionMark,
    ScoreSeries,
)
from rapport.trajectories.queries import ExpectedBand
from tests.test_progress import assert_self_contained_svg, svg_texts

START = datetime(2026, 9, 1, 10, tzinfo=UTC)


def series(instrument_id: str, totals: list[float], label: str = "Client", first_x: float = 1):
    instrument = builtin_instruments()[instrument_id]
    points = [
        Point(first_x + i, START + timedelta(weeks=i), t, f"band {t:g}", i)
        for i, t in enumerate(totals)
    ]
    respondent = "guardian" if label.startswith("Guardian") else "client"
    return ScoreSeries(label, respondent, instrument, points)


def phq9_family(**extra) -> FamilyProgress:
    client = series("phq9", [18, 15, 14, 12, 9])
    return FamilyProgress("phq9", client.instrument, [client], **extra)


def band(first: float = 17) -> ExpectedBand:
    sessions = list(range(1, 13))
    mid = [first - 0.8 * (s - 1) for s in sessions]
    return ExpectedBand(
        "phq9",
        "model",
        "expected",
        sessions,
        p10=[m - 6 for m in mid],
        p25=[m - 3 for m in mid],
        p50=mid,
        p75=[m + 3 for m in mid],
        p90=[m + 6 for m in mid],
        higher_is_worse=True,
    )


def full_progress() -> EpisodeProgress:
    checkin = FamilyProgress(
        "checkin",
        builtin_instruments()["checkin-adult"],
        [series("checkin-adult", [20, 24, 30], first_x=3)],
    )
    return EpisodeProgress(
        episode=Episode(),
        families=[
            phq9_family(expected=band(), alerts=[AlertMark(3, START, "Risk item", True)]),
            checkin,
        ],
        alliance=[
            AlliancePoint(x, START, client=36 - x, therapist=34, guardian=None) for x in (1, 2, 3)
        ],
        alliance_alerts=[AlertMark(2, START, "Alliance drop", False)],
        revisions=[RevisionMark(2.5, START, "plan v2 accepted", 2)],
    )


def test_each_measured_family_gets_a_panel_and_the_alliance_comes_last():
    chart = clinician_chart(full_progress())

    assert [panel.title for panel in chart.panels] == [
        "PHQ-9 · lower is better",
        "Check-in · higher is better",
        "Session feedback (alliance) · higher is better",
    ]
    assert [line.label for line in chart.panels[2].lines] == ["Client", "Therapist"]


def test_severity_bands_come_from_the_instrument_definition():
    [phq9, checkin, _] = clinician_chart(full_progress()).panels

    assert [(s.low, s.high, s.label, s.severity) for s in phq9.shades] == [
        (0, 4, "Minimal", 0),
        (5, 9, "Mild", 1),
        (10, 14, "Moderate", 2),
        (15, 19, "Moderately severe", 3),
        (20, 27, "Severe", 4),
    ]
    assert checkin.shades == []  # the check-in defines no bands
    assert phq9.y_range[0] < 0 and phq9.y_range[1] > 27


def test_the_expected_band_is_drawn_a_little_past_the_latest_session():
    [phq9, checkin, _] = clinician_chart(full_progress()).panels

    assert phq9.envelope is not None
    assert list(phq9.envelope.x) == [1, 2, 3, 4, 5, 6, 7]  # latest score at session 5, two ahead
    assert phq9.envelope.p50[0] == 17 and phq9.envelope.p10[0] == 11
    assert checkin.envelope is None


def test_an_expected_band_counts_sessions_from_the_first_score_of_the_measure():
    gad7 = series("gad7", [15, 12], first_x=4)
    family = FamilyProgress("gad7", gad7.instrument, [gad7], expected=band(15))

    panel = clinician_chart(EpisodeProgress(Episode(), [family])).panels[0]

    assert panel.envelope is not None and panel.envelope.x[0] == 4
    assert family_table(family)[1].expected == ("11.2–17.2, median 14.2", "8.2–20.2")


def test_alerts_sit_on_their_panel_and_plan_revisions_across_the_chart():
    chart = clinician_chart(full_progress())

    assert [(e.x, e.label) for e in chart.panels[0].alerts] == [(3, "Risk item")]
    assert [(e.x, e.label) for e in chart.panels[2].alerts] == [(2, "Alliance drop")]
    assert [(e.x, e.label) for e in chart.revisions] == [(2.5, "plan v2 accepted")]


def test_the_portal_chart_leaves_out_expectations_alerts_revisions_and_the_alliance():
    progress = full_progress()

    chart = portal_chart(PortalProgress(Client(), "", progress.families))

    assert [panel.title for panel in chart.panels] == [
        "PHQ-9 · lower is better",
        "Check-in · higher is better",
    ]
    assert all(p.envelope is None and not p.alerts for p in chart.panels)
    assert not chart.revisions
    assert chart.panels[0].shades  # the ranges stay: they are what the scores mean


def test_the_table_has_a_row_per_session_with_band_expected_range_and_alerts():
    rows = family_table(full_progress().families[0])

    assert [(r.session, r.scores, r.band) for r in rows][:2] == [
        ("1", [("Client", "18")], "band 18"),
        ("2", [("Client", "15")], "band 15"),
    ]
    assert rows[2].alerts == ["Risk item"]
    assert rows[0].expected == ("14–20, median 17", "11–23")


def test_client_and_guardian_scores_share_a_row_when_given_at_the_same_session():
    client = series("checkin-adult", [20, 24])
    guardian = series("checkin-caregiver", [18], label="Guardian (Pat)")
    family = FamilyProgress("checkin", client.instrument, [client, guardian])

    rows = family_table(family)

    assert rows[0].scores == [("Client", "20"), ("Guardian (Pat)", "18")]
    assert rows[1].scores == [("Client", "24"), ("Guardian (Pat)", "—")]


def test_plain_words_say_which_way_scores_went_and_what_that_means():
    family = phq9_family()
    client = family.series[0]
    you = ScoreSeries("You", "client", client.instrument, client.points)
    teen = ScoreSeries("Ti", "client", client.instrument, client.points[:1])

    assert plain_summary(you, family) == (
        "Your PHQ-9 scores have gone down from 18 to 9: lower means fewer symptoms. "
        "9 is in the “band 9” range."
    )
    assert plain_summary(teen, family).startswith("Ti’s first PHQ-9 score is 18: lower means")


def test_session_words_name_the_moments_between_sessions():
    assert [session_words(x) for x in (1, 3.5, 0.5)] == [
        "1",
        "between 3 and 4",
        "before session 1",
    ]


def test_the_svg_is_self_contained_and_keeps_its_words_as_text():
    svg = render_progress_svg(clinician_chart(full_progress()))

    assert_self_contained_svg(svg)
    texts = svg_texts(svg)
    assert {"Moderately severe", "plan v2 accepted", "expected median", "alert"} <= set(texts)
    assert "Session number (1 = first session)" in texts


def test_the_narrow_drawing_fits_a_phone_screen():
    wide, narrow = pixel_size(WIDE, 3), pixel_size(NARROW, 3)

    assert narrow[0] <= 390 < wide[0]
    svg = render_progress_svg(clinician_chart(full_progress()), layout=NARROW)
    assert svg.count(b'<g id="axes_') == 3
