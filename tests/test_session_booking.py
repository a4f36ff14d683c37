"""Booking and keeping track of sessions: no double booking of a client, sessions left
unrecorded are flagged where the clinician works, and every session label reads in local time."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.care.models import Attendance, Session
from rapport.care.services import session_schedule
from tests.conftest import make_session


def booking(day, start="14:00", key=None, minutes=50):
    return {
        "submission_key": key or str(uuid4()),
        "date": day.isoformat(),
        "start_time": start,
        "duration_minutes": minutes,
        "modality": "in_person",
    }


def test_a_client_booked_twice_at_once_gets_a_form_error_naming_the_first_session(cast, web_as):
    cast.practice.time_zone = "America/New_York"
    cast.practice.save()
    web = web_as(cast.clinician)
    url = reverse("care:session_new", args=[cast.adult_episode.pk])
    day = timezone.localdate() + timedelta(days=7)
    assert web.post(url, booking(day, "14:00")).status_code == 302

    clash = web.post(url, booking(day, "14:30"))  # a new form, e.g. after the back button

    assert clash.status_code == 400
    first = timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=14))
    first = first.astimezone(ZoneInfo("America/New_York"))
    assert "already has a session at" in clash.text
    assert f"{first:%a} {first.day} {first:%b %Y}, 14:00–14:50" in clash.text.replace(
        "&ndash;", "–"
    )
    assert Session.objects.filter(episode=cast.adult_episode).count() == 2  # cast's one + first


def test_a_resubmitted_booking_form_books_once(cast, web_as):
    web = web_as(cast.clinician)
    url = reverse("care:session_new", args=[cast.adult_episode.pk])
    data = booking(timezone.localdate() + timedelta(days=7), "10:00")
    first = web.post(url, data)
    again = web.post(url, data)
    assert first.status_code == again.status_code == 302
    assert Session.objects.filter(episode=cast.adult_episode).count() == 2


def test_a_cancelled_session_does_not_block_its_slot_and_back_to_back_is_fine(cast):
    start = timezone.now() + timedelta(days=3)
    book = {"actor": cast.clinician, "episode": cast.adult_episode, "modality": "video"}
    first = session_schedule(scheduled_start=start, duration_minutes=50, **book)
    session_schedule(scheduled_start=start + timedelta(minutes=50), duration_minutes=50, **book)
    first.attendance = Attendance.CANCELLED_CLIENT
    first.save()
    session_schedule(scheduled_start=start, duration_minutes=50, **book)


def test_past_sessions_left_unrecorded_are_flagged_on_the_client_page_and_caseload(cast, web_as):
    make_session(cast.adult_episode, days_from_now=-3)
    make_session(cast.adult_episode, days_from_now=-10)
    make_session(cast.adult_episode, days_from_now=4)  # still to come: not flagged
    web = web_as(cast.clinician)

    client_page = web.get(reverse("people:client_detail", args=[cast.adult_client.pk]))
    caseload = web.get(reverse("people:caseload"))

    assert "2 past sessions not recorded" in client_page.text
    assert "2 sessions not recorded" in caseload.text


def test_a_session_in_progress_is_not_flagged_as_unrecorded_until_it_has_ended(cast, web_as):
    book = {"actor": cast.clinician, "episode": cast.adult_episode, "modality": "in_person"}
    now = timezone.now()
    session_schedule(scheduled_start=now - timedelta(minutes=10), duration_minutes=50, **book)
    web = web_as(cast.clinician)

    during = web.get(reverse("people:client_detail", args=[cast.adult_client.pk]))
    ended = Session.objects.get(scheduled_start__gt=now - timedelta(minutes=11))
    ended.scheduled_start = now - timedelta(minutes=51)
    ended.save()
    after = web.get(reverse("people:client_detail", args=[cast.adult_client.pk]))

    assert "not recorded" not in during.text
    assert "1 past session not recorded" in after.text


def test_a_session_that_has_not_started_cannot_be_recorded_as_attended_or_missed(cast):
    from django.core.exceptions import ValidationError

    from rapport.care.services import session_record

    future = make_session(cast.adult_episode, days_from_now=2)
    for attendance, words in (("attended", "marked attended"), ("no_show", "marked missed")):
        with pytest.raises(ValidationError, match=words):
            session_record(
                actor=cast.clinician,
                session=future,
                attendance=attendance,
                modality="in_person",
                duration_minutes=50,
                private_notes="",
            )
    future.refresh_from_db()
    assert future.attendance == Attendance.SCHEDULED


def test_the_rupture_form_offers_only_held_sessions_in_local_plain_time(cast, web_as):
    held = cast.adult_session  # attended
    future = make_session(cast.adult_episode, days_from_now=5)
    cancelled = make_session(cast.adult_episode, days_from_now=-4)
    cancelled.attendance = Attendance.CANCELLED_CLINICIAN
    cancelled.save()
    page = web_as(cast.clinician).get(reverse("alliance:rupture_new", args=[cast.adult_episode.pk]))
    choices = list(page.context["form"].fields["session"].queryset)
    assert choices == [held]
    local = timezone.localtime(held.scheduled_start, cast.practice.zone)
    assert f"{local:%a} {local.day} {local:%b %Y, %H:%M}" in page.text
    assert "UTC" not in page.text and held.scheduled_start.isoformat()[:16] not in page.text
    assert future not in choices and cancelled not in choices
