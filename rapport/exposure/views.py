"""Fear ladders: the clinician's pages, and the client's (or guardian's) page in the portal."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_POST

from rapport import access
from rapport.accounts.decorators import role_required
from rapport.accounts.models import Role, User
from rapport.audit.models import AuditEvent
from rapport.audit.services import audit_record
from rapport.care.models import Episode
from rapport.exposure.charts import SIZES, render_ladder_svg, step_lines
from rapport.exposure.forms import (
    AttemptForm,
    LadderEditForm,
    LadderForm,
    NewStepForm,
    PortalAttemptForm,
    StepForm,
)
from rapport.exposure.models import Attempt, Ladder, Step
from rapport.exposure.queries import LadderOverview, goal_titles, ladder_overview
from rapport.exposure.services import (
    attempt_record,
    ladder_create,
    ladder_update,
    ladders_read,
    step_add,
    step_move,
    step_update,
)
from rapport.http import AuthenticatedHttpRequest
from rapport.web import SVG_IMAGE_CSP, chart_response, run_form

# Clinicians and supervisors in the client's care; a practice admin only under break-glass,
# to read (rapport.access refuses their writes with 403).
staff_required = role_required(Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN)


def _form_action(request: HttpRequest) -> str:
    """Pages for changing the record are loaded with write=True even to be shown (a break-glass
    reader gets 403, not a form), but showing one is audited as a read."""
    return "write" if request.method == "POST" else "read"


def _can_write(user: User, episode: Episode) -> bool:
    return access.can_write(user, episode)


def _chart_size(request: HttpRequest) -> str:
    size = request.GET.get("size", "wide")
    return size if size in SIZES else "wide"


def _ladder_chart(request: HttpRequest, overview: LadderOverview, *, audience: str) -> HttpResponse:
    size = _chart_size(request)
    # What the drawing shows of the overview: its lines and the mastery line, in the words of
    # the reader's language (a Spanish-speaking client's copy is never served to another).
    data = (step_lines(overview), overview.ladder.mastery_peak_suds, size, get_language())
    return chart_response(
        request,
        audience=audience,
        data=data,
        draw=partial(render_ladder_svg, overview, size=size),
    )


# --- Clinician pages ---------------------------------------------------------------------------


@staff_required
def episode_ladders(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(request.user, Episode, episode_id)
    context = {
        "episode": episode,
        "client": episode.client,
        "overviews": ladders_read(actor=request.user, episode=episode),
        "can_write": _can_write(request.user, episode),
    }
    return render(request, "exposure/episode_ladders.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def ladder_new(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(
        request.user, Episode, episode_id, write=True, action=_form_action(request)
    )
    form = LadderForm(request.POST if request.method == "POST" else None)
    form.set_goals(goal_titles(episode), None)
    saved = run_form(
        request,
        form,
        lambda data: ladder_create(
            actor=request.user,
            episode=episode,
            title=data["title"],
            goal_key=data.get("goal_key"),
            steps=data["steps"],
        ),
        then=lambda ladder: reverse("exposure:ladder_detail", args=[ladder.pk]),
        done=gettext("Ladder created. Add steps, then record each practice."),
        once=True,
    )
    if saved is not None:
        return saved
    return render(request, "exposure/ladder_new.html", {"form": form, "episode": episode})


@staff_required
def ladder_detail(request: AuthenticatedHttpRequest, ladder_id: int) -> HttpResponse:
    ladder = access.load(request.user, Ladder, ladder_id)
    return _render_detail(request, ladder)


def _render_detail(
    request: AuthenticatedHttpRequest,
    ladder: Ladder,
    *,
    attempt_form: AttemptForm | None = None,
    step_form: NewStepForm | None = None,
    status: int = 200,
) -> HttpResponse:
    overview = ladder_overview(ladder)
    current = overview.current
    context = {
        "ladder": ladder,
        "episode": ladder.episode,
        "client": ladder.episode.client,
        "overview": overview,
        "can_write": _can_write(request.user, ladder.episode),
        "attempt_form": attempt_form
        or AttemptForm(ladder=ladder, initial_step=current.step if current else None),
        "step_form": step_form or NewStepForm(),
    }
    return render(request, "exposure/ladder_detail.html", context, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def ladder_edit(request: AuthenticatedHttpRequest, ladder_id: int) -> HttpResponse:
    ladder = access.load(request.user, Ladder, ladder_id, write=True, action=_form_action(request))
    form = LadderEditForm(
        request.POST if request.method == "POST" else None,
        instance=access.fresh(ladder),
    )
    form.set_goals(goal_titles(ladder.episode), ladder.goal_key)
    saved = run_form(
        request,
        form,
        lambda data: ladder_update(
            actor=request.user,
            ladder=ladder,
            title=data["title"],
            goal_key=data.get("goal_key", ladder.goal_key),
            mastery_peak_suds=data["mastery_peak_suds"],
            mastery_fall_percent=data["mastery_fall_percent"],
            mastery_consecutive=data["mastery_consecutive"],
        ),
        then=reverse("exposure:ladder_detail", args=[ladder.pk]),
        done=gettext("Ladder saved."),
    )
    if saved is not None:
        return saved
    return render(request, "exposure/ladder_edit.html", {"form": form, "ladder": ladder})


@staff_required
@require_POST
def step_new(request: AuthenticatedHttpRequest, ladder_id: int) -> HttpResponse:
    ladder = access.load(request.user, Ladder, ladder_id, write=True)
    form = NewStepForm(request.POST)
    saved = run_form(
        request,
        form,
        lambda data: step_add(
            actor=request.user,
            ladder=ladder,
            situation=data["situation"],
            expected_suds=data["expected_suds"],
        ),
        then=reverse("exposure:ladder_detail", args=[ladder.pk]) + "#steps",
        done=gettext("Step added."),
        once=True,
    )
    if saved is not None:
        return saved
    return _render_detail(request, ladder, step_form=form, status=400)


@staff_required
@require_http_methods(["GET", "POST"])
def step_edit(request: AuthenticatedHttpRequest, step_id: int) -> HttpResponse:
    step = access.load(request.user, Step, step_id, write=True, action=_form_action(request))
    form = StepForm(request.POST if request.method == "POST" else None, instance=step)
    saved = run_form(
        request,
        form,
        lambda data: step_update(actor=request.user, step=step, **data),
        then=reverse("exposure:ladder_detail", args=[step.ladder_id]) + "#steps",
        done=gettext("Step saved."),
    )
    if saved is not None:
        return saved
    return render(request, "exposure/step_edit.html", {"form": form, "step": step})


@staff_required
@require_POST
def step_move_view(request: AuthenticatedHttpRequest, step_id: int) -> HttpResponse:
    step = access.load(request.user, Step, step_id, write=True)
    seen_at = request.POST.get("position", "")
    try:
        step_move(
            actor=request.user,
            step=step,
            direction=request.POST.get("direction", ""),
            seen_at=int(seen_at) if seen_at.isdigit() else None,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(reverse("exposure:ladder_detail", args=[step.ladder_id]) + "#steps")


@staff_required
@require_http_methods(["GET", "POST"])
def attempt_new(request: AuthenticatedHttpRequest, ladder_id: int) -> HttpResponse:
    """Record a practice; the detail page carries the same form."""
    ladder = access.load(request.user, Ladder, ladder_id, write=True, action=_form_action(request))
    if request.method == "GET":
        chosen = ladder.steps.filter(pk=request.GET.get("step") or 0).first()
        form = AttemptForm(ladder=ladder, initial_step=chosen)
        return render(request, "exposure/attempt_new.html", {"form": form, "ladder": ladder})
    form = AttemptForm(request.POST, ladder=ladder)
    saved = _record(request, form, ladder, via=Attempt.Via.CLINIC, route="exposure:ladder_detail")
    if saved is not None:
        return saved
    return render(
        request, "exposure/attempt_new.html", {"form": form, "ladder": ladder}, status=400
    )


def _record(
    request: AuthenticatedHttpRequest, form: AttemptForm, ladder: Ladder, *, via: str, route: str
) -> HttpResponse | None:
    """Save a valid practice record once per form; None to show the form with its errors."""
    return run_form(
        request,
        form,
        lambda data: attempt_record(actor=request.user, via=via, **data),
        then=reverse(route, args=[ladder.pk]) + "#progress",
        done=gettext("Practice recorded. Well done for doing it."),
        once=True,
    )


@csp_override(SVG_IMAGE_CSP)
@staff_required
def chart(request: AuthenticatedHttpRequest, ladder_id: int) -> HttpResponse:
    ladder = access.load(request.user, Ladder, ladder_id)
    return _ladder_chart(request, ladder_overview(ladder), audience="clinician")


# --- Portal -------------------------------------------------------------------------------------


@never_cache
@role_required(Role.CLIENT, Role.GUARDIAN)
@require_http_methods(["GET", "POST"])
def portal_ladder(request: AuthenticatedHttpRequest, ladder_id: int) -> HttpResponse:
    """The client's ladder in plain words, and a form to add a practice record."""
    ladder = access.portal_load(request.user, Ladder, ladder_id)
    may_record = access.may_record_exposure_from_portal(request.user, ladder.episode.client)
    if request.method == "POST" and not may_record:
        audit_record(
            actor=request.user,
            action="portal_write",
            obj=ladder,
            client_id=ladder.episode.client_id,
            outcome=AuditEvent.Outcome.DENIED,
        )
        raise PermissionDenied("The young person records their own practice.")
    client = ladder.episode.client
    name = client.preferred_name or client.full_name.split()[0]
    # A parent records what they saw of their child's practice, and is asked about the child.
    child_name = name if request.user.role == Role.GUARDIAN else None
    form = None
    status = 200
    if request.method == "POST":
        form = PortalAttemptForm(request.POST, ladder=ladder, child_name=child_name)
        saved = _record(request, form, ladder, via=Attempt.Via.PORTAL, route="exposure:portal")
        if saved is not None:
            return saved
        status = 400
    overview = ladder_overview(ladder, goals={})  # goal titles are the clinician's wording
    if form is None and may_record:
        current = overview.current
        form = PortalAttemptForm(
            ladder=ladder,
            initial_step=current.step if current else None,
            child_name=child_name,
        )
    context = {
        "ladder": ladder,
        "client": client,
        "overview": overview,
        "form": form,
        "is_guardian": request.user.role == Role.GUARDIAN,
        "shows_distress": access.may_see_exposure_distress(request.user, ladder.episode.client),
        "name": name,
    }
    return render(request, "exposure/portal_ladder.html", context, status=status)


# Not never_cache: chart_response lets the browser keep it and revalidate it every time.
@csp_override(SVG_IMAGE_CSP)
@role_required(Role.CLIENT, Role.GUARDIAN)
def portal_chart(request: AuthenticatedHttpRequest, ladder_id: int) -> HttpResponse:
    ladder = access.portal_load(request.user, Ladder, ladder_id)
    if not access.may_see_exposure_distress(request.user, ladder.episode.client):
        raise PermissionDenied("The young person's distress ratings are not shared.")
    return _ladder_chart(request, ladder_overview(ladder, goals={}), audience="portal")
