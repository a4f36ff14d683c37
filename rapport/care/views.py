from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from rapport import access
from rapport.accounts.decorators import clinical_staff_required, role_required
from rapport.accounts.models import Role
from rapport.care.forms import (
    EpisodeCloseForm,
    EpisodeStatusForm,
    EpisodeTeamForm,
    EpisodeTransferForm,
    SessionRecordForm,
    SessionScheduleForm,
)
from rapport.care.models import Episode, Session
from rapport.care.queries import session_assignments
from rapport.care.services import (
    episode_close,
    episode_set_status,
    episode_set_team,
    episode_transfer,
    session_record,
    session_schedule,
)
from rapport.care.session_page import session_overview
from rapport.http import AuthenticatedHttpRequest
from rapport.web import run_form


@role_required(Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def session_detail(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    write = request.method == "POST"
    session = access.load(request.user, Session, session_id, write=write)
    record = access.record_access(request.user, session.episode.client_id)
    form = SessionRecordForm(
        request.POST if request.method == "POST" else None,
        instance=access.fresh(session),
    )
    saved = run_form(
        request,
        form,
        lambda data: session_record(actor=request.user, session=session, **data),
        then=reverse("care:session_detail", args=[session.pk]),
        done=gettext("Session recorded."),
    )
    if saved is not None:
        return saved
    # Reading only: the forms were made when the session was booked or recorded.
    assignments = session_assignments(session)
    overview = session_overview(session)
    return render(
        request,
        "care/session_detail.html",
        {
            "session": session,
            "client": session.episode.client,
            "form": form,
            "can_write": record.write,
            "private_notes": record.private_notes,
            "assignments": assignments,
            "overview": overview,
        },
        status=400 if write else 200,
    )


@clinical_staff_required
@require_POST
def session_new(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(request.user, Episode, episode_id, write=True)
    form = SessionScheduleForm(request.POST, episode=episode)
    saved = run_form(
        request,
        form,
        lambda data: session_schedule(
            actor=request.user,
            episode=episode,
            scheduled_start=form.scheduled_start(),
            duration_minutes=data["duration_minutes"],
            modality=data["modality"],
        ),
        then=reverse("people:client_detail", args=[episode.client_id]),
        done=lambda _: (
            gettext("Session booked for %(when)s.")
            % {
                # The day and month named in the reader's language, zero-padded as before.
                "when": date_format(
                    timezone.localtime(form.scheduled_start()), gettext("D d M, H:i")
                )
            }
        ),
        once=True,
    )
    if saved is not None:
        return saved
    return render(
        request, "care/session_schedule.html", {"form": form, "episode": episode}, status=400
    )


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def episode_close_view(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(request.user, Episode, episode_id, write=request.method == "POST")
    form = EpisodeCloseForm(
        request.POST if request.method == "POST" else None,
        initial={"end_date": timezone.localdate()},
    )
    saved = run_form(
        request,
        form,
        lambda data: episode_close(actor=request.user, episode=episode, **data),
        then=reverse("people:client_detail", args=[episode.client_id]),
        done=gettext("Episode closed."),
    )
    if saved is not None:
        return saved
    return render(request, "care/episode_close.html", {"form": form, "episode": episode})


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def episode_transfer_view(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(request.user, Episode, episode_id, write=request.method == "POST")
    form = EpisodeTransferForm(request.POST if request.method == "POST" else None, episode=episode)
    saved = run_form(
        request,
        form,
        lambda data: episode_transfer(actor=request.user, episode=episode, **data),
        then=lambda _: _after_transfer(request, episode),
        done=gettext("Episode transferred. The history is kept on the client page."),
    )
    if saved is not None:
        return saved
    return render(request, "care/episode_transfer.html", {"form": form, "episode": episode})


def _after_transfer(request: AuthenticatedHttpRequest, episode: Episode) -> str:
    """The client's page while the client is still in the transferring clinician's care (as
    a team member, say); the caseload otherwise."""
    if access.clients_in_care_of(request.user).filter(pk=episode.client_id).exists():
        return reverse("people:client_detail", args=[episode.client_id])
    return reverse("people:caseload")


@clinical_staff_required
@require_POST
def episode_status_view(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(request.user, Episode, episode_id, write=True)
    form = EpisodeStatusForm(request.POST)
    back = reverse("people:client_detail", args=[episode.client_id])
    saved = run_form(
        request,
        form,
        lambda data: episode_set_status(actor=request.user, episode=episode, status=data["status"]),
        then=back,
        done=gettext("Episode status updated."),
        refusal_as_message=True,
    )
    if not form.is_valid():
        messages.error(request, gettext("Choose active or on hold."))
    return saved or redirect(back)


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def episode_team_view(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(request.user, Episode, episode_id, write=request.method == "POST")
    form = EpisodeTeamForm(
        request.POST if request.method == "POST" else None,
        episode=episode,
        initial={"members": episode.team_members.all()},
    )
    saved = run_form(
        request,
        form,
        lambda data: episode_set_team(
            actor=request.user, episode=episode, members=list(data["members"])
        ),
        then=reverse("people:client_detail", args=[episode.client_id]),
        done=gettext("Episode team saved."),
    )
    if saved is not None:
        return saved
    return render(request, "care/episode_team.html", {"form": form, "episode": episode})
