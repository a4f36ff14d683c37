"""Dashboards: the stored practice figures (against a plain recomputation), refreshing them, the
therapist's caseload with its flags and sorting, and who may see which page."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import User
from rapport.alerts.services import alert_acknowledge, alert_open, alert_resolve
from rapport.audit.models import AuditEvent
from rapport.care.models import Attendance, Episode, EpisodeStatus, Session
from rapport.dashboards.models import DashboardSnapshot
from rapport.dashboards.queries import DashboardRow, sort_rows
from rapport.dashboards.refresh import dashboards_refresh, dashboards_refresh_due
from rapport.measures.models import Response
from rapport.practices.models import Practice
from rapport.speed.dashboards import generate_practice
from tests.conftest import make_session

CRITICAL = 1.959964


@pytest.fixture
def generated(db):
    return generate_practice(clients=400, seed=4)


@pytest.fixture
def snapshot(generated):
    return dashboards_refresh(practice=Practice.objects.get(pk=generated.practice_id))


def plain_outcomes(practice_id: int) -> dict:
    """The PHQ-9 figures recomputed one episode at a time, without NumPy."""
    scores = defaultdict(list)
    for episode_id, total in (
        Response.objects.filter(
            episode__practice_id=practice_id, instrument_id="phq9", respondent="client"
        )
        .order_by("completed_at", "pk")
        .values_list("episode_id", "total")
    ):
        scores[episode_id].append(total)
    closed = set(
        Episode.objects.filter(practice_id=practice_id, status=EpisodeStatus.CLOSED).values_list(
            "pk", flat=True
        )
    )
    intake_sd = statistics.stdev(s[0] for s in scores.values())
    counts = Counter()
    pre, post = [], []
    for episode_id, series in scores.items():
        if episode_id not in closed or len(series) < 2:
            continue
        first, last = series[0], series[-1]
        pre.append(first)
        post.append(last)
        # NHS Talking Therapies: a change of 6 or more points is reliable; caseness is 10 or more.
        if first - last >= 6:
            counts["recovered" if first >= 10 and last < 10 else "improved"] += 1
        elif last - first >= 6:
            counts["harmed" if first < 10 and last >= 10 else "deteriorated"] += 1
        else:
            counts["unchanged"] += 1
    d = (statistics.mean(pre) - statistics.mean(post)) / statistics.stdev(pre)
    return {"counts": counts, "n": len(pre), "d": d, "sd": intake_sd}


def test_stored_outcomes_match_a_plain_recomputation_episode_by_episode(generated, snapshot):
    [phq] = [i for i in snapshot.figures["instruments"] if i["id"] == "phq9"]
    expected = plain_outcomes(generated.practice_id)
    assert phq["closed_with_pair"] == expected["n"]
    assert phq["sd"] == pytest.approx(expected["sd"], abs=1e-5)
    assert {c["key"]: c["count"] for c in phq["categories"]} == {
        key: expected["counts"][key]
        for key in ("recovered", "improved", "unchanged", "deteriorated", "harmed")
    }
    assert phq["effect"]["d"] == pytest.approx(expected["d"], abs=1e-5)
    assert phq["effect"]["lower"] < phq["effect"]["d"] < phq["effect"]["upper"]
    assert phq["cutoff_source"] == "rule" and phq["cutoff"] == 10
    assert phq["rule"]["name"] == "NHS Talking Therapies criterion"


def test_dropout_and_modality_figures_count_closed_episodes(generated, snapshot):
    closed = Episode.objects.filter(practice_id=generated.practice_id, status=EpisodeStatus.CLOSED)
    dropped = closed.filter(closure_reason="dropped_out").count()
    figures = snapshot.figures["closed"]
    assert figures["n"] == closed.count() == snapshot.closed_episodes
    assert figures["dropout"]["count"] == dropped
    assert figures["dropout"]["lower"] < figures["dropout"]["value"] < figures["dropout"]["upper"]
    # Every closed episode has attended sessions, so the modality rows add up to all of them.
    assert sum(m["n"] for m in figures["dropout_by_modality"]) == closed.count()
    modalities = Counter()
    for episode in closed.prefetch_related("sessions"):
        counts = Counter(s.modality for s in episode.sessions.all())
        order = ["in_person", "video", "phone", "text"]
        modalities[max(order, key=lambda m: (counts[m], -order.index(m)))] += 1
    assert {m["modality"]: m["n"] for m in figures["dropout_by_modality"]} == {
        k: v for k, v in modalities.items() if v
    }


def test_alliance_distribution_holds_every_client_rating(generated, snapshot):
    totals = list(
        Response.objects.filter(
            episode__practice_id=generated.practice_id, instrument_id="feedback-client"
        ).values_list("total", flat=True)
    )
    alliance = snapshot.figures["alliance"]
    assert alliance["n"] == len(totals)
    assert sum(b["count"] for b in alliance["bins"]) == len(totals)
    assert alliance["median"] == statistics.median(totals)
    assert alliance["below"]["count"] == sum(1 for t in totals if t < 36)
    assert (
        snapshot.administrations
        == Response.objects.filter(episode__practice_id=generated.practice_id).count()
    )


def test_therapists_are_compared_with_shrunken_rates_and_the_icc_has_an_interval(snapshot):
    [phq] = [i for i in snapshot.figures["instruments"] if i["id"] == "phq9"]
    therapists = phq["therapists"]
    assert len(therapists) == 4  # 400 clients, 100 per therapist: all above 15
    for row in therapists:
        assert row["improved_lower"] <= row["improved"] <= row["improved_upper"]
        assert row["adjusted_lower"] < row["adjusted"] < row["adjusted_upper"]
        # Shrinkage moves each rate towards the practice's, never past it.
        prior = phq["therapist_effect"]["prior_improved"]
        assert abs(row["improved"] - prior) <= abs(row["raw_improved"] - prior) + 1e-9
    effect = phq["therapist_effect"]
    assert effect["available"] and effect["n_groups"] == 4
    assert 0 <= effect["lower"] <= effect["icc"] <= effect["upper"] <= 1


def test_therapists_under_the_minimum_caseload_are_counted_but_never_named(generated, settings):
    settings.RAPPORT_DASHBOARD_MIN_CASELOAD = 1000
    snapshot = dashboards_refresh(practice=Practice.objects.get(pk=generated.practice_id))
    [phq] = [i for i in snapshot.figures["instruments"] if i["id"] == "phq9"]
    assert phq["therapists"] == []
    assert phq["therapists_hidden"] == 4
    assert "Therapist 0000" not in str(snapshot.figures)


def test_a_refresh_replaces_the_stored_figures_and_is_audited(generated, snapshot):
    practice = Practice.objects.get(pk=generated.practice_id)
    again = dashboards_refresh(practice=practice)
    assert DashboardSnapshot.objects.filter(practice=practice).count() == 1
    assert again.computed_at >= snapshot.computed_at
    assert AuditEvent.objects.filter(action="refresh", practice_id=practice.pk).count() == 2


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


def test_the_practice_dashboard_shows_the_stored_figures_to_a_supervisor(
    generated, snapshot, web_as
):
    supervisor = User.objects.get(pk=generated.supervisor_id)
    page = web_as(supervisor).get(reverse("dashboards:practice"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Outcomes on the PHQ-9" in html
    assert "Therapist 0001" in html
    assert "ICC" in html and "profile-likelihood" in html
    assert not re.search(r"Client \d", html)  # aggregates only: no client names
    assert AuditEvent.objects.filter(
        actor_id=supervisor.pk, object_type="dashboards.dashboardsnapshot"
    ).exists()


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


def test_a_long_therapist_table_is_split_into_pages(generated, snapshot, web_as, monkeypatch):
    from rapport.dashboards import views

    monkeypatch.setattr(views, "THERAPISTS_PER_PAGE", 3)
    web = web_as(User.objects.get(pk=generated.supervisor_id))
    first = web.get(reverse("dashboards:practice")).content.decode()
    assert "Therapist 0000" in first and "Therapist 0003" not in first
    assert "Therapists 1–3 of 4" in first
    second = web.get(reverse("dashboards:practice"), {"instrument": "phq9", "page": 2})
    html = second.content.decode()
    assert "Therapist 0003" in html and "Therapist 0000" not in html


def test_a_refresh_reads_the_practice_in_a_handful_of_queries(generated):
    practice = Practice.objects.get(pk=generated.practice_id)
    dashboards_refresh(practice=practice)
    with CaptureQueriesContext(connection) as queries:
        dashboards_refresh(practice=practice)
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    # Data mark, instruments, episodes, sessions, scores, ratings, names, alliance cut-off; then
    # the stored figures (2) and their audit event (3).
    assert len(statements) <= 13
    reads = [sql for sql in statements if "measures_response" in sql]
    assert len(reads) == 3  # the data mark, the outcome scores, the session ratings


def test_a_therapist_sees_their_own_shrunken_figures_on_their_dashboard(
    generated, snapshot, web_as
):
    therapist = User.objects.get(pk=generated.therapist_ids[0])
    page = web_as(therapist).get(reverse("dashboards:therapist"))
    own = page.context["own"]
    assert own["row"]["id"] == therapist.pk and own["row"]["n"] >= 15
    assert "Your outcomes on the PHQ-9" in page.content.decode()


def test_below_the_minimum_a_therapist_is_told_how_many_episodes_count_so_far(
    generated, settings, web_as
):
    settings.RAPPORT_DASHBOARD_MIN_CASELOAD = 1000
    dashboards_refresh(practice=Practice.objects.get(pk=generated.practice_id))
    therapist = User.objects.get(pk=generated.therapist_ids[0])
    page = web_as(therapist).get(reverse("dashboards:therapist"))
    own = page.context["own"]
    assert own["row"] is None and own["episodes"] > 0
    assert f"(you have {own['episodes']})" in page.content.decode()
