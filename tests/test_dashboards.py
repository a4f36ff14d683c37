"""Dashboards: refreshing when due, the command, the therapist's caseload with its flags and
sorting, and who may see which page. The stored figures, on a generated practice, are in
tests/test_dashboards_figures.py."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from rapport.alerts.services import alert_acknowledge, alert_open, alert_resolve
from rapport.audit.models import AuditEvent
from rapport.care.models import Attendance, Session
from rapport.dashboards.models import DashboardSnapshot
from rapport.dashboards.queries import DashboardRow, sort_rows
from rapport.dashboards.refresh import dashboards_refresh, dashboards_refresh_due
from rapport.practices.models import Practice
from tests.conftest import make_session

CRITICAL = 1.959964


def test_the_worker_refreshes_only_when_data_changed_and_some_time_has_passed(cast):
    assert dashboards_refresh_due() == 2  # both practices have no figures yet
    assert dashboards_refresh_due() == 0  # nothing changed
    later = timezone.now() + timedelta(minutes=11)
    assert dashboards_refresh_due(now=later) == 0  # time passed, data the same
    make_session(cast.adult_episode, days_from_now=3)
    assert dashboards_refresh_due() == 0  # changed, but refreshed moments ago
    assert dashboards_refresh_due(now=later) == 2  # the session counts are database-wide
    assert dashboards_refresh_due(now=timezone.now() + timedelta(days=2)) == 2  # daily anyway


def test_the_command_refreshes_a_practice(cast):
    out = StringIO()
    call_command("dashboards", "refresh", "--practice", str(cast.practice.pk), stdout=out)
    assert "Northside" in out.getvalue()
    assert DashboardSnapshot.objects.filter(practice=cast.practice).exists()
    assert not DashboardSnapshot.objects.filter(practice=cast.other_practice).exists()


# --- Pages --------------------------------------------------------------------------------------


def test_the_practice_dashboard_says_when_nothing_was_computed_yet(cast, web_as):
    page = web_as(cast.admin).get(reverse("dashboards:practice"))
    assert page.status_code == 200
    assert "have not been computed yet" in page.content.decode()


def test_the_refresh_button_recomputes_and_returns_to_the_dashboard(cast, web_as):
    page = web_as(cast.supervisor).post(reverse("dashboards:refresh"))
    assert page.status_code == 302 and page.url == reverse("dashboards:practice")
    assert DashboardSnapshot.objects.filter(practice=cast.practice).exists()


def test_the_practice_dashboard_is_not_for_clinicians_or_clients(cast, web_as):
    assert web_as(cast.clinician).get(reverse("dashboards:practice")).status_code == 403
    assert web_as(cast.adult_client_user).get(reverse("dashboards:practice")).status_code == 403
    assert web_as(cast.clinician).post(reverse("dashboards:refresh")).status_code == 403


def attended(episode, days_ago: int) -> Session:
    session = make_session(episode, days_from_now=-days_ago)
    session.attendance = Attendance.ATTENDED
    session.save()
    return session


def test_the_therapist_dashboard_flags_risk_alliance_and_plan_review(cast, web_as):
    alert_open(episode=cast.adult_episode, kind="risk", reason="Item 9", urgent=True)
    alert_open(episode=cast.adolescent_episode, kind="low_alliance", reason="Low")
    alert_open(episode=cast.adolescent_episode, kind="plan_review", reason="Due")
    page = web_as(cast.clinician).get(reverse("dashboards:therapist"))
    rows = {row.episode_id: row for row in page.context["rows"]}
    assert set(rows) == {cast.adult_episode.pk, cast.adolescent_episode.pk}
    assert rows[cast.adult_episode.pk].risk and not rows[cast.adult_episode.pk].alliance
    teen = rows[cast.adolescent_episode.pk]
    assert teen.alliance and teen.plan_review and not teen.risk
    # By default what needs attention comes first: the risk.
    assert page.context["rows"][0].episode_id == cast.adult_episode.pk
    html = page.content.decode()
    assert "Risk</span>" in html and "Review due" in html and "Alliance alert" in html


def test_an_acknowledged_risk_still_flags_the_episode_until_it_is_resolved(cast, web_as):
    alert = alert_open(episode=cast.adult_episode, kind="risk", reason="Item 9", urgent=True)
    alert_acknowledge(actor=cast.clinician, alert=alert, note="Called the client today")
    rows = web_as(cast.clinician).get(reverse("dashboards:therapist")).context["rows"]
    assert {r.episode_id: r.risk for r in rows}[cast.adult_episode.pk]
    alert.refresh_from_db()
    alert_resolve(actor=cast.clinician, alert=alert, note="Safety plan in place, risk assessed")
    rows = web_as(cast.clinician).get(reverse("dashboards:therapist")).context["rows"]
    assert not {r.episode_id: r.risk for r in rows}[cast.adult_episode.pk]


def test_a_supervisor_sees_their_teams_caseload_and_a_clinician_only_their_own(cast, web_as):
    mine = web_as(cast.clinician).get(reverse("dashboards:therapist")).context["rows"]
    assert cast.other_episode.pk not in {r.episode_id for r in mine}
    team = web_as(cast.supervisor).get(reverse("dashboards:therapist")).context["rows"]
    assert {cast.adult_episode.pk, cast.adolescent_episode.pk} <= {r.episode_id for r in team}
    assert cast.other_episode.pk not in {r.episode_id for r in team}
    other = web_as(cast.other_supervisor).get(reverse("dashboards:therapist")).context["rows"]
    assert {r.episode_id for r in other} == {cast.other_episode.pk}


def test_the_caseload_sorts_on_the_server_by_any_column_and_reverses(cast, web_as):
    # The cast's own held session of the adult episode was two days ago.
    attended(cast.adult_episode, days_ago=10)
    attended(cast.adolescent_episode, days_ago=1)
    web = web_as(cast.clinician)
    by_last = web.get(reverse("dashboards:therapist"), {"sort": "last"}).context["rows"]
    assert [r.episode_id for r in by_last] == [cast.adolescent_episode.pk, cast.adult_episode.pk]
    reversed_ = web.get(reverse("dashboards:therapist"), {"sort": "-last"}).context["rows"]
    assert [r.episode_id for r in reversed_] == [cast.adult_episode.pk, cast.adolescent_episode.pk]
    page = web.get(reverse("dashboards:therapist"), {"sort": "last"})
    assert 'href="?sort=-last"' in page.content.decode()  # a second click reverses
    nonsense = web.get(reverse("dashboards:therapist"), {"sort": "drop table"})
    assert nonsense.status_code == 200 and nonsense.context["sort"] == "priority"


def test_htmx_requests_get_only_the_table(cast, web_as):
    page = web_as(cast.clinician).get(
        reverse("dashboards:therapist"), {"sort": "client"}, headers={"HX-Request": "true"}
    )
    html = page.content.decode()
    assert "<table" in html and "<html" not in html


def row(name: str, track: str | None, **flags: bool) -> DashboardRow:
    return DashboardRow(
        episode_id=len(name),
        client_id=1,
        client_name=name,
        clinician_name="T",
        status="active",
        track=track,
        track_family="phq9",
        risk=flags.get("risk", False),
        alliance=flags.get("alliance", False),
        plan_review=flags.get("review", False),
        last_session=None,
        next_session=None,
    )


def test_progress_sorts_off_track_first_then_at_risk_on_track_and_unclassified() -> None:
    rows = [row("a", "on_track"), row("b", None), row("c", "off_track"), row("d", "at_risk")]
    assert [r.client_name for r in sort_rows(rows, "track")] == ["c", "d", "a", "b"]
    assert [r.client_name for r in sort_rows(rows, "-track")] == ["b", "a", "d", "c"]
    urgent = sort_rows([*rows, row("e", "on_track", risk=True)], "priority")
    assert [r.client_name for r in urgent][:2] == ["e", "c"]


def test_progress_flags_come_from_the_trajectories_app(cast, web_as, monkeypatch):
    from rapport.dashboards import queries

    monkeypatch.setattr(
        queries,
        "track_statuses",
        lambda ids: {cast.adult_episode.pk: ("off_track", "phq9")},
    )
    page = web_as(cast.clinician).get(reverse("dashboards:therapist"))
    rows = {r.episode_id: r for r in page.context["rows"]}
    assert rows[cast.adult_episode.pk].track_label == "Off track"
    assert rows[cast.adolescent_episode.pk].track_label == "Not yet classified"
    assert "track-off_track" in page.content.decode()


def test_the_therapist_dashboard_is_audited_and_closed_to_admins_and_clients(cast, web_as):
    web_as(cast.clinician).get(reverse("dashboards:therapist"))
    event = AuditEvent.objects.filter(actor_id=cast.clinician.pk, action="list").latest("id")
    assert event.detail["view"] == "dashboard"
    assert web_as(cast.admin).get(reverse("dashboards:therapist")).status_code == 403
    assert web_as(cast.guardian).get(reverse("dashboards:therapist")).status_code == 403
    assert web_as(None).get(reverse("dashboards:therapist")).status_code == 302


def test_a_practice_without_any_data_gets_empty_figures(db):
    practice = Practice.objects.create(name="Empty")
    snapshot = dashboards_refresh(practice=practice)
    assert snapshot.episodes == snapshot.administrations == 0
    assert snapshot.figures["instruments"] == []
    assert snapshot.figures["closed"]["n"] == 0
    assert snapshot.figures["closed"]["dropout"]["value"] is None
    assert snapshot.figures["alliance"]["n"] == 0
