"""Putting an episode on hold and resuming it: only between active and on hold (closing has its
own workflow), audited with the change, and a paused episode sends no links to the client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from rapport.audit.models import AuditEvent
from rapport.care.models import EpisodeStatus
from rapport.care.services import episode_close, episode_set_status, session_schedule
from rapport.measures.services import links_send_due, measure_plan_set


def status_url(episode) -> str:
    return reverse("care:episode_status", args=[episode.pk])


def set_status(cast, status):
    return episode_set_status(actor=cast.clinician, episode=cast.adult_episode, status=status)


def test_holding_and_resuming_are_each_audited_with_before_and_after(cast):
    set_status(cast, "on_hold")
    set_status(cast, "active")
    changes = [
        event.detail["status"]
        for event in AuditEvent.objects.filter(action="update", object_type="care.episode")
    ]
    assert changes == [["active", "on_hold"], ["on_hold", "active"]]


@pytest.mark.parametrize("status", ["closed", "paused", ""])
def test_the_status_workflow_does_not_close_or_invent_a_status(cast, status):
    with pytest.raises(ValidationError):
        set_status(cast, status)
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.status == EpisodeStatus.ACTIVE
    assert cast.adult_episode.closure_reason == ""


def test_a_closed_episode_stays_closed(cast):
    episode_close(
        actor=cast.clinician,
        episode=cast.adult_episode,
        reason="completed",
        end_date=timezone.localdate(),
    )
    with pytest.raises(ValidationError, match="closed episode cannot be put on hold or resumed"):
        set_status(cast, "active")
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.status == EpisodeStatus.CLOSED


def test_the_page_puts_on_hold_and_says_so_on_the_client_page(cast, web_as):
    response = web_as(cast.clinician).post(
        status_url(cast.adult_episode), {"status": "on_hold"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse(
        "people:client_detail", args=[cast.adult_client.pk]
    )
    assert "Episode status updated." in response.text
    assert "On hold" in response.text


def test_an_unknown_status_on_the_page_is_a_clear_message_and_changes_nothing(cast, web_as):
    response = web_as(cast.clinician).post(
        status_url(cast.adult_episode), {"status": "closed"}, follow=True
    )
    assert "Choose active or on hold." in response.text
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.status == EpisodeStatus.ACTIVE
    assert not AuditEvent.objects.filter(action="update", object_type="care.episode").exists()


def test_resuming_a_closed_episode_on_the_page_says_why_not(cast, web_as):
    episode_close(
        actor=cast.clinician,
        episode=cast.adult_episode,
        reason="completed",
        end_date=timezone.localdate(),
    )
    response = web_as(cast.clinician).post(
        status_url(cast.adult_episode), {"status": "active"}, follow=True
    )
    assert "A closed episode cannot be put on hold or resumed." in response.text
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.status == EpisodeStatus.CLOSED


def test_the_status_address_answers_only_posts(cast, web_as):
    response = web_as(cast.clinician).get(status_url(cast.adult_episode))
    assert response.status_code == 405
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.status == EpisodeStatus.ACTIVE


@pytest.mark.parametrize(
    "who,status",
    [
        ("outsider_clinician", 404),
        ("foreign_clinician", 404),
        ("admin", 403),
        ("adult_client_user", 403),
    ],
)
def test_only_the_care_team_may_pause_an_episode(cast, web_as, who, status):
    response = web_as(getattr(cast, who)).post(
        status_url(cast.adult_episode), {"status": "on_hold"}
    )
    assert response.status_code == status
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.status == EpisodeStatus.ACTIVE


def test_the_same_status_posted_twice_leaves_it_as_it_was(cast, web_as):
    web = web_as(cast.co_clinician)
    web.post(status_url(cast.adult_episode), {"status": "on_hold"})
    web.post(status_url(cast.adult_episode), {"status": "on_hold"})
    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.status == EpisodeStatus.ON_HOLD
    last = AuditEvent.objects.filter(action="update", object_type="care.episode").last()
    assert last.detail["status"] == ["on_hold", "on_hold"]


def test_an_episode_on_hold_still_takes_bookings_for_when_it_resumes(cast):
    set_status(cast, "on_hold")
    session = session_schedule(
        actor=cast.clinician,
        episode=cast.adult_episode,
        scheduled_start=timezone.now() + timedelta(days=14),
        duration_minutes=50,
        modality="in_person",
    )
    assert session.pk is not None


def test_a_paused_episode_sends_no_links_and_resuming_sends_them(cast):
    cast.adult_client.email = "alex@example.com"
    cast.adult_client.save()
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    session_schedule(
        actor=cast.clinician,
        episode=cast.adult_episode,
        scheduled_start=timezone.now() + timedelta(hours=3),
        duration_minutes=50,
        modality="video",
    )
    set_status(cast, "on_hold")
    assert links_send_due(base_url="https://rapport.example") == 0
    assert not mail.outbox
    set_status(cast, "active")
    assert links_send_due(base_url="https://rapport.example") == 1
    assert [message.to for message in mail.outbox] == [["alex@example.com"]]
