"""API: the clients a member of staff may see, and one client's record summary."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Router
from ninja.params import functions as params

from rapport import access
from rapport.api.auth import caller
from rapport.api.schemas import REFUSALS, Page, Strict
from rapport.care.models import Episode
from rapport.people.models import Client

router = Router(tags=["clients"])


class ClientOut(Strict):
    id: int
    full_name: str
    preferred_name: str
    pronouns: str
    date_of_birth: date
    language: str
    status: str
    created_at: datetime


class ClientList(Strict):
    page: Page
    clients: list[ClientOut]


class EpisodeOut(Strict):
    id: int
    client_id: int
    primary_clinician_id: int
    start_date: date
    end_date: date | None
    status: str
    closure_reason: str


def client_out(client: Client) -> ClientOut:
    return ClientOut.model_validate(client, from_attributes=True)


def episode_out(episode: Episode) -> EpisodeOut:
    return EpisodeOut.model_validate(episode, from_attributes=True)


@router.get("/clients", response={200: ClientList, **REFUSALS})
def client_list(
    request: HttpRequest,
    offset: Annotated[int, params.Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, params.Query(ge=1, le=200)] = 50,
) -> ClientList:
    """The clients whose record you may read (your care, or an admin's break-glass), by name."""
    user = caller(request, "read")
    readable = access.clients_readable_by(user).order_by("full_name", "pk")
    shown = list(readable[offset : offset + limit])
    access.audit_list(user, Client, [c.pk for c in shown], view="api:client_list")
    return ClientList(
        page=Page(offset=offset, limit=limit, count=readable.count()),
        clients=[client_out(c) for c in shown],
    )


@router.get("/clients/{client_id}", response={200: ClientOut, **REFUSALS})
def client_detail(request: HttpRequest, client_id: int) -> ClientOut:
    """One client (404 for one you may not read, exactly as for one that does not exist)."""
    return client_out(access.load(caller(request, "read"), Client, client_id))


@router.get("/clients/{client_id}/episodes", response={200: list[EpisodeOut], **REFUSALS})
def client_episodes(request: HttpRequest, client_id: int) -> list[EpisodeOut]:
    """A client's episodes of care, newest first."""
    user = caller(request, "read")
    client = access.load(user, Client, client_id)
    episodes = list(client.episodes.order_by("-start_date", "-pk"))
    access.audit_list(user, Episode, [e.pk for e in episodes], view="api:client_episodes")
    return [episode_out(e) for e in episodes]
