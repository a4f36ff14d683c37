"""Closed episodes for the matrix's discharge letters: for the adult (own), the adolescent,
the outsider's client (other) and the other practice's client (foreign), each closed a week ago
by its primary clinician with a letter written; and an own closed episode with none yet, for
the letter's form."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from rapport.care.models import ClosureReason, Episode, EpisodeStatus
from rapport.people.models import Client
from rapport.reports.services import letter_write
from tests.authorization.matrix_cast import MatrixCast

LETTER_RECOMMENDATIONS = "Carry on with the relapse-prevention plan."


def closed_like(episode: Episode) -> Episode:
    """A closed episode of the same client, clinician and team as `episode`."""
    client: Client = episode.client
    closed = Episode.objects.create(
        practice=episode.practice,
        client=client,
        primary_clinician=episode.primary_clinician,
        start_date=timezone.localdate() - timedelta(weeks=40),
        end_date=timezone.localdate() - timedelta(weeks=1),
        status=EpisodeStatus.CLOSED,
        closure_reason=ClosureReason.COMPLETED,
        closure_note="Ended as planned.",
    )
    closed.team_members.set(episode.team_members.all())
    return closed


def add_reports(cast: MatrixCast) -> None:
    for name, episode in (
        ("own", cast.adult_episode),
        ("teen", cast.adolescent_episode),
        ("other", cast.other_episode),
        ("foreign", cast.foreign_episode),
    ):
        closed = closed_like(episode)
        letter_write(
            actor=episode.primary_clinician,
            episode=closed,
            addressee="Dr Referrer",
            organisation="Riverside Surgery",
            recommendations=LETTER_RECOMMENDATIONS,
        )
        cast.extra[f"reports_{name}_closed"] = closed
        cast.extra[f"reports_{name}_unwritten"] = closed_like(episode)
