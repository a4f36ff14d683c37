"""Closing an episode: a reason from the list and an end date on or after the start; future
appointments are cancelled, the past is kept, the discharge measures are sent home once, open
alerts stay for someone to resolve, and the closing is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open
from rapport.audit.models import AuditEvent
from rapport.care.models import Attendance, ClosureReason, EpisodeStatus
from rapport.care.services import episode_close, episode_set_status, session_schedule
from rapport.measures.models import Assignment
from rapport.measures.services import measure_plan_set
from tests.conftest import assignment_for, make_episode, make_session


def close(cast, reason="completed", end_date=None, **extra):
    return episode_close(
        actor=cast.clinician,
        episode=cast.adult_episode,
        reason=reason,
        end_date=end_date or timezone.localdate(),
        **extra,
    )


def close_url(cast) -> str:
    return reverse("care:episode_close", args=[cast.adult_episode.pk])


@pytest.mark.parametrize("reason", ClosureReason.values)
def test_every_listed_reason_closes_the_episode_and_is_kept(cast, reason):
    close(cast, reason=reason, note="Agreed at the last session")
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.status == EpisodeStatus.CLOSED
    assert cast.adult_episode.closure_reason == reason
    assert cast.adult_episode.closure_note == "Agreed at the last session"
    assert cast.adult_episode.end_date == timezone.localdate()
    assert not cast.adult_episode.is_open


@pytest.mark.parametrize("reason", ["", "bored", "closed"])
def test_a_reason_not_on_the_list_is_refused(cast, reason):
    with pytest.raises(ValidationError, match="why the episode is closing"):
        close(cast, reason=reason)
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.status == EpisodeStatus.ACTIVE


def test_an_end_date_before_the_start_is_refused(cast):
    before = cast.adult_episode.start_date - timedelta(days=1)
    with pytest.raises(ValidationError, match="before the episode started"):
        close(cast, end_date=before)
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.is_open


def test_an_episode_may_end_on_the_day_it_started(cast):
    close(cast, end_date=cast.adult_episode.start_date)
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.end_date == cast.adult_episode.start_date


def test_a_closed_episode_cannot_be_closed_again_or_its_reason_rewritten(cast):
    close(cast, reason="completed")
    with pytest.raises(ValidationError, match="already closed"):
        close(cast, reason="dropped_out")
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.closure_reason == "completed"


def test_an_episode_on_hold_can_be_closed(cast):
    episode_set_status(actor=cast.clinician, episode=cast.adult_episode, status="on_hold")
    close(cast, reason="dropped_out")
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.status == EpisodeStatus.CLOSED


def test_closing_cancels_future_sessions_and_leaves_the_past_as_it_was(cast):
    future = make_session(cast.adult_episode, days_from_now=5)
    unrecorded_past = make_session(cast.adult_episode, days_from_now=-3)
    close(cast)
    future.refresh_from_db()
    unrecorded_past.refresh_from_db()
    cast.adult_session.refresh_from_db()
    assert future.attendance == Attendance.CANCELLED_CLINICIAN
    assert unrecorded_past.attendance == Attendance.SCHEDULED  # still the clinician's to record
    assert cast.adult_session.attendance == Attendance.ATTENDED


def test_closing_touches_no_session_of_the_clients_other_episodes(cast):
    other_episode = make_episode(cast.practice, cast.adult_client, cast.co_clinician)
    elsewhere = make_session(other_episode, days_from_now=6)
    close(cast)
    elsewhere.refresh_from_db()
    assert elsewhere.attendance == Attendance.SCHEDULED


def test_the_closing_is_audited_with_its_reason_and_the_cancelled_count(cast):
    make_session(cast.adult_episode, days_from_now=5)
    make_session(cast.adult_episode, days_from_now=12)
    close(cast, reason="referred_out", note="To the eating disorder service")
    event = AuditEvent.objects.get(action="close", object_type="care.episode")
    assert event.detail == {"reason": "referred_out", "future_sessions_cancelled": 2}
    assert event.actor_id == cast.clinician.pk
    assert "eating disorder" not in str(event.detail)


def test_a_refused_closing_is_not_audited_as_a_close(cast):
    with pytest.raises(ValidationError):
        close(cast, reason="")
    assert not AuditEvent.objects.filter(action="close").exists()


def plan_phq9(cast, schedule):
    return measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule=schedule,
    )


def test_closing_sends_the_intake_and_discharge_measures_home_once(cast):
    plan_phq9(cast, "intake_discharge")
    close(cast)
    [discharge] = Assignment.objects.filter(episode=cast.adult_episode, session__isnull=True)
    assert discharge.remote and discharge.status == Assignment.Status.PENDING
    assert discharge.plan.schedule == "intake_discharge"
    assert discharge.due_at <= timezone.now()


def test_measures_given_every_session_are_not_sent_at_discharge(cast):
    plan_phq9(cast, "every_session")
    close(cast)
    assert not Assignment.objects.filter(episode=cast.adult_episode, session__isnull=True).exists()


def test_the_forms_of_cancelled_future_sessions_are_no_longer_offered(cast, web_as):
    plan_phq9(cast, "every_session")
    future = session_schedule(
        actor=cast.clinician,
        episode=cast.adult_episode,
        scheduled_start=timezone.now() + timedelta(hours=2),
        duration_minutes=50,
        modality="video",
    )
    form = assignment_for(future.assignments.all(), "phq9")
    link = reverse("portal:assignment", args=[form.pk])
    portal = web_as(cast.adult_client_user)
    assert link in portal.get(reverse("portal:home")).text  # offered from home before closing
    close(cast)
    page = web_as(cast.clinician).get(reverse("care:session_detail", args=[future.pk]))
    assert "did not take place, so its form is closed" in page.text
    assert link not in portal.get(reverse("portal:home")).text


def test_open_alerts_stay_open_after_closing_so_that_someone_resolves_them(cast):
    alert = alert_open(
        episode=cast.adult_episode, kind=Alert.Kind.RISK, reason="Item 9 endorsed", urgent=True
    )
    close(cast)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_a_closed_episode_takes_no_new_measures(cast):
    close(cast)
    with pytest.raises(ValidationError, match="closed episode"):
        plan_phq9(cast, "every_session")


def test_a_closed_episode_can_be_neither_put_on_hold_nor_resumed(cast):
    close(cast)
    for status in ("on_hold", "active"):
        with pytest.raises(ValidationError, match="closed episode"):
            episode_set_status(actor=cast.clinician, episode=cast.adult_episode, status=status)


# --- Through the page ---------------------------------------------------------------------------


def test_the_close_page_offers_the_reasons_and_today_as_the_end_date(cast, web_as):
    response = web_as(cast.clinician).get(close_url(cast))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["end_date"] == timezone.localdate()
    for _, label in ClosureReason.choices:
        assert str(label) in response.text


def test_opening_the_close_page_closes_nothing_and_cancels_nothing(cast, web_as):
    future = make_session(cast.adult_episode, days_from_now=4)
    web_as(cast.clinician).get(close_url(cast))
    cast.adult_episode.refresh_from_db()
    future.refresh_from_db()
    assert cast.adult_episode.is_open and future.attendance == Attendance.SCHEDULED
    assert not AuditEvent.objects.filter(action="close").exists()


def test_closing_on_the_page_goes_back_to_the_client_and_says_so(cast, web_as):
    response = web_as(cast.clinician).post(
        close_url(cast),
        {"reason": "completed", "end_date": timezone.localdate().isoformat(), "note": ""},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse(
        "people:client_detail", args=[cast.adult_client.pk]
    )
    assert "Episode closed." in response.text
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.status == EpisodeStatus.CLOSED


def test_an_end_date_before_the_start_is_a_clear_error_on_the_page(cast, web_as):
    before = cast.adult_episode.start_date - timedelta(days=2)
    response = web_as(cast.clinician).post(
        close_url(cast), {"reason": "completed", "end_date": before.isoformat()}
    )
    assert response.status_code == 200
    assert "cannot be before the episode started" in response.text
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.is_open


def test_a_missing_reason_on_the_page_is_a_form_error(cast, web_as):
    response = web_as(cast.clinician).post(
        close_url(cast), {"reason": "", "end_date": timezone.localdate().isoformat()}
    )
    assert "reason" in response.context["form"].errors
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.is_open


def test_closing_twice_on_the_page_keeps_the_first_closing(cast, web_as):
    web = web_as(cast.clinician)
    today = timezone.localdate().isoformat()
    web.post(close_url(cast), {"reason": "completed", "end_date": today})
    again = web.post(close_url(cast), {"reason": "dropped_out", "end_date": today})
    assert "already closed" in again.text
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.closure_reason == "completed"
    assert AuditEvent.objects.filter(action="close").count() == 1


@pytest.mark.parametrize(
    "who,status", [("outsider_clinician", 404), ("foreign_clinician", 404), ("admin", 403)]
)
def test_only_the_care_team_may_close_an_episode(cast, web_as, who, status):
    response = web_as(getattr(cast, who)).post(
        close_url(cast), {"reason": "completed", "end_date": timezone.localdate().isoformat()}
    )
    assert response.status_code == status
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.is_open


def test_a_supervisor_may_close_an_episode_of_their_team(cast, web_as):
    response = web_as(cast.supervisor).post(
        close_url(cast), {"reason": "transferred", "end_date": timezone.localdate().isoformat()}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="close")
    assert event.actor_id == cast.supervisor.pk
