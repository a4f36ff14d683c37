"""API: an episode of care and its sessions (never a session's private notes)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router

from rapport import access
from rapport.api.auth import caller
from rapport.api.schemas import REFUSALS, Strict
from rapport.care.models import Episode, Session
from rapport.people.api import EpisodeOut, episode_out

router = Router(tags=["episodes"])


class SessionOut(Strict):
    id: int
    episode_id: int
    clinician_id: int
    scheduled_start: datetime
    duration_minutes: int
    modality: str
    attendance: str


def session_out(session: Session) -> SessionOut:
    return SessionOut.model_validate(session, from_attributes=True)


@router.get("/episodes/{episode_id}", response={200: EpisodeOut, **REFUSALS})
def episode_detail(request: HttpRequest, episode_id: int) -> EpisodeOut:
    """One episode of care."""
    return episode_out(access.load(caller(request, "read"), Episode, episode_id))


@router.get("/episodes/{episode_id}/sessions", response={200: list[SessionOut], **REFUSALS})
def episode_sessions(request: HttpRequest, episode_id: int) -> list[SessionOut]:
    """The episode's sessions, in the order they were booked for."""
    user = caller(request, "read")
    episode = access.load(user, Episode, episode_id)
    sessions = list(episode.sessions.order_by("scheduled_start", "pk"))
    access.audit_list(user, Session, [s.pk for s in sessions], view="api:episode_sessions")
    return [session_out(s) for s in sessions]


@router.get("/sessions/{session_id}", response={200: SessionOut, **REFUSALS})
def session_detail(request: HttpRequest, session_id: int) -> SessionOut:
    """One session: when, how and whether it took place; its notes stay in Rapport."""
    return session_out(access.load(caller(request, "read"), Session, session_id))
