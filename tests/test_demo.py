from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.db.models import Max, Min, QuerySet
from django.test import RequestFactory

from rapport.access import clients_in_care_of
from rapport.accounts.models import STAFF_ROLES, Role, User
from rapport.alerts.models import Alert
from rapport.alliance.models import RepairAction, Rupture
from rapport.alliance.queries import FEEDBACK_FAMILY, alliance_by_session, status_of
from rapport.audit.models import AuditEvent
from rapport.care.models import Attendance, Episode, EpisodeStatus, EpisodeTransfer, Session
from rapport.core.ages import AgeBand, age_band
from rapport.core.instruments import score, validate_answers
from rapport.core.matching import Label
from rapport.core.suddengains import sudden_gains
from rapport.demo.candidates import FORMER_STAFF, plan_former_staff
from rapport.demo.history import plan_history
from rapport.demo.practice import DEMO_PASSWORD, DemoSummary, plan_demo
from rapport.matching.models import TherapistProfile
from rapport.matching.queries import practice_effectiveness
from rapport.measures.models import Assignment, Response
from rapport.measures.registry import get_instrument
from rapport.people.models import Client, GuardianLink
from rapport.practices.models import Practice
from tests.conftest import built_once
from tests.demo_snapshot import demo_practice

# The module builds its data once (a module fixture): its tests share one worker, rather than
# both workers building it.
pytestmark = pytest.mark.xdist_group("demo")

# A fixed day keeps every count and date here independent of when the tests run.
TODAY = dt.date(2026, 3, 18)


@pytest.fixture(scope="module")
def built_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoSummary]:
    """Built once for the module: its tests only read it (see built_once)."""
    yield from built_once(django_db_blocker, lambda: demo_practice(today=TODAY))


@pytest.fixture
def demo(built_demo: DemoSummary, db: None) -> DemoSummary:
    return built_demo


def _user(local: str) -> User:
    return User.objects.get(email=f"{local}@demo.rapport.test")


def _caseload(practice: Practice) -> QuerySet[Client]:
    """Today's clients: the former clients of demo_history (all closed) left out."""
    names = [spec.full_name for spec in plan_demo(seed=7, today=TODAY)]
    return Client.objects.filter(practice=practice, full_name__in=names)


def test_demo_creates_forty_clients_with_guardians_for_the_young_ones(demo: DemoSummary) -> None:
    clients = list(_caseload(demo.practice))
    assert 36 <= len(clients) <= 44
    bands = {c.pk: age_band(c.date_of_birth, TODAY) for c in clients}
    minors = [c for c in clients if bands[c.pk] != AgeBand.ADULT]
    assert 6 <= len(minors) <= 10
    assert {bands[c.pk] for c in minors} == {AgeBand.CHILD, AgeBand.ADOLESCENT}
    for client in minors:
        links = list(GuardianLink.objects.filter(client=client))
        assert 1 <= len(links) <= 2
        assert all(link.consent_to_treatment for link in links)
    adults = [c for c in clients if bands[c.pk] == AgeBand.ADULT]
    assert not GuardianLink.objects.filter(client__in=adults).exists()
    assert all(TODAY.year - 71 <= c.date_of_birth.year <= TODAY.year - 19 for c in adults)

    staff = Counter(
        User.objects.filter(
            practice=demo.practice, role__in=STAFF_ROLES, is_active=True
        ).values_list("role", flat=True)
    )
    assert staff == {Role.ADMIN: 1, Role.SUPERVISOR: 1, Role.CLINICIAN: 3}
    # Colleagues who have left, whose former clients let the effectiveness model speak.
    former = User.objects.filter(practice=demo.practice, is_active=False, role=Role.CLINICIAN)
    assert former.count() == len(FORMER_STAFF)
    assert not any(user.has_usable_password() for user in former)
    assert demo.practice.teams.get().supervisor == _user("supervisor")
    assert demo.practice.is_demo
    current = Episode.objects.filter(client__in=clients)
    assert current.filter(primary_clinician=_user("supervisor")).count() == 2


def test_every_demo_login_signs_in_with_the_published_password(demo: DemoSummary) -> None:
    emails = {login.email for login in demo.logins}
    assert emails == {
        f"{local}@demo.rapport.test"
        for local in (
            "admin",
            "supervisor",
            "clinician",
            "clinician2",
            "clinician3",
            "client",
            "guardian",
        )
    }
    request = RequestFactory().post("/accounts/login/")
    for login in demo.logins:
        assert authenticate(request, username=login.email, password=login.password) is not None
        assert login.password == DEMO_PASSWORD
    # Every other guardian is invited but cannot sign in until they choose a password.
    others = User.objects.filter(role=Role.GUARDIAN).exclude(email__in=emails)
    assert others.exists()
    assert not any(user.has_usable_password() for user in others)


def test_the_guardian_login_sees_a_child_and_an_adolescent_of_the_first_clinician(
    demo: DemoSummary,
) -> None:
    links = GuardianLink.objects.filter(guardian=_user("guardian")).select_related("client")
    by_band = {age_band(link.client.date_of_birth, TODAY): link for link in links}
    assert set(by_band) == {AgeBand.CHILD, AgeBand.ADOLESCENT}
    assert not by_band[AgeBand.ADOLESCENT].may_see_client_answers
    assert not by_band[AgeBand.ADOLESCENT].may_see_client_free_text
    for link in links:
        assert link.client.episodes.get().primary_clinician == _user("clinician")
    portal = Client.objects.get(user=_user("client"))
    assert portal.episodes.get().primary_clinician == _user("clinician")


def test_demo_sessions_span_six_months_with_every_modality_and_attendance(
    demo: DemoSummary,
) -> None:
    sessions = Session.objects.filter(episode__practice=demo.practice)
    span = sessions.aggregate(first=Min("scheduled_start"), last=Max("scheduled_start"))
    assert span["first"].date() <= TODAY - dt.timedelta(weeks=25)
    assert TODAY < span["last"].date() <= TODAY + dt.timedelta(days=14)
    assert set(sessions.values_list("modality", flat=True)) == {
        "in_person",
        "video",
        "phone",
        "text",
    }
    assert set(sessions.values_list("attendance", flat=True)) == set(Attendance.values)
    # Only the future is still to be recorded.
    cutoff = dt.datetime.combine(TODAY, dt.time(), tzinfo=demo.practice.zone)
    assert not sessions.filter(scheduled_start__lt=cutoff, attendance=Attendance.SCHEDULED).exists()
    assert (
        not sessions.filter(scheduled_start__gte=cutoff)
        .exclude(attendance=Attendance.SCHEDULED)
        .exists()
    )
    # Clinicians are never double-booked.
    starts = list(sessions.values_list("clinician_id", "scheduled_start"))
    assert len(starts) == len(set(starts))
    assert sessions.exclude(private_notes="").exists()


def test_demo_episodes_include_closures_pauses_and_a_transfer(demo: DemoSummary) -> None:
    episodes = Episode.objects.filter(practice=demo.practice)
    current = episodes.filter(client__in=_caseload(demo.practice))
    statuses = Counter(current.values_list("status", flat=True))
    assert statuses[EpisodeStatus.CLOSED] == 3 and statuses[EpisodeStatus.ON_HOLD] == 2
    for episode in episodes.filter(status=EpisodeStatus.CLOSED):
        assert episode.end_date < TODAY and episode.closure_note
        assert not episode.sessions.filter(scheduled_start__date__gt=episode.end_date).exists()
    # The demo's one transfer by hand (the completed handoff makes another, tested apart).
    from rapport.matching.handoff_models import Handoff

    transfer = EpisodeTransfer.objects.exclude(pk__in=Handoff.objects.values("transfer_id")).get(
        episode__practice=demo.practice
    )
    assert (transfer.from_clinician, transfer.to_clinician) == (
        _user("clinician3"),
        _user("clinician2"),
    )
    assert transfer.episode.primary_clinician == _user("clinician2")
    assert {s.clinician for s in transfer.episode.sessions.all()} == {
        _user("clinician3"),
        _user("clinician2"),
    }
    assert episodes.filter(team_members__isnull=False).count() == 4
    assert AuditEvent.objects.filter(action="demo_created").count() == 1


def test_demo_is_deterministic_for_a_seed(demo: DemoSummary) -> None:
    names = set(Client.objects.filter(practice=demo.practice).values_list("full_name", flat=True))
    plan = plan_demo(seed=7, today=TODAY)
    former = plan_history(plan=plan, today=TODAY, seed=7)
    colleagues = plan_former_staff(plan=plan, today=TODAY, seed=7)
    assert names == {spec.full_name for spec in plan} | {f.full_name for f in former + colleagues}
    assert plan_demo(seed=7, today=TODAY) == plan_demo(seed=7, today=TODAY)
    assert plan_demo(seed=8, today=TODAY) != plan_demo(seed=7, today=TODAY)


# --- Measure histories ---------------------------------------------------------------------


def _phq9_series(practice: Practice) -> dict[int, list[float]]:
    series: dict[int, list[float]] = {}
    for episode_id, total in (
        Response.objects.filter(episode__practice=practice, instrument_id="phq9")
        .order_by("completed_at")
        .values_list("episode_id", "total")
    ):
        series.setdefault(episode_id, []).append(total)
    return series


def test_demo_measures_cover_most_attended_sessions_of_planned_episodes(
    demo: DemoSummary,
) -> None:
    episodes = Episode.objects.filter(practice=demo.practice)
    planned = episodes.filter(measures__isnull=False).distinct()
    assert planned.count() == episodes.count()  # every adult and every young person
    for episode in planned.select_related("client"):
        families = set(episode.measures.values_list("family", flat=True))
        adult = episode.client.age_band(TODAY) == AgeBand.ADULT
        assert ("phq9" in families) == adult and ("checkin" in families) == (not adult)
    adults = [e for e in planned if e.measures.filter(family="gad7").exists()]
    assert 0.35 <= len(adults) / planned.filter(measures__family="phq9").count() <= 0.65

    attended = Session.objects.filter(episode__in=planned, attendance=Attendance.ATTENDED)
    answered = attended.filter(
        assignments__respondent_key="client",
        assignments__response__isnull=False,
        assignments__plan__family__in=["phq9", "checkin"],
    ).distinct()
    assert answered.count() >= 0.9 * attended.count()
    # Nothing is waiting: every past form was either completed or expired with its session.
    assignments = Assignment.objects.filter(episode__practice=demo.practice)
    assert set(assignments.values_list("status", flat=True)) == {
        Assignment.Status.COMPLETED,
        Assignment.Status.EXPIRED,
    }
    assert not assignments.filter(session__attendance=Attendance.SCHEDULED).exists()

    responses = (
        Response.objects.filter(episode__practice=demo.practice)
        .exclude(assignment__plan__family=FEEDBACK_FAMILY)  # asked after the session: below
        .select_related("assignment__session", "assignment__respondent_user", "episode__client")
    )
    guardians = {
        (link.client_id, link.guardian_id)
        for link in GuardianLink.objects.filter(client__practice=demo.practice)
    }
    for response in responses:
        assignment = response.assignment
        session = assignment.session
        assert assignment.status == Assignment.Status.COMPLETED
        assert assignment.due_at == session.scheduled_start
        assert session.attendance == Attendance.ATTENDED
        assert (
            session.scheduled_start - dt.timedelta(days=1)
            <= response.completed_at
            <= session.scheduled_start
        )
        if response.respondent == "client":
            assert assignment.respondent_key == "client" and assignment.respondent_user is None
        else:
            guardian = assignment.respondent_user
            assert assignment.respondent_key == f"guardian:{guardian.pk}"
            assert (response.episode.client_id, guardian.pk) in guardians
    # Forms are filled in the room for in-person sessions and from home for remote ones.
    modes = Counter(responses.values_list("assignment__session__modality", "mode"))
    in_person = sum(n for (modality, _), n in modes.items() if modality == "in_person")
    assert modes["in_person", "in_session"] >= 0.8 * in_person
    remote = sum(n for (modality, _), n in modes.items() if modality in {"video", "phone"})
    assert modes["video", "link"] + modes["phone", "link"] >= 0.7 * remote


def test_demo_totals_are_what_scoring_the_stored_answers_gives(demo: DemoSummary) -> None:
    responses = Response.objects.filter(episode__practice=demo.practice)
    assert set(responses.values_list("instrument_id", flat=True)) == {
        "phq9",
        "gad7",
        "checkin-child",
        "checkin-adult",
        "checkin-caregiver",
        "feedback-client",
        "feedback-child",
        "feedback-guardian",
        "feedback-therapist",
        "scared-child",
        "scared-parent",
    }
    for response in responses:
        instrument = get_instrument(response.instrument_id)
        assert not validate_answers(instrument, response.answers), response.answers
        result = score(instrument, response.answers)
        assert response.total == result.total
        assert response.band == (result.band.label if result.band else "")
        assert response.severity == (result.band.severity if result.band else None)
        assert [f["item"] for f in response.flags] == [f.link_id for f in result.flags]
        assert response.instrument_version == instrument.version
    # Every flag raised its alert, as a submitted form does.
    flagged = [r for r in responses if r.flags]
    risk = Alert.objects.filter(kind=Alert.Kind.RISK)
    assert {a.source_response_id for a in risk} == {r.pk for r in flagged}
    # ... at the session its form belongs to, where a submitted form's alert shows on the chart.
    for alert in risk.select_related("source_response__assignment"):
        assert alert.session_id == alert.source_response.assignment.session_id is not None


def test_demo_has_an_open_urgent_risk_alert_on_the_first_clinicians_caseload(
    demo: DemoSummary,
) -> None:
    clinician = _user("clinician")
    alerts = Alert.objects.filter(client__in=clients_in_care_of(clinician), kind=Alert.Kind.RISK)
    [open_alert] = alerts.filter(status=Alert.Status.OPEN)
    assert open_alert.urgent
    assert open_alert.reason.startswith("PHQ-9: ") and "item 9" in open_alert.reason
    source = open_alert.source_response
    assert source.answers["phq9-9"] >= 1 and source.episode == open_alert.episode
    assert open_alert.episode.primary_clinician == clinician
    assert open_alert.episode.status == EpisodeStatus.ACTIVE
    assert TODAY - dt.timedelta(days=14) <= source.completed_at.date() < TODAY
    latest = Response.objects.filter(episode=source.episode, instrument_id="phq9").latest(
        "completed_at"
    )
    assert latest == source

    [seen] = alerts.filter(status=Alert.Status.ACKNOWLEDGED)
    assert seen.urgent and seen.acknowledged_by == clinician and len(seen.acknowledgement_note) > 20
    assert seen.source_response.completed_at < seen.acknowledged_at
    assert seen.opened_at.date() < TODAY - dt.timedelta(weeks=4)


def test_demo_phq9_courses_mix_improvement_no_change_and_deterioration(
    demo: DemoSummary,
) -> None:
    series = _phq9_series(demo.practice)
    assert len(series) >= 25
    change = {episode: s[-1] - s[0] for episode, s in series.items() if len(s) >= 4}
    fell, rose = [c for c in change.values() if c <= -6], [c for c in change.values() if c >= 6]
    flat = [c for c in change.values() if abs(c) <= 3]
    assert 0.45 <= len(fell) / len(change) <= 0.8
    assert 0.05 <= len(rose) / len(change) <= 0.2
    assert 0.15 <= len(flat) / len(change) <= 0.4
    # Most improvers start moderate or moderately severe.
    assert all(series[e][0] >= 10 for e, c in change.items() if c <= -6)
    # A few current clients make a sudden gain that the analysis finds (former clients make
    # some too, as their noisy courses allow).
    current = set(
        Episode.objects.filter(client__in=_caseload(demo.practice)).values_list("pk", flat=True)
    )
    gains = [
        e for e, s in series.items() if e in current and len(s) >= 4 and sudden_gains(s).n_gains
    ]
    assert 2 <= len(gains) <= 6

    portal = Client.objects.get(user=_user("client"))
    mine = series[portal.episodes.get().pk]
    assert len(mine) >= 6 and mine[-1] <= mine[0] - 6


def test_demo_guardian_login_sees_check_in_histories_of_both_children(demo: DemoSummary) -> None:
    guardian = _user("guardian")
    for link in GuardianLink.objects.filter(guardian=guardian).select_related("client"):
        episode = link.client.episodes.get()
        checkins = Response.objects.filter(episode=episode, assignment__plan__family="checkin")
        own = checkins.filter(respondent="client")
        assert own.count() >= 4
        expected = "checkin-child" if link.may_see_client_answers else "checkin-adult"
        assert set(own.values_list("instrument_id", flat=True)) == {expected}
        carer = checkins.filter(assignment__respondent_key=f"guardian:{guardian.pk}")
        assert carer.count() >= 4
        assert set(carer.values_list("instrument_id", flat=True)) == {"checkin-caregiver"}


# --- Session feedback --------------------------------------------------------------------------


def test_demo_feedback_covers_most_attended_sessions_from_every_side(demo: DemoSummary) -> None:
    episodes = Episode.objects.filter(practice=demo.practice).select_related("client")
    for episode in episodes:
        respondents = set(
            episode.measures.filter(family=FEEDBACK_FAMILY).values_list("respondent", flat=True)
        )
        young = episode.client.age_band(TODAY) != AgeBand.ADULT
        has_guardian = episode.client.guardian_links.filter(is_active=True).exists()
        assert respondents == {"client", "therapist"} | (
            {"guardian"} if young and has_guardian else set()
        )
    attended = Session.objects.filter(
        episode__practice=demo.practice, attendance=Attendance.ATTENDED
    )
    feedback = Response.objects.filter(
        episode__practice=demo.practice, assignment__plan__family=FEEDBACK_FAMILY
    )
    rated = attended.filter(
        assignments__plan__family=FEEDBACK_FAMILY,
        assignments__respondent_key="client",
        assignments__response__isnull=False,
    ).distinct()
    assert rated.count() >= 0.85 * attended.count()
    assert feedback.filter(respondent="therapist").count() >= 0.8 * rated.count()
    assert feedback.filter(respondent="guardian").exists()
    for response in feedback.select_related("assignment__session__clinician", "episode__client"):
        session = response.assignment.session
        assert session.attendance == Attendance.ATTENDED
        assert response.completed_at >= session.scheduled_start
        key = response.assignment.respondent_key
        if response.respondent == "therapist":
            assert key == f"therapist:{session.clinician_id}"
        elif response.respondent == "client":
            adult = response.episode.client.age_band(TODAY) != AgeBand.CHILD
            assert response.instrument_id == ("feedback-client" if adult else "feedback-child")
    # Most clients rate the session highly; some write what could have been better.
    totals = list(feedback.filter(respondent="client").values_list("total", flat=True))
    assert sum(36 <= t <= 40 for t in totals) >= 0.9 * len(totals)
    assert sum(t >= 38 for t in totals) >= 0.3 * len(totals)
    answers = feedback.filter(respondent="client").values_list("answers", flat=True)
    written = [a["feedback-better"] for a in answers if a.get("feedback-better")]
    assert 0.03 * len(totals) <= len(written) <= 0.3 * len(totals)


def test_demo_has_repaired_and_unresolved_ruptures_with_repair_steps(demo: DemoSummary) -> None:
    ruptures = list(Rupture.objects.filter(episode__practice=demo.practice))
    states = Counter(status_of(r).state for r in ruptures)
    assert states["repaired"] >= 2 and states["unresolved"] >= 1
    for rupture in ruptures:
        assert rupture.alert is not None and rupture.alert.kind in {"low_alliance", "alliance_drop"}
        assert rupture.client_words
        if status_of(rupture).state == "repaired":
            assert rupture.actions.count() >= 1
            assert rupture.alert.status == Alert.Status.RESOLVED
    assert RepairAction.objects.filter(rupture__episode__practice=demo.practice).exists()


def test_demo_alliance_alerts_from_the_last_two_weeks_are_the_only_open_ones(
    demo: DemoSummary,
) -> None:
    alerts = Alert.objects.filter(practice=demo.practice).exclude(kind=Alert.Kind.RISK)
    assert {"low_alliance", "alliance_drop", "disagreement", "ceiling"} <= set(
        alerts.values_list("kind", flat=True)
    )
    cutoff = dt.datetime.combine(TODAY, dt.time(), tzinfo=demo.practice.zone) - dt.timedelta(
        days=14
    )
    assert not alerts.filter(status=Alert.Status.OPEN, opened_at__lt=cutoff).exists()
    assert alerts.filter(status=Alert.Status.OPEN).exists()
    for alert in alerts.exclude(status=Alert.Status.OPEN):
        assert alert.acknowledgement_note and alert.acknowledged_by_id


def test_demo_clinician3_rates_the_alliance_well_above_their_clients(demo: DemoSummary) -> None:
    clinician3 = _user("clinician3")
    gaps = [
        row.gap
        for episode in Episode.objects.filter(practice=demo.practice)
        for row in alliance_by_session(episode)
        if row.session.clinician_id == clinician3.pk and row.gap is not None
    ]
    assert len(gaps) >= 10
    assert sum(gaps) / len(gaps) >= 4
    others = [
        row.gap
        for episode in Episode.objects.filter(practice=demo.practice)
        for row in alliance_by_session(episode)
        if row.session.clinician_id != clinician3.pk and row.gap is not None
    ]
    assert sum(others) / len(others) <= 0
    assert Alert.objects.filter(
        kind=Alert.Kind.DISAGREEMENT, session__clinician=clinician3
    ).exists()


def test_demo_has_a_client_who_always_gives_the_maximum(demo: DemoSummary) -> None:
    longest = 0
    for episode in Episode.objects.filter(practice=demo.practice):
        run = 0
        for row in alliance_by_session(episode):
            run = run + 1 if row.client is not None and row.client.total == 40 else 0
            longest = max(longest, run)
    assert longest >= 4
    assert Alert.objects.filter(practice=demo.practice, kind=Alert.Kind.CEILING).exists()


def test_demo_has_one_completed_case_review_overdue_for_its_supervisor(demo: DemoSummary) -> None:
    from rapport.matching.models import StuckCaseReview
    from rapport.matching.queries import overdue_reviews

    [review] = StuckCaseReview.objects.filter(episode__practice=demo.practice)
    supervisor = review.episode.primary_clinician.team.supervisor

    assert demo.counts["case_reviews"] == 1
    assert review.status == "done" and review.trigger == "by_hand"
    assert review.facts["trajectory"] and len(review.answers) == 6
    # Its follow-up passed a week before the demo's day: the supervisor sees it as overdue.
    assert review.follow_up_on == TODAY - dt.timedelta(days=9)
    assert [item.review for item in overdue_reviews(supervisor, today=TODAY)] == [review]


def test_demo_has_one_client_mid_fit_check_with_the_coordinator(demo: DemoSummary) -> None:
    from rapport.matching.models import FitCheck
    from rapport.matching.queries import coordinator_fit_checks

    # The other fit check of the demo is the completed handoff's, closed when it moved.
    [fit_check] = FitCheck.objects.filter(episode__practice=demo.practice).exclude(
        handoff__isnull=False
    )
    supervisor = fit_check.episode.primary_clinician.team.supervisor

    assert demo.counts["fit_checks"] == 1
    assert fit_check.status == "with_coordinator" and fit_check.client_asked
    assert fit_check.requested_by == fit_check.episode.primary_clinician
    assert fit_check.episode.client.therapist_preferences.filter(strength="must").exists()
    assert fit_check in coordinator_fit_checks(supervisor)


def test_demo_has_one_completed_handoff_that_moved_the_episode(demo: DemoSummary) -> None:
    from rapport.matching.handoff_models import Handoff

    [handoff] = Handoff.objects.filter(episode__practice=demo.practice)

    assert demo.counts["handoffs"] == 1 and handoff.status == "completed"
    assert handoff.episode.primary_clinician == handoff.to_clinician
    assert handoff.shared_items == {"measures", "plan"} and handoff.summary_read_at


def test_the_demo_has_a_profile_for_every_therapist_and_a_strength_in_depression(
    demo: DemoSummary,
) -> None:
    active = User.objects.filter(practice=demo.practice, is_active=True)
    therapists = active.filter(role__in=[Role.CLINICIAN, Role.SUPERVISOR])
    profiles = TherapistProfile.objects.filter(user__in=therapists)
    assert profiles.count() == therapists.count() and all(p.capacity > 0 for p in profiles)

    result = practice_effectiveness(demo.practice.pk)

    assert result is not None and not result.preferences_only
    strengths = [e for e in result.effects if e.label is Label.STRENGTH and e.domain == "phq9"]
    assert any(therapists.filter(pk=int(e.therapist)).exists() for e in strengths)
