from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from rapport import access
from rapport.accounts.decorators import clinical_staff_required, role_required
from rapport.accounts.models import Role, User
from rapport.audit.services import audit_record
from rapport.care.models import Episode, EpisodeStatus
from rapport.dashboards.completion import WEEKS, completion_figures, monthly_completion
from rapport.dashboards.forms import InstrumentForm, SortForm
from rapport.dashboards.models import DashboardSnapshot
from rapport.dashboards.queries import SORTS, dashboard_rows, open_episode_candidates
from rapport.dashboards.refresh import dashboards_refresh
from rapport.http import AuthenticatedHttpRequest
from rapport.matching.models import StuckCaseReview
from rapport.matching.queries import overdue_reviews
from rapport.measures.queries import stopped_answering_episodes
from rapport.practices.models import Practice

practice_staff_required = role_required(Role.SUPERVISOR, Role.ADMIN)
# The caseload table's columns, in the order the template renders its cells.
THERAPISTS_PER_PAGE = 50  # a practice of a thousand therapists stays a readable page
COLUMN_ORDER = ("client", "therapist", "track", "alliance", "risk", "review", "last", "next")


@clinical_staff_required
def therapist_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A clinician's open episodes with their flags; a supervisor's include their team's."""
    form = SortForm(request.GET)
    sort = form.sort_key()
    form = SortForm(initial={"sort": sort})  # shows the sort in effect, invalid input or not
    episodes = access.caseload_episodes(request.user) | access.team_episodes(request.user)
    rows = dashboard_rows(
        episodes, within=open_episode_candidates(request.user), sort=sort, viewer=request.user
    )
    access.audit_list(request.user, Episode, [row.episode_id for row in rows], view="dashboard")
    show_therapist = request.user.role == Role.SUPERVISOR
    current = sort.lstrip("-")
    keys = [k for k in COLUMN_ORDER if k != "therapist" or show_therapist]
    columns = [
        {
            "key": key,
            "label": SORTS[key][0],
            "active": key == current,
            "descending": sort.startswith("-"),
            # A second click on the active column reverses it.
            "link": f"-{key}" if key == sort else key,
        }
        for key in keys
    ]
    context: dict[str, Any] = {
        "rows": rows,
        "columns": columns,
        "sort_label": SORTS[current][0] + (" (reversed)" if sort.startswith("-") else ""),
        "show_therapist": show_therapist,
        "sort": sort,
        "form": form,
    }
    context["own"] = own_outcomes(request.user)
    template = "dashboards/therapist.html"
    if request.htmx:
        template += "#caseload-table"
    elif request.user.role == Role.SUPERVISOR:
        overdue = overdue_reviews(request.user)
        access.audit_list(
            request.user,
            StuckCaseReview,
            [item.review.pk for item in overdue],
            view="dashboard_overdue_reviews",
        )
        context["overdue_reviews"] = overdue
    return render(request, template, context)


def main_instrument(snapshot: DashboardSnapshot | None) -> dict[str, Any] | None:
    """The outcome measure with the most classified closed episodes."""
    instruments = snapshot.figures.get("instruments", []) if snapshot else []
    return max(instruments, key=lambda i: i["closed_with_pair"], default=None)


def own_outcomes(user: User) -> dict[str, Any] | None:
    """A therapist's own row of the practice figures, or how many episodes they have so far."""
    snapshot = DashboardSnapshot.objects.filter(practice_id=user.staff_practice_id).first()
    chosen = main_instrument(snapshot)
    if snapshot is None or chosen is None:
        return None
    row = next((t for t in chosen["therapists"] if t["id"] == user.pk), None)
    return {
        "instrument": chosen,
        "row": row,
        "episodes": chosen.get("caseloads", {}).get(str(user.pk), 0),
        "min_caseload": snapshot.figures["min_caseload"],
        "computed_at": snapshot.computed_at,
    }


@practice_staff_required
def practice_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The practice's outcomes, alliance and therapist effect, as last computed."""
    snapshot = DashboardSnapshot.objects.filter(practice_id=request.user.staff_practice_id).first()
    instruments = snapshot.figures.get("instruments", []) if snapshot else []
    form = InstrumentForm(request.GET)
    wanted = form.cleaned_data.get("instrument") if form.is_valid() else ""
    chosen = next((i for i in instruments if i["id"] == wanted), main_instrument(snapshot))
    therapists = Paginator(chosen["therapists"] if chosen else [], THERAPISTS_PER_PAGE)
    page = therapists.get_page(request.GET.get("page"))
    audit_record(
        actor=request.user,
        action="read",
        object_type="dashboards.dashboardsnapshot",
        object_id=snapshot.pk if snapshot else None,
        detail={"view": "practice_dashboard", "instrument": chosen["id"] if chosen else ""},
    )
    return render(
        request,
        "dashboards/practice.html",
        {
            "snapshot": snapshot,
            "figures": snapshot.figures if snapshot else None,
            "instruments": instruments,
            "chosen": chosen,
            "therapists": page,
            "completion": monthly_completion(
                Practice.objects.get(pk=request.user.staff_practice_id),
                Episode.objects.filter(practice_id=request.user.staff_practice_id),
            )[1],
        },
    )


@practice_staff_required
@require_POST
def practice_refresh(request: AuthenticatedHttpRequest) -> HttpResponse:
    practice = request.user.practice
    assert practice is not None  # staff always belong to a practice (User.staff_practice_id)
    snapshot = dashboards_refresh(practice=practice, actor=request.user)
    messages.success(
        request,
        gettext("Figures recomputed in %(seconds)s s.")
        % {"seconds": number_format(snapshot.seconds, 1)},
    )
    return redirect("dashboards:practice")


@role_required(Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN)
@require_GET
def completion(request: AuthenticatedHttpRequest) -> HttpResponse:
    """How many of the forms clients and guardians were asked to fill in were opened and
    completed: a clinician's own clients, or (supervisors and admins) the whole practice."""
    user = request.user
    practice = Practice.objects.get(pk=user.staff_practice_id)
    whole_practice = user.role in (Role.SUPERVISOR, Role.ADMIN)
    episodes = (
        Episode.objects.filter(practice=practice)
        if whole_practice
        else access.caseload_episodes(user)
    )
    months, trend = monthly_completion(practice, episodes)
    stopped: list[Episode] = []
    if not whole_practice:
        open_ids = list(episodes.filter(status=EpisodeStatus.ACTIVE).values_list("pk", flat=True))
        quiet = stopped_answering_episodes(open_ids, now=timezone.now(), viewer=user)
        stopped = list(
            Episode.objects.filter(pk__in=quiet)
            .select_related("client")
            .order_by("client__full_name")
        )
        access.audit_list(user, Episode, [e.pk for e in stopped], view="completion")
    audit_record(
        actor=user,
        action="read",
        object_type="dashboards.completion",
        object_id=practice.pk,
        practice_id=practice.pk,
        detail={"scope": "practice" if whole_practice else "own clients"},
    )
    return render(
        request,
        "dashboards/completion.html",
        {
            "figures": completion_figures(practice, episodes),
            "months": months,
            "trend": trend,
            "whole_practice": whole_practice,
            "stopped": stopped,
            "weeks": WEEKS,
        },
    )
