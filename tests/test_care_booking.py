"""Booking a session: local times in the practice's zone, sensible lengths, one session per
client at a time, a real clinician of the practice, an open episode, and an audit of each
booking."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import Role
from rapport.audit.models import AuditEvent
from rapport.care.models import Attendance, Episode, Modality, Session
from rapport.care.services import episode_close, session_schedule
from tests.conftest import make_episode, make_user


def form(day, start="10:00", *, minutes=50, modality="in_person", key=None):
    return {
        "submission_key": key or str(uuid4()),
        "date": day.isoformat(),
        "start_time": start,
        "duration_minutes": minutes,
        "modality": modality,
    }


def book_url(episode: Episode) -> str:
    return reverse("care:session_new", args=[episode.pk])


def next_week():
    return timezone.localdate() + timedelta(days=7)


def booked(episode: Episode):
    return Session.objects.filter(episode=episode).exclude(pk__in=_cast_sessions(episode))


def _cast_sessions(episode: Episode) -> list[int]:
    # The cast's own held session, two days ago.
    return list(
        Session.objects.filter(episode=episode, scheduled_start__lt=timezone.now()).values_list(
            "pk", flat=True
        )
    )


def test_a_booking_in_new_york_is_stored_at_that_wall_clock_time_there(cast, web_as):
    cast.practice.time_zone = "America/New_York"
    cast.practice.save()
    day = next_week()
    response = web_as(cast.clinician).post(book_url(cast.adult_episode), form(day, "18:15"))
    assert response.status_code == 302
    session = booked(cast.adult_episode).get()
    local = session.scheduled_start.astimezone(ZoneInfo("America/New_York"))
    assert (local.date(), local.time()) == (day, time(18, 15))


def test_the_same_wall_clock_time_in_two_zones_is_two_different_instants(cast, web_as):
    day = next_week()
    web_as(cast.clinician).post(book_url(cast.adult_episode), form(day, "09:00"))
    web_as(cast.foreign_clinician).post(book_url(cast.foreign_episode), form(day, "09:00"))
    london = booked(cast.adult_episode).get().scheduled_start
    new_york = booked(cast.foreign_episode).get().scheduled_start
    assert new_york - london == (
        datetime.combine(day, time(9), ZoneInfo("America/New_York"))
        - datetime.combine(day, time(9), ZoneInfo("Europe/London"))
    )
    assert new_york != london


def test_the_confirmation_message_gives_the_time_as_it_was_typed(cast, web_as):
    cast.practice.time_zone = "Australia/Sydney"
    cast.practice.save()
    day = next_week()
    response = web_as(cast.clinician).post(
        book_url(cast.adult_episode), form(day, "07:45"), follow=True
    )
    assert f"Session booked for {day:%a %d %b}, 07:45." in response.text


@pytest.mark.parametrize("minutes", [4, 0, -50, 481, 1000])
def test_a_length_outside_five_minutes_to_eight_hours_is_a_form_error(cast, web_as, minutes):
    response = web_as(cast.clinician).post(
        book_url(cast.adult_episode), form(next_week(), minutes=minutes)
    )
    assert response.status_code == 400
    assert "duration_minutes" in response.context["form"].errors
    assert not booked(cast.adult_episode).exists()


@pytest.mark.parametrize("minutes", [5, 480])
def test_the_shortest_and_longest_lengths_are_accepted(cast, web_as, minutes):
    response = web_as(cast.clinician).post(
        book_url(cast.adult_episode), form(next_week(), minutes=minutes)
    )
    assert response.status_code == 302
    assert booked(cast.adult_episode).get().duration_minutes == minutes


@pytest.mark.parametrize("modality", ["video", "phone", "text", "in_person"])
def test_each_way_of_meeting_can_be_booked(cast, web_as, modality):
    web_as(cast.clinician).post(book_url(cast.adult_episode), form(next_week(), modality=modality))
    assert booked(cast.adult_episode).get().modality == modality


def test_an_unknown_way_of_meeting_is_a_form_error(cast, web_as):
    response = web_as(cast.clinician).post(
        book_url(cast.adult_episode), form(next_week(), modality="carrier_pigeon")
    )
    assert response.status_code == 400
    assert "modality" in response.context["form"].errors
    with pytest.raises(ValidationError, match="how the session takes place"):
        session_schedule(
            actor=cast.clinician,
            episode=cast.adult_episode,
            scheduled_start=timezone.now() + timedelta(days=3),
            duration_minutes=50,
            modality="carrier_pigeon",
        )


@pytest.mark.parametrize(
    "field,value", [("date", "31/02/2027"), ("date", ""), ("start_time", "25:00")]
)
def test_a_missing_or_impossible_date_or_time_is_a_form_error(cast, web_as, field, value):
    data = form(next_week())
    data[field] = value
    response = web_as(cast.clinician).post(book_url(cast.adult_episode), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not booked(cast.adult_episode).exists()


def test_a_client_cannot_be_booked_twice_at_once_even_in_another_episode(cast):
    second_episode = make_episode(cast.practice, cast.adult_client, cast.co_clinician)
    start = timezone.now() + timedelta(days=4)
    session_schedule(
        actor=cast.clinician,
        episode=cast.adult_episode,
        scheduled_start=start,
        duration_minutes=60,
        modality=Modality.IN_PERSON,
    )
    with pytest.raises(ValidationError, match="already has a session"):
        session_schedule(
            actor=cast.co_clinician,
            episode=second_episode,
            scheduled_start=start + timedelta(minutes=59),
            duration_minutes=30,
            modality=Modality.VIDEO,
        )
    assert not second_episode.sessions.exists()


def test_a_booking_that_starts_before_and_runs_into_another_is_refused(cast):
    start = timezone.now() + timedelta(days=4)
    book = {"actor": cast.clinician, "episode": cast.adult_episode, "modality": "video"}
    session_schedule(scheduled_start=start, duration_minutes=50, **book)
    with pytest.raises(ValidationError, match="Choose another time"):
        session_schedule(scheduled_start=start - timedelta(minutes=30), duration_minutes=31, **book)
    session_schedule(scheduled_start=start - timedelta(minutes=30), duration_minutes=30, **book)


def test_a_long_session_blocks_a_booking_near_its_end(cast):
    start = timezone.now() + timedelta(days=4)
    book = {"actor": cast.clinician, "episode": cast.adult_episode, "modality": "in_person"}
    session_schedule(scheduled_start=start, duration_minutes=480, **book)
    with pytest.raises(ValidationError):
        session_schedule(
            scheduled_start=start + timedelta(minutes=470), duration_minutes=20, **book
        )


def test_two_different_clients_may_be_seen_at_the_same_time(cast):
    start = timezone.now() + timedelta(days=4)
    session_schedule(
        actor=cast.clinician,
        episode=cast.adult_episode,
        scheduled_start=start,
        duration_minutes=50,
        modality="video",
    )
    session_schedule(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        scheduled_start=start,
        duration_minutes=50,
        modality="video",
    )
    assert Session.objects.filter(scheduled_start=start).count() == 2


def test_a_session_missed_by_the_client_still_holds_its_slot(cast):
    start = timezone.now() - timedelta(days=1)
    book = {"actor": cast.clinician, "episode": cast.adult_episode, "modality": "video"}
    first = session_schedule(scheduled_start=start, duration_minutes=50, **book)
    first.attendance = Attendance.NO_SHOW
    first.save()
    with pytest.raises(ValidationError):
        session_schedule(scheduled_start=start, duration_minutes=50, **book)


def test_sessions_cannot_be_added_to_a_closed_episode(cast):
    episode_close(
        actor=cast.clinician,
        episode=cast.adult_episode,
        reason="completed",
        end_date=timezone.localdate(),
    )
    with pytest.raises(ValidationError, match="closed episode"):
        session_schedule(
            actor=cast.clinician,
            episode=cast.adult_episode,
            scheduled_start=timezone.now() + timedelta(days=2),
            duration_minutes=50,
            modality="video",
        )


def test_booking_into_a_closed_episode_through_the_page_is_a_form_error(cast, web_as):
    episode_close(
        actor=cast.clinician,
        episode=cast.adult_episode,
        reason="completed",
        end_date=timezone.localdate(),
    )
    response = web_as(cast.clinician).post(book_url(cast.adult_episode), form(next_week()))
    assert response.status_code == 400
    assert "closed episode" in response.text
    assert not booked(cast.adult_episode).exists()


def test_a_session_must_be_with_an_active_clinician_of_the_practice(cast):
    leaver = make_user(cast.practice, "leaver@northside.test", Role.CLINICIAN, is_active=False)
    start = timezone.now() + timedelta(days=2)
    for someone in (cast.foreign_clinician, cast.admin, cast.adult_client_user, leaver):
        with pytest.raises(ValidationError, match="active clinician in this practice"):
            session_schedule(
                actor=cast.clinician,
                episode=cast.adult_episode,
                scheduled_start=start,
                duration_minutes=50,
                modality="video",
                clinician=someone,
            )
    assert not booked(cast.adult_episode).exists()


def test_a_session_is_with_the_primary_clinician_unless_another_is_named(cast):
    start = timezone.now() + timedelta(days=2)
    book = {"actor": cast.clinician, "episode": cast.adult_episode, "modality": "video"}
    default = session_schedule(scheduled_start=start, duration_minutes=50, **book)
    other = session_schedule(
        scheduled_start=start + timedelta(hours=2),
        duration_minutes=50,
        clinician=cast.co_clinician,
        **book,
    )
    assert (default.clinician, other.clinician) == (cast.clinician, cast.co_clinician)


def test_each_booking_is_audited_against_the_client(cast, web_as):
    web_as(cast.co_clinician).post(book_url(cast.adult_episode), form(next_week()))
    session = booked(cast.adult_episode).get()
    event = AuditEvent.objects.get(
        action="create", object_type="care.session", object_id=str(session.pk)
    )
    assert event.actor_id == cast.co_clinician.pk
    assert event.client_id == cast.adult_client.pk


def test_a_refused_booking_leaves_no_audit_of_a_creation(cast, web_as):
    web_as(cast.clinician).post(book_url(cast.adult_episode), form(next_week(), minutes=2))
    assert not AuditEvent.objects.filter(action="create", object_type="care.session").exists()


def test_a_double_click_books_once_and_says_so_the_second_time(cast, web_as):
    web = web_as(cast.clinician)
    data = form(next_week())
    web.post(book_url(cast.adult_episode), data)
    again = web.post(book_url(cast.adult_episode), data, follow=True)
    assert "already saved" in again.text
    assert booked(cast.adult_episode).count() == 1
    assert AuditEvent.objects.filter(action="create", object_type="care.session").count() == 1


def test_a_refused_booking_can_be_corrected_and_sent_with_the_same_key(cast, web_as):
    web = web_as(cast.clinician)
    key = str(uuid4())
    refused = web.post(book_url(cast.adult_episode), form(next_week(), minutes=1, key=key))
    assert refused.status_code == 400
    assert web.post(book_url(cast.adult_episode), form(next_week(), key=key)).status_code == 302
    assert booked(cast.adult_episode).count() == 1


@pytest.mark.parametrize("who", ["outsider_clinician", "foreign_clinician"])
def test_a_clinician_not_on_the_episode_cannot_book_and_learns_nothing(cast, web_as, who):
    response = web_as(getattr(cast, who)).post(book_url(cast.adult_episode), form(next_week()))
    assert response.status_code == 404
    assert not booked(cast.adult_episode).exists()


@pytest.mark.parametrize("who", ["admin", "adult_client_user", "guardian"])
def test_admins_clients_and_guardians_cannot_book(cast, web_as, who):
    response = web_as(getattr(cast, who)).post(book_url(cast.adult_episode), form(next_week()))
    assert response.status_code == 403
    assert not booked(cast.adult_episode).exists()


def test_the_booking_address_answers_only_posts(cast, web_as):
    assert web_as(cast.clinician).get(book_url(cast.adult_episode)).status_code == 405


def test_a_supervisor_books_for_a_client_of_their_team(cast, web_as):
    response = web_as(cast.supervisor).post(book_url(cast.adult_episode), form(next_week()))
    assert response.status_code == 302
    session = booked(cast.adult_episode).get()
    assert session.clinician == cast.clinician  # the primary clinician, not the supervisor
