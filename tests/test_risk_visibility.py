"""A risk answer is visible wherever a score is shown: the client page and its panels, the
caseload, the therapist dashboard, the progress chart and its table, the response page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rapport.alerts.models import Alert
from rapport.alerts.services import alert_acknowledge, alert_resolve
from rapport.charts.progress import RISK_LABEL, render_progress_svg
from rapport.measures.models import Response
from rapport.measures.services import measure_plan_set, response_submit
from rapport.progress.charts import clinician_chart, family_table
from rapport.progress.queries import episode_progress
from tests.conftest import assignment_for
from tests.test_progress_data import held_sessions, phq9_answers


def submit_phq9(session, *, total: int, item9: int, mode=Response.Mode.IN_SESSION) -> Response:
    from rapport.measures.services import session_assignments_ensure

    answers = phq9_answers(total)
    answers["phq9-9"] = str(item9)
    assignment = assignment_for(session_assignments_ensure(session=session), "phq9")
    return response_submit(assignment=assignment, answers=answers, mode=mode, actor=None)


@pytest.fixture
def flagged(cast):
    """Three PHQ-9s; the last (total 8, 'Mild') with item 9 answered 1."""
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    sessions = held_sessions(cast.adult_episode, 3)
    submit_phq9(sessions[0], total=14, item9=0)
    submit_phq9(sessions[1], total=10, item9=0)
    return submit_phq9(sessions[2], total=7, item9=1)


def test_a_response_with_item_nine_answered_carries_the_risk_flag_and_others_do_not(flagged):
    assert flagged.total == 8 and flagged.carries_risk_flag
    others = Response.objects.exclude(pk=flagged.pk)
    assert not any(r.carries_risk_flag for r in others)
    assert list(Response.objects.risk_flagged()) == [flagged]


def test_the_client_page_shows_the_risk_next_to_the_score_and_at_the_top(flagged, cast, web_as):
    page = web_as(cast.clinician).get(reverse("people:client_detail", args=[cast.adult_client.pk]))
    html = page.content.decode()
    assert html.count("Risk item answered") >= 1
    assert 'class="notice risk-banner"' in html
    assert "an answer to a risk question needs attention" in html
    # The supervisor reads the same page
    page = web_as(cast.supervisor).get(reverse("people:client_detail", args=[cast.adult_client.pk]))
    assert "Risk item answered" in page.content.decode()


def test_the_response_page_says_a_risk_item_was_answered_with_its_alert(flagged, cast, web_as):
    page = web_as(cast.clinician).get(reverse("measures:response_detail", args=[flagged.pk]))
    html = page.content.decode()
    assert "Risk item answered." in html
    assert "Alert open" in html and reverse("alerts:acknowledge", args=[flagged.alerts.get().pk])


def test_caseload_and_dashboard_keep_the_risk_flag_until_the_alert_is_resolved(
    flagged, cast, web_as
):
    web = web_as(cast.clinician)

    def flags():
        rows = web.get(reverse("people:caseload")).context["rows"]
        caseload = "Risk" in next(
            r.flags for r in rows if r.episode.client_id == cast.adult_client.pk
        )
        rows = web.get(reverse("dashboards:therapist")).context["rows"]
        dashboard = next(r.risk for r in rows if r.client_id == cast.adult_client.pk)
        return caseload, dashboard

    assert flags() == (True, True)
    alert = Alert.objects.get(kind="risk", episode=cast.adult_episode)
    alert_acknowledge(actor=cast.clinician, alert=alert, note="Phoned; safety plan agreed.")
    assert flags() == (True, True)  # seen is not yet dealt with
    alert_resolve(actor=cast.clinician, alert=alert, note="Reviewed in session; no current risk.")
    assert flags() == (False, False)


def test_the_progress_chart_rings_the_flagged_point_with_a_key_entry_and_the_table_says_so(
    flagged, cast
):
    progress = episode_progress(cast.adult_episode)
    [phq9] = progress.families
    chart = clinician_chart(progress)
    assert list(chart.panels[0].risk_points) == [(3.0, 8.0)]
    svg = render_progress_svg(chart).decode()
    assert RISK_LABEL in svg
    rows = family_table(phq9)
    assert [row.risk for row in rows] == [[], [], ["Client"]]
    # The client's own simplified chart does not mark it
    assert all(row.risk == [] for row in family_table(phq9, simplified=True))


def test_the_progress_page_table_has_a_risk_column(flagged, cast, web_as):
    page = web_as(cast.clinician).get(reverse("progress:episode", args=[cast.adult_episode.pk]))
    html = page.content.decode()
    assert '<th scope="col">Risk item</th>' in html
    assert '<span class="flag risk">Answered</span>' in html
