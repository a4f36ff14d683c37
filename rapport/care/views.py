from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from rapport import access
from rapport.accounts.decorators import clinical_staff_required, role_required
from rapport.accounts.models import Role
from rapport.accounts.services import submission_once
from rapport.accounts.views import say_saved
from rapport.care.forms import (
    EpisodeCloseForm,
    EpisodeStatusForm,
    EpisodeTeamForm,
    EpisodeTransferForm,
    SessionRecordForm,
    SessionScheduleForm,
)
from rapport.care.models import Session
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


@role_required(Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    write = request.method == "POST"
    session = access.get_session_for_user(request.user, session_id, write=write)
    record = access.record_access(request.user, session.episode.client_id)
    form = SessionRecordForm(
        request.POST if request.method == "POST" else None,
        instance=Session.objects.get(pk=session.pk),
    )
    if write and form.is_valid():
        try:
            session_record(actor=request.user, session=session, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Session recorded.")
            return redirect("care:session_detail", session_id=session.pk)
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
def session_new(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = access.get_episode_for_user(request.user, episode_id, write=True)
    form = SessionScheduleForm(request.POST, episode=episode)
    if form.is_valid():

        def book() -> str:
            session_schedule(
                actor=request.user,
                episode=episode,
                scheduled_start=form.scheduled_start(),
                duration_minutes=form.cleaned_data["duration_minutes"],
                modality=form.cleaned_data["modality"],
            )
            return reverse("people:client_detail", args=[episode.client_id])

        try:
            url, first = submission_once(
                user=request.user, key=form.cleaned_data["submission_key"], perform=book
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            when = timezone.localtime(form.scheduled_start())
            say_saved(request, first, f"Session booked for {when:%a %d %b, %H:%M}.")
            return redirect(url)
    return render(
        request, "care/session_schedule.html", {"form": form, "episode": episode}, status=400
    )


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def episode_close_view(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = access.get_episode_for_user(request.user, episode_id, write=request.method == "POST")
    form = EpisodeCloseForm(
        request.POST if request.method == "POST" else None,
        initial={"end_date": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            episode_close(actor=request.user, episode=episode, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Episode closed.")
            return redirect("people:client_detail", client_id=episode.client_id)
    return render(request, "care/episode_close.html", {"form": form, "episode": episode})


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def episode_transfer_view(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = access.get_episode_for_user(request.user, episode_id, write=request.method == "POST")
    form = EpisodeTransferForm(request.POST if request.method == "POST" else None, episode=episode)
    if request.method == "POST" and form.is_valid():
        try:
            episode_transfer(actor=request.user, episode=episode, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, "Episode transferred. The history is kept on the client page."
            )
            if access.clients_in_care_of(request.user).filter(pk=episode.client_id).exists():
                return redirect("people:client_detail", client_id=episode.client_id)
            return redirect("people:caseload")
    return render(request, "care/episode_transfer.html", {"form": form, "episode": episode})


@clinical_staff_required
@require_POST
def episode_status_view(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = access.get_episode_for_user(request.user, episode_id, write=True)
    form = EpisodeStatusForm(request.POST)
    if form.is_valid():
        try:
            episode_set_status(
                actor=request.user, episode=episode, status=form.cleaned_data["status"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Episode status updated.")
    else:
        messages.error(request, "Choose active or on hold.")
    return redirect("people:client_detail", client_id=episode.client_id)


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def episode_team_view(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = access.get_episode_for_user(request.user, episode_id, write=request.method == "POST")
    form = EpisodeTeamForm(
        request.POST if request.method == "POST" else None,
        episode=episode,
        initial={"members": episode.team_members.all()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            episode_set_team(
                actor=request.user, episode=episode, members=list(form.cleaned_data["members"])
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Episode team saved.")
            return redirect("people:client_detail", client_id=episode.client_id)
    return render(request, "care/episode_team.html", {"form": form, "episode": episode})
