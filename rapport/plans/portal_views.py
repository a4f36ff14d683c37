"""The plan in the portal: read it in plain language, accept it or ask for changes, rate goals.

Clients see their own plan; a guardian sees a young person's plan where the link shares plan
summaries. Private formulation notes are never part of these pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport import access
from rapport.accounts.decorators import role_required
from rapport.accounts.models import Role
from rapport.http import AuthenticatedHttpRequest
from rapport.plans import queries, services
from rapport.plans.forms import DecisionForm, GoalRatingForm
from rapport.plans.goal_status import goals_progress
from rapport.plans.models import PlanVersion, Problem
from rapport.plans.printing import printable_plan
from rapport.plans.queries import compare_versions, party_of, portal_version, sharing_for
from rapport.web import run_form


@role_required(Role.CLIENT, Role.GUARDIAN)
def portal_plan(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    client = access.get_portal_client_for_user(request.user, client_id)
    version = portal_version(request.user, client)
    context: dict[str, object] = {"client": client, "version": version}
    if version is not None:
        version = access.portal_load(request.user, PlanVersion, version.pk)
        episode = version.episode
        party = party_of(request.user)
        answered = version.decisions.filter(party=party).select_related("replied_by").first()
        previous = version.based_on
        sharing = sharing_for(request.user, client)
        context |= {
            "sharing": sharing,
            "version": version,
            "problems": Problem.objects.filter(episode=episode).exclude(status="dropped"),
            "progress": goals_progress(
                episode, queries.episode_goals(version), withhold=not sharing.answers
            ),
            "asks_me": party in queries.pending_for(version) and answered is None,
            "answered": answered,
            "decisions": version.decisions.select_related("by"),
            "changes": compare_versions(previous, version, private=False) if previous else None,
            "may_rate": request.user.role == Role.CLIENT,
            "form": DecisionForm(),
        }
    return render(request, "plans/portal_plan.html", context)


@role_required(Role.CLIENT, Role.GUARDIAN)
@require_POST
def portal_decide(request: AuthenticatedHttpRequest, version_id: int) -> HttpResponse:
    version = access.portal_load(request.user, PlanVersion, version_id)
    form = DecisionForm(request.POST)
    back = reverse("plans:portal_plan", args=[version.episode.client_id])
    saved = run_form(
        request,
        form,
        lambda data: services.plan_decide(
            user=request.user,
            version=version,
            party=party_of(request.user),
            accept=data["accept"],
            comment=data["comment"],
        ),
        then=back,
        done=lambda data: (
            _("Thank you: you accepted the plan.")
            if data["accept"]
            else _("Thank you: your therapist will look at your changes with you.")
        ),
        refusal_as_message=True,
    )
    if not form.is_valid():
        messages.error(request, _("Choose to accept the plan or to ask for changes."))
    return saved or redirect(back)


@role_required(Role.CLIENT)
@require_POST
def portal_rating(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    """The client rates their progress on a goal (0–10) from home."""
    client = access.get_portal_client_for_user(request.user, client_id)
    episode = client.episodes.filter(status__in=["active", "on_hold"]).first()
    form = GoalRatingForm(request.POST, prefix="rating")
    if episode is None or not form.is_valid():
        messages.error(request, _("Choose a number from 0 to 10."))
        return redirect("plans:portal_plan", client_id=client.pk)
    back = reverse("plans:portal_plan", args=[client.pk])
    saved = run_form(
        request,
        form,
        lambda data: services.goal_rating_record(actor=request.user, episode=episode, **data),
        then=back,
        done=_("Thank you, your rating is saved."),
        once=True,
        refusal_as_message=True,
    )
    return saved or redirect(back)


@role_required(Role.CLIENT, Role.GUARDIAN)
def portal_print(request: AuthenticatedHttpRequest, version_id: int) -> HttpResponse:
    version = access.portal_load(request.user, PlanVersion, version_id)
    return printable_plan(request, version, sharing_for(request.user, version.episode.client))
