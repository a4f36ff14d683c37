from datetime import timedelta
from uuid import uuid4

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rapport.care.models import Attendance, EpisodeStatus, Session
from rapport.care.services import episode_close, episode_transfer, session_record
from tests.conftest import make_session


def test_transfer_changes_the_clinician_keeps_history_and_moves_future_sessions(cast):
    future = make_session(cast.adult_episode, days_from_now=7)
    past = cast.adult_session
    episode_transfer(
        actor=cast.clinician,
        episode=cast.adult_episode,
        to_clinician=cast.outsider_clinician,
        reason="Client prefers evening appointments",
    )
    cast.adult_episode.refresh_from_db()
    future.refresh_from_db()
    past.refresh_from_db()
    assert cast.adult_episode.primary_clinician == cast.outsider_clinician
    transfer = cast.adult_episode.transfers.get()
    assert (transfer.from_clinician, transfer.to_clinician) == (
        cast.clinician,
        cast.outsider_clinician,
    )
    assert future.clinician == cast.outsider_clinician
    assert past.clinician == cast.clinician  # the past is not rewritten


def test_transfer_to_someone_outside_the_practice_is_refused(cast):
    with pytest.raises(ValidationError):
        episode_transfer(
            actor=cast.clinician,
            episode=cast.adult_episode,
            to_clinician=cast.foreign_clinician,
            reason="x",
        )
    assert not cast.adult_episode.transfers.exists()


def test_closing_an_episode_needs_a_reason_and_cancels_future_sessions(cast):
    future = make_session(cast.adult_episode, days_from_now=3)
    with pytest.raises(ValidationError):
        episode_close(
            actor=cast.clinician,
            episode=cast.adult_episode,
            reason="",
            end_date=timezone.localdate(),
        )
    episode_close(
        actor=cast.clinician,
        episode=cast.adult_episode,
        reason="completed",
        end_date=timezone.localdate(),
        note="Goals met",
    )
    cast.adult_episode.refresh_from_db()
    future.refresh_from_db()
    assert cast.adult_episode.status == EpisodeStatus.CLOSED
    assert future.attendance == Attendance.CANCELLED_CLINICIAN


def test_a_future_session_cannot_be_marked_attended(cast):
    future = make_session(cast.adult_episode, days_from_now=2)
    with pytest.raises(ValidationError):
        session_record(
            actor=cast.clinician,
            session=future,
            attendance="attended",
            modality="video",
            duration_minutes=50,
            private_notes="",
        )
    future.refresh_from_db()
    assert future.attendance == Attendance.SCHEDULED


def test_recording_a_session_with_bad_input_shows_form_errors_and_writes_nothing(cast, web_as):
    url = reverse("care:session_detail", args=[cast.adult_session.pk])
    response = web_as(cast.clinician).post(
        url,
        {"attendance": "maybe", "modality": "video", "duration_minutes": 2, "private_notes": "x"},
    )
    assert response.status_code == 400
    assert "attendance" in response.context["form"].errors
    cast.adult_session.refresh_from_db()
    assert cast.adult_session.attendance == Attendance.ATTENDED  # as it was before
    assert cast.adult_session.private_notes == ""


def test_booking_a_session_uses_the_practice_time_zone(cast, web_as):
    day = timezone.localdate() + timedelta(days=5)
    response = web_as(cast.clinician).post(
        reverse("care:session_new", args=[cast.adult_episode.pk]),
        {
            "submission_key": uuid4(),
            "date": day.isoformat(),
            "start_time": "09:30",
            "duration_minutes": 50,
            "modality": "phone",
        },
    )
    assert response.status_code == 302
    session = Session.objects.filter(episode=cast.adult_episode, modality="phone").get()
    local = timezone.localtime(session.scheduled_start, cast.practice.zone)
    assert (local.date(), local.hour, local.minute) == (day, 9, 30)


def test_putting_an_episode_on_hold_and_resuming_it(cast, web_as):
    web = web_as(cast.clinician)
    url = reverse("care:episode_status", args=[cast.adult_episode.pk])
    web.post(url, {"status": "on_hold"})
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.status == EpisodeStatus.ON_HOLD
    web.post(url, {"status": "active"})
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.status == EpisodeStatus.ACTIVE


def test_a_co_clinician_added_to_the_episode_team_sees_the_client_on_their_caseload(cast, web_as):
    url = reverse("care:episode_team", args=[cast.other_episode.pk])
    response = web_as(cast.outsider_clinician).post(url, {"members": [cast.clinician.pk]})
    assert response.status_code == 302
    rows = web_as(cast.clinician).get(reverse("people:caseload")).context["rows"]
    assert "Olive Other" in {row.episode.client.full_name for row in rows}
    web_as(cast.outsider_clinician).post(url, {"members": []})
    rows = web_as(cast.clinician).get(reverse("people:caseload")).context["rows"]
    assert "Olive Other" not in {row.episode.client.full_name for row in rows}
