from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from rapport import access
from rapport.accounts.decorators import role_required
from rapport.accounts.forms import InviteUserForm, UserForm
from rapport.accounts.models import STAFF_ROLES, Role, User
from rapport.accounts.services import user_invite, user_update
from rapport.http import AuthenticatedHttpRequest
from rapport.people.forms import CaseloadFilterForm
from rapport.people.models import Client
from rapport.people.queries import (
    BY_CLINICIAN,
    CaseloadRow,
    caseload_filter,
    caseload_page,
    clinician_totals,
)
from rapport.practices.forms import PracticeSettingsForm, TeamForm
from rapport.practices.models import Practice, Team
from rapport.practices.services import practice_update, team_save
from rapport.web import repeat_of_submission, run_form


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if user.role in {Role.CLINICIAN}:
        return redirect("people:caseload")
    if user.role == Role.SUPERVISOR:
        return redirect("practices:team")
    if user.role == Role.ADMIN:
        return redirect("practices:manage")
    return redirect("portal:home")


def healthz(request: HttpRequest) -> HttpResponse:
    Practice.objects.exists()  # proves the database answers
    return HttpResponse("ok", content_type="text/plain")


@role_required(Role.SUPERVISOR)
def team(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A supervisor's teams: each clinician's caseload, a page at a time, grouped by clinician."""
    form = CaseloadFilterForm(request.GET)
    filters = form.filters()
    episodes = caseload_filter(access.team_episodes(request.user), **filters)
    shown = caseload_page(
        episodes, page=request.GET.get("page"), order=BY_CLINICIAN, viewer=request.user
    )
    by_clinician: dict[User, list[CaseloadRow]] = {}
    for row in shown.rows:
        by_clinician.setdefault(row.episode.primary_clinician, []).append(row)
    totals = clinician_totals(episodes, [c.pk for c in by_clinician])
    for clinician in by_clinician:
        # A clinician's rows may run on to the next page; the heading counts them all.
        clinician.listed = totals.get(clinician.pk, 0)  # type: ignore[attr-defined]
    teams = Team.objects.filter(supervisor=request.user).prefetch_related("members")
    access.audit_page(request.user, Client, shown.page, view="team", **filters)
    return render(
        request,
        "practices/team.html",
        {
            "teams": teams,
            "form": form,
            "page": shown.page,
            "search": filters["search"],
            "caseloads": list(by_clinician.items()),
        },
    )


@role_required(Role.ADMIN)
def manage(request: AuthenticatedHttpRequest) -> HttpResponse:
    users = User.objects.filter(practice_id=request.user.staff_practice_id)
    counts = {row["role"]: row["n"] for row in users.values("role").annotate(n=Count("id"))}
    return render(request, "practices/manage.html", {"counts": counts, "roles": Role.choices})


@role_required(Role.ADMIN)
def user_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    role = request.GET.get("role", "")
    users = User.objects.filter(practice_id=request.user.staff_practice_id).select_related("team")
    if role in Role.values:
        users = users.filter(role=role)
    return render(
        request, "practices/user_list.html", {"users": users, "roles": Role.choices, "role": role}
    )


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def user_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST" and (repeat := repeat_of_submission(request)):
        return repeat
    form = InviteUserForm(
        request.POST if request.method == "POST" else None,
        practice_id=request.user.staff_practice_id,
    )
    saved = run_form(
        request,
        form,
        lambda _: user_invite(actor=request.user, details=form.cleaned_data),
        then=reverse("practices:user_list"),
        done=lambda data: (
            gettext("Account created; an invitation was emailed to %(email)s.")
            % {"email": data["email"]}
        ),
        once=True,
    )
    if saved is not None:
        return saved
    return render(request, "practices/user_form.html", {"form": form, "creating": True})


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def user_edit(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    account = User.objects.filter(pk=user_id, practice_id=request.user.staff_practice_id).first()
    if account is None:
        raise Http404("Not found")
    form = UserForm(
        request.POST if request.method == "POST" else None,
        instance=account,
        practice_id=request.user.staff_practice_id,
    )
    saved = run_form(
        request,
        form,
        lambda data: user_update(
            actor=request.user, user=User.objects.get(pk=account.pk), details=data
        ),
        then=reverse("practices:user_list"),
        done=gettext("Account saved."),
    )
    if saved is not None:
        return saved
    return render(request, "practices/user_form.html", {"form": form, "account": account})


@role_required(Role.ADMIN)
def team_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    teams = (
        Team.objects.filter(practice_id=request.user.staff_practice_id)
        .select_related("supervisor")
        .annotate(n_members=Count("members", filter=Q(members__role__in=STAFF_ROLES)))
    )
    return render(request, "practices/team_list.html", {"teams": teams})


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def team_edit(request: AuthenticatedHttpRequest, team_id: int | None = None) -> HttpResponse:
    team_obj = None
    if team_id is not None:
        team_obj = Team.objects.filter(
            pk=team_id, practice_id=request.user.staff_practice_id
        ).first()
        if team_obj is None:
            raise Http404("Not found")
    form = TeamForm(
        request.POST if request.method == "POST" else None,
        instance=team_obj,
        practice_id=request.user.staff_practice_id,
    )
    saved = run_form(
        request,
        form,
        lambda data: team_save(actor=request.user, team=team_obj, details=data),
        then=reverse("practices:team_list"),
        done=gettext("Team saved."),
    )
    if saved is not None:
        return saved
    return render(request, "practices/team_form.html", {"form": form, "team": team_obj})


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def practice_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    practice = Practice.objects.get(pk=request.user.staff_practice_id)
    form = PracticeSettingsForm(
        request.POST if request.method == "POST" else None, instance=practice
    )
    saved = run_form(
        request,
        form,
        lambda data: practice_update(actor=request.user, details=data),
        then=reverse("practices:settings"),
        done=gettext("Practice settings saved."),
    )
    if saved is not None:
        return saved
    return render(request, "practices/settings.html", {"form": form})
