"""Expected trajectories in a practice: fitting, classifying new scores, alerts, pages."""

import json
import logging
import math
import random
from datetime import timedelta
from io import StringIO
from statistics import NormalDist

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.alerts.services import alert_resolve
from rapport.audit.models import AuditEvent
from rapport.care.models import Attendance, Episode, EpisodeStatus, Session
from rapport.measures.models import Assignment, MeasurePlan, Response
from rapport.measures.services import (
    measure_plan_set,
    response_submit,
    session_assignments_ensure,
)
from rapport.people.models import Client
from rapport.plans.services import plan_review_check
from rapport.trajectories import queries, services
from rapport.trajectories.models import ExpectedTrajectory, ScoreStatus, TrajectorySettings
from rapport.trajectories.queries import expected_band, latest_status_by_episode
from rapport.trajectories.refresh import trajectories_refresh, trajectories_refresh_due
from tests.conftest import make_session, years_ago
from tests.demo_snapshot import demo_practice

Z = NormalDist().inv_cdf


def history(cast, n_clients: int, *, sessions: int = 10, seed: int = 1, closed_share=0.5):  # type: ignore[no-untyped-def]
    """Past PHQ-9 series of other clients of the practice: intake 12–24, then about 4 points
    down per log-session with each client's own pace. Stored directly, without alerts; the
    sessions, forms and answers in three bulk inserts (a 60-client history is 1,800 rows)."""
    rng = random.Random(seed)
    start = timezone.now() - timedelta(weeks=sessions + 2)
    series: list[tuple[Episode, MeasurePlan, list[tuple[Session, float]]]] = []
    for i in range(n_clients):
        client = Client.objects.create(
            practice=cast.practice, full_name=f"History {i}", date_of_birth=years_ago(30)
        )
        closed = i < n_clients * closed_share
        episode = Episode.objects.create(
            practice=cast.practice,
            client=client,
            primary_clinician=cast.outsider_clinician,
            start_date=start.date(),
            status=EpisodeStatus.CLOSED if closed else EpisodeStatus.ACTIVE,
            end_date=timezone.localdate() if closed else None,
            closure_reason="completed" if closed else "",
        )
        plan = MeasurePlan.objects.create(
            episode=episode, family="phq9", respondent="client", schedule="every_session"
        )
        intake = rng.uniform(12, 24)
        pace = -4.0 + rng.gauss(0, 2.0)
        scores = []
        for s in range(1, sessions + 1):
            session = Session(
                episode=episode,
                clinician=cast.outsider_clinician,
                modality="in_person",
                scheduled_start=start + timedelta(weeks=s),
                attendance=Attendance.ATTENDED,
            )
            value = intake if s == 1 else intake + pace * math.log(s) + rng.gauss(0, 1.5)
            scores.append((session, value))
        series.append((episode, plan, scores))
    Session.objects.bulk_create([session for _, _, scores in series for session, _ in scores])
    assignments = Assignment.objects.bulk_create(
        Assignment(
            episode=episode,
            session=session,
            plan=plan,
            instrument_id="phq9",
            respondent="client",
            respondent_key="client",
            status=Assignment.Status.COMPLETED,
            due_at=session.scheduled_start,
        )
        for episode, plan, scores in series
        for session, _ in scores
    )
    values = [value for _, _, scores in series for _, value in scores]
    Response.objects.bulk_create(
        Response(
            assignment=assignment,
            episode=assignment.episode,
            instrument_id="phq9",
            instrument_version="1",
            respondent="client",
            answers={},
            total=float(min(27, max(0, round(value)))),
            mode="in_session",
            completed_at=assignment.due_at,
        )
        for assignment, value in zip(assignments, values, strict=True)
    )
    # What saving each attended session would have set off (bulk inserts send no signal).
    episodes = [episode for episode, _, _ in series]
    for episode in episodes:
        plan_review_check(episode=episode)
    return episodes


def phq9(total: int) -> dict[str, str]:
    """PHQ-9 answers adding up to total, item 9 always 0 (no risk alert)."""
    values = [0] * 9
    for i in range(total):
        values[i % 8] += 1
    return {f"phq9-{n}": str(v) for n, v in enumerate(values, start=1)}


@pytest.fixture
def adult_phq9(cast):  # type: ignore[no-untyped-def]
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    sessions = []
    for weeks in range(12, 0, -1):
        session = make_session(cast.adult_episode, days_from_now=-7 * weeks)
        session.attendance = Attendance.ATTENDED
        session.save()
        sessions.append(session)
    return sessions


def submit(session, total: int) -> Response:  # type: ignore[no-untyped-def]
    [assignment] = [
        a
        for a in session_assignments_ensure(session=session)
        if a.plan and a.plan.family == "phq9" and a.respondent == "client"
    ]
    return response_submit(
        assignment=assignment, answers=phq9(total), mode="in_session", actor=None
    )


@pytest.fixture(autouse=True)
def classification_failures_fail_the_test(request, caplog):  # type: ignore[no-untyped-def]
    """trajectory_classify logs and swallows errors so a client's answers are never lost; in
    these tests a swallowed error would pass as "no status, no alert", so it fails the test."""
    with caplog.at_level(logging.ERROR, logger=services.logger.name):
        yield
    if "classification_may_fail" in request.fixturenames:
        return
    errors = [r.getMessage() for r in caplog.records if r.name == services.logger.name]
    assert not errors, f"classification failed: {errors}"


@pytest.fixture
def classification_may_fail() -> None:
    """Marks a test that makes classification fail on purpose."""


def status_of(response: Response) -> ScoreStatus:
    return ScoreStatus.objects.get(response=response)


def trajectory_alerts(cast):  # type: ignore[no-untyped-def]
    return list(
        Alert.objects.filter(
            episode=cast.adult_episode, kind__in=["off_track", "at_risk", "deterioration"]
        ).order_by("pk")
    )


# --- Fitting ------------------------------------------------------------------------------------


def test_with_few_clients_the_practice_uses_the_rule_and_says_why(cast):
    history(cast, 15)
    fitted = {e.family: e for e in trajectories_refresh(practice=cast.practice)}
    assert fitted["phq9"].method == "rule"
    assert "15 clients" in fitted["phq9"].reason and "50 clients" in fitted["phq9"].reason
    assert fitted["phq9"].reliability == pytest.approx(0.89)
    assert fitted["phq9"].sd_source == "SD of 15 intake scores in this practice"
    assert {"phq9", "gad7", "checkin"} <= set(fitted)  # every client-rated outcome measure


def test_with_enough_clients_a_model_is_fitted_and_every_score_classified(cast):
    history(cast, 60)
    trajectories_refresh(practice=cast.practice)
    expected = ExpectedTrajectory.objects.get(practice=cast.practice, family="phq9")
    assert expected.method == "model" and expected.converged
    assert (expected.n_clients, expected.n_obs) == (60, 600)
    model = expected.model
    assert model is not None and model.coef[1] == pytest.approx(-4.0, abs=0.6)
    # Every score after intake has a status; the intakes do not.
    assert ScoreStatus.objects.filter(family="phq9").count() == 60 * 9
    assert set(ScoreStatus.objects.values_list("method", flat=True)) == {"model"}


def test_refreshing_reclassifies_the_past_without_raising_alerts(cast):
    history(cast, 60)
    trajectories_refresh(practice=cast.practice)
    before = Alert.objects.count()
    TrajectorySettings.objects.update_or_create(
        practice=cast.practice, defaults={"at_risk_percentile": 45, "off_track_percentile": 40}
    )
    trajectories_refresh(practice=cast.practice)
    assert Alert.objects.count() == before
    off = ScoreStatus.objects.filter(status="off_track").count()
    assert off > 60 * 9 * 0.25  # about 40% of scores lie below the 40th percentile
    assert AuditEvent.objects.filter(action="refresh").count() == 2


def test_the_daily_refresh_only_refits_practices_not_refreshed_for_a_day(cast):
    history(cast, 12)
    assert trajectories_refresh_due() == 1
    assert trajectories_refresh_due() == 0
    ExpectedTrajectory.objects.update(fitted_at=timezone.now() - timedelta(days=2))
    assert trajectories_refresh_due() == 1


def test_session_numbers_skip_cancelled_sessions_and_a_score_from_home_counts_for_the_next(cast):
    [episode] = history(cast, 1, sessions=3)
    first = episode.sessions.order_by("scheduled_start").first()
    assert first is not None
    Session.objects.create(  # cancelled: not counted
        episode=episode,
        clinician=cast.outsider_clinician,
        modality="video",
        scheduled_start=first.scheduled_start + timedelta(days=2),
        attendance=Attendance.CANCELLED_CLIENT,
    )
    plan = MeasurePlan.objects.get(episode=episode)
    home = Assignment.objects.create(
        episode=episode,
        plan=plan,
        instrument_id="phq9",
        respondent="client",
        respondent_key="client",
        status=Assignment.Status.COMPLETED,
        due_at=first.scheduled_start + timedelta(days=3),
    )
    Response.objects.create(  # from home, between sessions 1 and 2
        assignment=home,
        episode=episode,
        instrument_id="phq9",
        instrument_version="1",
        respondent="client",
        answers={},
        total=14.0,
        mode="link",
        completed_at=first.scheduled_start + timedelta(days=3),
    )
    rows = queries.score_rows(cast.practice.pk, queries.client_outcome_families(None)["phq9"])
    assert [(r.session, r.session_id is None) for r in rows] == [
        (1, False),
        (2, True),  # counts for the next session, which it was sent ahead of
        (2, False),
        (3, False),
    ]


def test_a_no_show_counts_as_no_session_here_as_on_the_progress_chart(cast):
    from rapport.progress.queries import session_clock

    [episode] = history(cast, 1, sessions=3)
    second = episode.sessions.order_by("scheduled_start")[1]
    for days, attendance in ((2, Attendance.NO_SHOW), (3, Attendance.SCHEDULED)):
        Session.objects.create(  # a no-show, and a past session never recorded: no treatment
            episode=episode,
            clinician=cast.outsider_clinician,
            modality="video",
            scheduled_start=second.scheduled_start + timedelta(days=days),
            attendance=attendance,
        )
    rows = queries.score_rows(cast.practice.pk, queries.client_outcome_families(None)["phq9"])
    assert [r.session for r in rows] == [1, 2, 3]
    clock = session_clock(episode)
    assert [clock.number_of(r.session_id, r.at) for r in rows] == [1.0, 2.0, 3.0]


def test_without_a_published_reliability_alpha_is_estimated_from_the_practices_intakes(cast):
    rng = random.Random(3)
    for i in range(25):
        client = Client.objects.create(
            practice=cast.practice, full_name=f"Checkin {i}", date_of_birth=years_ago(30)
        )
        episode = Episode.objects.create(
            practice=cast.practice,
            client=client,
            primary_clinician=cast.outsider_clinician,
            start_date=timezone.localdate(),
        )
        plan = MeasurePlan.objects.create(
            episode=episode, family="checkin", respondent="client", schedule="every_session"
        )
        mood = rng.randint(1, 9)
        answers = {
            link: max(0, min(10, mood + rng.randint(-1, 1)))
            for link in ("checkin-feeling", "checkin-home", "checkin-school", "checkin-overall")
        }
        assignment = Assignment.objects.create(
            episode=episode,
            plan=plan,
            instrument_id="checkin-adult",
            respondent="client",
            respondent_key="client",
            status=Assignment.Status.COMPLETED,
            due_at=timezone.now(),
        )
        Response.objects.create(
            assignment=assignment,
            episode=episode,
            instrument_id="checkin-adult",
            instrument_version="1",
            respondent="client",
            answers=answers,
            total=float(sum(answers.values())),
            mode="in_session",
            completed_at=timezone.now(),
        )
    fitted = {e.family: e for e in trajectories_refresh(practice=cast.practice)}
    checkin = fitted["checkin"]
    assert checkin.reliability_source == "Cronbach's alpha of 25 intake answers in this practice"
    assert checkin.reliability is not None and 0.9 < checkin.reliability < 1
    assert checkin.s_difference is not None


# --- Classifying new scores and alerts ------------------------------------------------------------


def test_a_new_score_far_behind_the_expected_course_is_off_track_with_one_alert(cast, adult_phq9):
    history(cast, 60)
    trajectories_refresh(practice=cast.practice)
    submit(adult_phq9[0], 15)
    later = submit(adult_phq9[5], 15)  # session 6: unchanged where about 7 points drop is usual
    found = status_of(later)
    assert (found.session_number, found.method, found.status) == (6, "model", "off_track")
    assert found.percentile is not None and found.percentile < 10
    assert not found.reliable_deterioration
    [alert] = trajectory_alerts(cast)
    assert alert.kind == "off_track"
    assert alert.source_response == later and alert.session == adult_phq9[5]
    assert "PHQ-9 15 at session 6 (intake 15)" in alert.reason
    # Plain words for clinicians: "in 100 clients", not a percentile
    assert f"only about {max(1, round(found.percentile))} in 100 clients" in alert.reason
    assert "percentile" not in alert.reason
    assert AuditEvent.objects.filter(
        action="classify", object_id=str(found.pk), client_id=cast.adult_client.pk
    ).exists()
    # The next off-track score adds nothing while the first alert is unresolved ...
    submit(adult_phq9[6], 16)
    assert len(trajectory_alerts(cast)) == 1
    # ... and raises a new alert once it is resolved.
    alert_resolve(actor=cast.clinician, alert=alert, note="Reviewed the plan with the client")
    submit(adult_phq9[7], 16)
    assert [a.kind for a in trajectory_alerts(cast)] == ["off_track", "off_track"]


def test_off_track_and_deterioration_alerts_reach_the_plan_review_hook(cast, adult_phq9):
    from rapport.alerts.signals import alert_opened

    heard: list[str] = []

    def listener(sender, alert, **kwargs):  # type: ignore[no-untyped-def]
        heard.append(alert.kind)

    alert_opened.connect(listener, weak=False, dispatch_uid="test-trajectory-hook")
    try:
        history(cast, 60)
        trajectories_refresh(practice=cast.practice)
        submit(adult_phq9[0], 12)
        submit(adult_phq9[1], 20)  # reliably worse
        submit(adult_phq9[5], 12)  # back at intake by session 6: off track, not reliably worse
    finally:
        alert_opened.disconnect(dispatch_uid="test-trajectory-hook")
    assert heard == ["deterioration", "off_track"]


def test_reliable_deterioration_opens_a_deterioration_alert_in_words(cast, adult_phq9):
    history(cast, 60)
    trajectories_refresh(practice=cast.practice)
    submit(adult_phq9[0], 12)
    worse = submit(adult_phq9[1], 20)
    found = status_of(worse)
    assert found.reliable_deterioration and found.status == "off_track"
    [alert] = trajectory_alerts(cast)
    assert alert.kind == "deterioration"
    assert alert.reason.startswith("PHQ-9 20 at session 2 (intake 12) is reliably worse")
    assert "+8" in alert.reason


def at_risk_score(model, session: int, intake: float) -> int:  # type: ignore[no-untyped-def]
    """An integer PHQ-9 score between the 76th and 89th percentile of expected scores."""
    mean, sd = model.predict([session], intake)
    low, high = mean[0] + Z(0.76) * sd[0], mean[0] + Z(0.89) * sd[0]
    return next(v for v in range(28) if low < v < high)


def test_at_risk_is_shown_but_opens_no_alert_unless_the_practice_asks(cast, adult_phq9):
    history(cast, 60)
    trajectories_refresh(practice=cast.practice)
    model = ExpectedTrajectory.objects.get(family="phq9").model
    assert model is not None
    submit(adult_phq9[0], 18)
    first = submit(adult_phq9[3], at_risk_score(model, 4, 18.0))
    assert status_of(first).status == "at_risk"
    assert trajectory_alerts(cast) == []
    TrajectorySettings.objects.update_or_create(
        practice=cast.practice, defaults={"alert_at_risk": True}
    )
    second = submit(adult_phq9[4], at_risk_score(model, 5, 18.0))
    assert status_of(second).status == "at_risk"
    [alert] = trajectory_alerts(cast)
    assert alert.kind == "at_risk" and alert.source_response == second


def test_without_a_model_the_rule_classifies_and_labels_itself(cast, adult_phq9):
    history(cast, 15)
    trajectories_refresh(practice=cast.practice)
    submit(adult_phq9[0], 16)
    early = submit(adult_phq9[2], 15)
    assert (status_of(early).method, status_of(early).status) == ("rule", "on_track")
    assert status_of(early).percentile is None
    eighth = submit(adult_phq9[7], 15)  # session 8 without reliable improvement
    assert (status_of(eighth).method, status_of(eighth).status) == ("rule", "off_track")
    [alert] = trajectory_alerts(cast)
    assert "no reliable improvement by session 8" in alert.reason
    assert "until the practice has enough clients" in alert.reason


def test_the_first_score_in_a_practice_fits_on_demand(cast, adult_phq9):
    submit(adult_phq9[0], 16)
    assert ExpectedTrajectory.objects.filter(practice=cast.practice, family="phq9").exists()
    assert not ScoreStatus.objects.exists()  # an intake is not classified


def test_session_feedback_and_guardian_scores_are_not_classified(cast, adult_phq9):
    history(cast, 15)
    trajectories_refresh(practice=cast.practice)
    feedback = [
        a
        for a in session_assignments_ensure(session=adult_phq9[0])
        if a.plan and a.plan.family == "feedback" and a.respondent == "client"
    ][0]
    answers = {f"feedback-{k}": "9" for k in ("bond", "goals", "approach", "overall")}
    response = response_submit(assignment=feedback, answers=answers, mode="in_session", actor=None)
    assert not ScoreStatus.objects.filter(response=response).exists()


def test_a_failure_in_classification_never_loses_the_clients_answers(
    cast, adult_phq9, monkeypatch, caplog, classification_may_fail
):
    def broken(response):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "_classify_response", broken)
    with caplog.at_level(logging.ERROR, logger=services.logger.name):
        response = submit(adult_phq9[0], 16)
    assert Response.objects.filter(pk=response.pk).exists()
    [record] = [r for r in caplog.records if r.name == services.logger.name]
    assert f"could not classify response {response.pk}" in record.getMessage()
    assert record.exc_info is not None and "boom" in str(record.exc_info[1])


# --- The interfaces for charts and dashboards -----------------------------------------------------


def test_the_expected_band_starts_at_intake_and_orders_its_percentiles(cast, adult_phq9):
    history(cast, 60)
    trajectories_refresh(practice=cast.practice)
    submit(adult_phq9[0], 20)
    band = expected_band(cast.adult_episode, "phq9")
    assert band is not None
    assert band.method == "model" and band.higher_is_worse
    assert band.sessions[:3] == [1, 2, 3] and len(band.sessions) >= 12
    assert band.p50[0] == pytest.approx(20, abs=1.5)
    assert band.p50[-1] < band.p50[0]  # clients are expected to improve
    for i in range(len(band.sessions)):
        assert band.p10[i] <= band.p25[i] <= band.p50[i] <= band.p75[i] <= band.p90[i]
        assert band.p10[i] >= 0 and band.p90[i] <= 27
    assert "starting at 20" in band.label


def test_there_is_no_band_under_the_rule_or_before_an_intake(cast, adult_phq9):
    history(cast, 15)
    trajectories_refresh(practice=cast.practice)
    submit(adult_phq9[0], 20)
    assert expected_band(cast.adult_episode, "phq9") is None
    assert expected_band(cast.other_episode, "phq9") is None


def test_the_latest_status_per_episode_is_the_most_recent_score(cast, adult_phq9):
    history(cast, 60)
    trajectories_refresh(practice=cast.practice)
    submit(adult_phq9[0], 15)
    submit(adult_phq9[5], 15)
    last = submit(adult_phq9[6], 5)
    found = latest_status_by_episode([cast.adult_episode.pk, cast.other_episode.pk])
    assert set(found) == {cast.adult_episode.pk}
    latest = found[cast.adult_episode.pk]
    assert (latest.status, latest.family, latest.method) == ("on_track", "phq9", "model")
    assert latest.at == last.completed_at and not latest.reliable_deterioration


# --- Pages and command ----------------------------------------------------------------------------


def test_the_overview_lists_each_measure_with_its_basis(cast, web_as):
    history(cast, 15)
    trajectories_refresh(practice=cast.practice)
    page = web_as(cast.clinician).get(reverse("trajectories:overview"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "PHQ-9" in text and "Reliable-change rule" in text and "too few data" in text
    assert "Refit now" not in text  # clinicians do not refit the practice's models


def test_a_supervisor_refits_on_demand(cast, web_as):
    history(cast, 12)
    page = web_as(cast.supervisor).post(reverse("trajectories:refresh"), follow=True)
    assert "Refitted" in page.content.decode()
    assert ExpectedTrajectory.objects.filter(practice=cast.practice, family="phq9").exists()


def test_the_validation_page_shows_counts_and_rates_but_no_client(cast, web_as):
    history(cast, 60)
    page = web_as(cast.supervisor).get(reverse("trajectories:validation", args=["phq9"]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Sensitivity" in text and "AUC" in text and "30 with an intake score" in text
    assert "History" not in text  # no client names
    assert AuditEvent.objects.filter(object_type="trajectories.validation").exists()


def test_reading_the_trajectory_pages_writes_no_settings(cast, web_as):
    client = web_as(cast.clinician)
    assert client.get(reverse("trajectories:overview")).status_code == 200
    assert client.get(reverse("trajectories:validation", args=["phq9"])).status_code == 200
    assert not TrajectorySettings.objects.filter(practice=cast.practice).exists()


def test_an_unknown_measure_has_no_validation_page(cast, web_as):
    page = web_as(cast.clinician).get(reverse("trajectories:validation", args=["nothing"]))
    assert page.status_code == 404


def test_the_episode_page_shows_each_score_with_its_status(cast, adult_phq9, web_as):
    history(cast, 60)
    trajectories_refresh(practice=cast.practice)
    submit(adult_phq9[0], 15)
    submit(adult_phq9[5], 15)
    page = web_as(cast.clinician).get(reverse("trajectories:episode", args=[cast.adult_episode.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Off track" in text and "expected range" in text


def test_the_admin_changes_percentiles_and_scores_are_classified_again(cast, web_as):
    history(cast, 60)
    trajectories_refresh(practice=cast.practice)
    off_before = ScoreStatus.objects.filter(status="off_track").count()
    data = {
        "at_risk_percentile": "40",
        "off_track_percentile": "30",
        "min_clients": "50",
        "min_observations": "200",
        "fallback_session": "8",
        "validation_window": "4",
    }
    page = web_as(cast.admin).post(reverse("trajectories:settings"), data)
    assert page.status_code == 302
    assert TrajectorySettings.for_practice(cast.practice.pk).off_track_percentile == 30
    assert ScoreStatus.objects.filter(status="off_track").count() > off_before


def test_new_thresholds_are_not_saved_when_the_scores_cannot_be_classified_by_them(
    cast, monkeypatch
):
    TrajectorySettings.objects.create(practice=cast.practice)  # stored, at the defaults
    settings = TrajectorySettings.for_practice(cast.practice.pk)
    settings.off_track_percentile = 20

    def broken(*, practice, settings, scores=None):  # type: ignore[no-untyped-def]
        raise RuntimeError("refit failed")

    monkeypatch.setattr(services, "refit_practice", broken)
    with pytest.raises(RuntimeError):
        services.trajectory_settings_update(settings=settings, actor=cast.admin)
    stored = TrajectorySettings.objects.get(practice=cast.practice)
    assert stored.off_track_percentile == 10
    assert not AuditEvent.objects.filter(
        action="update", object_type__contains="trajectorysettings"
    ).exists()


def test_off_track_above_at_risk_is_refused_with_a_message(cast, web_as):
    data = {
        "at_risk_percentile": "10",
        "off_track_percentile": "25",
        "min_clients": "50",
        "min_observations": "200",
        "fallback_session": "8",
        "validation_window": "4",
    }
    page = web_as(cast.admin).post(reverse("trajectories:settings"), data)
    assert page.status_code == 200
    assert "at or below the at-risk percentile" in page.content.decode()
    assert TrajectorySettings.for_practice(cast.practice.pk).at_risk_percentile == 25


def test_the_command_refreshes_and_reports_validation_as_json(cast):
    history(cast, 60, seed=4)
    out = StringIO()
    call_command("trajectories", "refresh", "--practice", str(cast.practice.pk), stdout=out)
    assert "phq9 by model (60 clients, 600 scores)" in out.getvalue()
    out = StringIO()
    call_command(
        "trajectories",
        "validate",
        "--family",
        "phq9",
        "--practice",
        str(cast.practice.pk),
        "--json",
        stdout=out,
    )
    report = json.loads(out.getvalue())
    assert report["closed_episodes"] == 30
    assert report["report"]["evaluated"] == 30
    first = report["report"]["results"][0]
    assert first["tp"] + first["fp"] + first["fn"] + first["tn"] == 30


def test_the_client_page_shows_the_latest_status_of_each_measure(cast, adult_phq9, web_as):
    history(cast, 60)
    trajectories_refresh(practice=cast.practice)
    submit(adult_phq9[0], 15)
    submit(adult_phq9[5], 15)
    page = web_as(cast.clinician).get(reverse("people:client_detail", args=[cast.adult_client.pk]))
    text = page.content.decode()
    assert "On track?" in text
    assert "off track at session 6 (score 15; about " in text
    assert "in 100 similar clients in this practice had improved less" in text


# --- The demo ---------------------------------------------------------------------------------


def test_the_demo_shows_both_the_model_and_the_rule_and_a_few_alerts(db):

    summary = demo_practice(seed=7)
    methods = dict(
        ExpectedTrajectory.objects.filter(practice=summary.practice).values_list("family", "method")
    )
    # The former clients give the PHQ-9 (and, as the demo grows, other measures) a model; a
    # measure with few clients stays on the rule, labelled as such.
    assert methods["phq9"] == "model" and "rule" in methods.values()
    rules = ExpectedTrajectory.objects.filter(practice=summary.practice, method="rule")
    assert all("too few data" in rule.reason for rule in rules)
    assert summary.counts["classified_scores"] > 100
    alerts = Alert.objects.filter(
        practice=summary.practice, kind__in=["off_track", "deterioration"]
    )
    assert 1 <= alerts.count() == summary.counts["trajectory_alerts"] <= 20
    assert all(" at session " in alert.reason for alert in alerts)
