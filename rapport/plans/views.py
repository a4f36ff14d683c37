"""Staff pages: the problem list, plan versions and goals, progress data, reviews."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from rapport import access, consent
from rapport.accounts.decorators import clinical_staff_required, record_readers_required
from rapport.alerts.models import Alert
from rapport.audit.services import audit_record
from rapport.care.models import Episode
from rapport.http import AuthenticatedHttpRequest
from rapport.plans import queries, services
from rapport.plans.forms import (
    BehaviourCountForm,
    ChangesReplyForm,
    DraftForm,
    GoalEditForm,
    GoalForm,
    GoalRatingForm,
    InSessionAnswerForm,
    NewGoalForm,
    NewProblemForm,
    PlanContentForm,
    ProblemForm,
    ReorderForm,
    ReviewForm,
    conflict_rows,
    target_date_default,
)
from rapport.plans.goal_status import goals_progress
from rapport.plans.models import (
    PlanDecision,
    PlanGoal,
    PlanReview,
    PlanVersion,
    Problem,
    ProblemChange,
)
from rapport.plans.printing import printable_plan
from rapport.plans.queries import compare_versions
from rapport.web import run_form

# Who is still to answer a proposed version, as the page names them.
PENDING_WORDS = {"client": gettext_lazy("the client"), "guardian": gettext_lazy("the guardian")}


def _can_write(request: AuthenticatedHttpRequest, episode: Episode) -> bool:
    return access.can_write(request.user, episode)


def _plan_url(episode_id: int) -> str:
    return reverse("plans:episode", args=[episode_id])


def _attempt(request: HttpRequest, action: Callable[[], object], *, done: str) -> bool:
    """Run a service; say what happened. False (with the error shown) when it refused."""
    try:
        action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    messages.success(request, done)
    return True


def _after_conflict[F: forms.Form](
    form_class: type[F], form: forms.Form, clash: services.EditConflict, **kwargs: Any
) -> tuple[F, dict[str, Any]]:
    """The form again with the sender's text, now based on the other person's save (so saving
    again deliberately keeps the sender's), and what the other person saved, field by field."""
    current = clash.current
    conflict = {"rows": conflict_rows(form, current), "current": current}
    # Both callers bind the form to request.POST, a QueryDict, whose copy may be changed.
    assert isinstance(form.data, QueryDict)
    data = form.data.copy()
    data["edits"] = str(current.edits)
    again = form_class(data, **kwargs)
    again.is_valid()
    again.add_error(None, clash)
    return again, conflict


@record_readers_required
def episode_plan(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    """Problem list, the plan and its goals with progress, versions, reviews."""
    episode = access.load(request.user, Episode, episode_id)
    current = queries.latest_version(episode)
    draft = queries.draft_of(episode)

    def shown[M: Model](rows: QuerySet[M]) -> QuerySet[M]:
        return consent.viewer_shared(rows, episode.client_id)

    if current is not None:
        audit_record(actor=request.user, action="read", obj=current, client_id=episode.client_id)
    context = {
        "episode": episode,
        "client": episode.client,
        "problems": shown(Problem.objects.filter(episode=episode)),
        "current": current,
        "draft": draft,
        "progress": goals_progress(episode, queries.episode_goals(current)),
        "pending": [PENDING_WORDS[p] for p in sorted(queries.pending_for(current))],
        "versions": shown(PlanVersion.objects.filter(episode=episode))
        .select_related("author")
        .prefetch_related("decisions__by", "decisions__replied_by"),
        "reviews": shown(PlanReview.objects.filter(episode=episode)).select_related(
            "by", "version"
        ),
        "review_alerts": shown(
            Alert.objects.filter(
                episode=episode, kind=Alert.Kind.PLAN_REVIEW, status__in=services.UNRESOLVED
            )
        ),
        "changes_alerts": shown(
            Alert.objects.filter(
                episode=episode, kind=Alert.Kind.PLAN_CHANGES, status__in=services.UNRESOLVED
            )
        ),
        "can_write": _can_write(request, episode),
    }
    return render(request, "plans/episode.html", context)


# --- Problem list -------------------------------------------------------------------------------


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def problem_new(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(request.user, Episode, episode_id, write=request.method == "POST")
    form = NewProblemForm(
        request.POST if request.method == "POST" else None, practice_id=episode.practice_id
    )
    saved = run_form(
        request,
        form,
        lambda data: services.problem_add(actor=request.user, episode=episode, **data),
        then=_plan_url(episode.pk),
        done=gettext("Problem added to the list."),
        once=True,
    )
    if saved is not None:
        return saved
    return render(request, "plans/problem_form.html", {"form": form, "episode": episode})


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def problem_edit(request: AuthenticatedHttpRequest, problem_id: int) -> HttpResponse:
    problem = access.load(request.user, Problem, problem_id, write=request.method == "POST")
    initial = {name: getattr(problem, name) for name in services.PROBLEM_FIELDS}
    form = ProblemForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        practice_id=problem.episode.practice_id,
    )
    saved = run_form(
        request,
        form,
        lambda data: services.problem_update(actor=request.user, problem=problem, **data),
        then=_plan_url(problem.episode_id),
        done=gettext("Problem saved."),
    )
    if saved is not None:
        return saved
    history = ProblemChange.objects.filter(problem=problem).select_related("by")
    return render(
        request,
        "plans/problem_form.html",
        {"form": form, "episode": problem.episode, "problem": problem, "history": history},
    )


@clinical_staff_required
@require_POST
def problem_move(request: AuthenticatedHttpRequest, problem_id: int) -> HttpResponse:
    problem = access.load(request.user, Problem, problem_id, write=True)
    up = request.POST.get("direction") != "down"
    seen_at = request.POST.get("position", "")
    services.problem_move(
        actor=request.user,
        problem=problem,
        up=up,
        seen_at=int(seen_at) if seen_at.isdigit() else None,
    )
    return redirect(_plan_url(problem.episode_id) + "#problems")


@clinical_staff_required
@require_POST
def problems_reorder(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    """The new order after a drag and drop (problems' ids, first first)."""
    episode = access.load(request.user, Episode, episode_id, write=True)
    form = ReorderForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": "bad order"}, status=400)
    try:
        services.problems_reorder(
            actor=request.user, episode=episode, order=form.cleaned_data["order"]
        )
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"order": form.cleaned_data["order"]})
    return redirect(_plan_url(episode.pk) + "#problems")


# --- Plan versions and goals --------------------------------------------------------------------


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def draft_new(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(request.user, Episode, episode_id, write=request.method == "POST")
    existing = queries.draft_of(episode)
    if existing is not None:
        messages.info(request, gettext("This episode already has a draft plan: continue it here."))
        return redirect("plans:version", version_id=existing.pk)
    form = DraftForm(request.POST if request.method == "POST" else None)
    saved = run_form(
        request,
        form,
        lambda data: services.plan_draft_start(
            actor=request.user, episode=episode, reason=data["reason"]
        ),
        then=lambda draft: reverse("plans:version", args=[draft.pk]),
        done=gettext("Draft started. It stays editable until you propose it."),
        once=True,
    )
    if saved is not None:
        return saved
    base = queries.latest_version(episode)
    return render(request, "plans/draft_new.html", {"form": form, "episode": episode, "base": base})


@record_readers_required
@require_http_methods(["GET", "POST"])
def version_detail(request: AuthenticatedHttpRequest, version_id: int) -> HttpResponse:
    """One version: its content and goals; a draft's content can be edited here."""
    version = access.load(request.user, PlanVersion, version_id, write=request.method == "POST")
    episode = version.episode
    private_notes = access.may_read_private_notes(
        request.user, episode.client_id, version.created_at
    )
    initial = {name: getattr(version, name) for name in PlanVersion.CONTENT_FIELDS}
    if not private_notes:
        del initial["private_formulation"]
    initial["edits"] = version.edits
    form = PlanContentForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        private_notes=private_notes,
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "edits"}
        try:
            services.plan_draft_update(
                actor=request.user,
                version=version,
                based_on_edits=form.cleaned_data["edits"],
                **data,
            )
        except services.EditConflict as clash:
            form, conflict = _after_conflict(
                PlanContentForm, form, clash, initial=initial, private_notes=private_notes
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("Draft saved."))
            return redirect("plans:version", version_id=version.pk)
    record = access.record_access(request.user, episode.client_id)
    return render(
        request,
        "plans/version.html",
        {
            "private_notes": private_notes,
            "version": version,
            "episode": episode,
            "form": form,
            "goals": queries.episode_goals(version),
            "decisions": version.decisions.select_related("by", "replied_by"),
            "can_write": record.write,
            "answer_form": InSessionAnswerForm(parties=sorted(queries.pending_for(version))),
            "conflict": conflict,
        },
        status=409 if conflict else 200,
    )


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def goal_new(request: AuthenticatedHttpRequest, version_id: int) -> HttpResponse:
    version = access.load(request.user, PlanVersion, version_id, write=request.method == "POST")
    form = NewGoalForm(
        request.POST if request.method == "POST" else None,
        episode=version.episode,
        initial={"target_date": target_date_default()},
    )
    saved = run_form(
        request,
        form,
        lambda _: services.goal_add(actor=request.user, version=version, **_goal_fields(form)),
        then=reverse("plans:version", args=[version.pk]),
        done=gettext("Goal added."),
        once=True,
    )
    if saved is not None:
        return saved
    return render(request, "plans/goal_form.html", {"form": form, "version": version})


def _goal_fields(form: GoalForm) -> dict[str, Any]:
    data = {k: v for k, v in form.cleaned_data.items() if k not in ("submission_key", "edits")}
    data["problems"] = list(data["problems"])
    return data


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: AuthenticatedHttpRequest, goal_id: int) -> HttpResponse:
    goal = access.load(request.user, PlanGoal, goal_id, write=request.method == "POST")
    initial = {name: getattr(goal, name) for name in services.GOAL_FIELDS}
    initial["problems"] = list(goal.problems.all())
    initial["edits"] = goal.edits
    episode = goal.version.episode
    form = GoalEditForm(
        request.POST if request.method == "POST" else None, episode=episode, initial=initial
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_update(
                actor=request.user,
                goal=goal,
                based_on_edits=form.cleaned_data["edits"],
                **_goal_fields(form),
            )
        except services.EditConflict as clash:
            form, conflict = _after_conflict(
                GoalEditForm, form, clash, episode=episode, initial=initial
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("Goal saved."))
            return redirect("plans:version", version_id=goal.version_id)
    return render(
        request,
        "plans/goal_form.html",
        {"form": form, "version": goal.version, "goal": goal, "conflict": conflict},
        status=409 if conflict else 200,
    )


@clinical_staff_required
@require_POST
def goal_remove(request: AuthenticatedHttpRequest, goal_id: int) -> HttpResponse:
    goal = access.load(request.user, PlanGoal, goal_id, write=True)
    version_id = goal.version_id
    _attempt(
        request,
        lambda: services.goal_remove(actor=request.user, goal=goal),
        done=gettext("Goal removed."),
    )
    return redirect("plans:version", version_id=version_id)


@clinical_staff_required
@require_POST
def version_propose(request: AuthenticatedHttpRequest, version_id: int) -> HttpResponse:
    version = access.load(request.user, PlanVersion, version_id, write=True)
    proposed = _attempt(
        request,
        lambda: services.plan_propose(actor=request.user, version=version),
        done=gettext("Proposed: the plan is waiting for the client's answer in the portal."),
    )
    if proposed:
        return redirect("plans:episode", episode_id=version.episode_id)
    return redirect("plans:version", version_id=version.pk)


@clinical_staff_required
@require_POST
def answer_record(request: AuthenticatedHttpRequest, version_id: int) -> HttpResponse:
    """An answer given in session rather than in the portal, recorded by the therapist."""
    version = access.load(request.user, PlanVersion, version_id, write=True)
    form = InSessionAnswerForm(request.POST, parties=sorted(queries.pending_for(version)))
    back = reverse("plans:version", args=[version.pk])
    saved = run_form(
        request,
        form,
        lambda data: services.plan_decide(user=request.user, version=version, **data),
        then=back,
        done=gettext("Answer recorded."),
        refusal_as_message=True,
    )
    if not form.is_valid():
        messages.error(request, gettext("Choose whose answer this is."))
    return saved or redirect(back)


@clinical_staff_required
@require_POST
def changes_reply(request: AuthenticatedHttpRequest, version_id: int) -> HttpResponse:
    """The therapist answers a client's or guardian's request for changes in words."""
    version = access.load(request.user, PlanVersion, version_id, write=True)
    form = ChangesReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Write your answer to the request (a few words at least)."))
        return redirect("plans:version", version_id=version.pk)
    decision = version.decisions.filter(
        party=form.cleaned_data["party"], decision=PlanDecision.Decision.CHANGES_REQUESTED
    ).first()
    if decision is None:
        messages.error(
            request, gettext("There is no request for changes to answer on this version.")
        )
        return redirect("plans:version", version_id=version.pk)

    back = reverse("plans:version", args=[version.pk])
    saved = run_form(
        request,
        form,
        lambda data: services.plan_changes_reply(
            actor=request.user, decision=decision, reply=data["reply"]
        ),
        then=back,
        done=gettext("Answer sent: it shows under their request in the portal."),
        once=True,
        refusal_as_message=True,
    )
    return saved or redirect(back)


@record_readers_required
def version_compare(request: AuthenticatedHttpRequest, version_id: int) -> HttpResponse:
    """What changed from the version this one was based on (or another, ?with=<id>)."""
    newer = access.load(request.user, PlanVersion, version_id)
    other_id = request.GET.get("with", "")
    older = (
        access.load(request.user, PlanVersion, int(other_id))
        if other_id.isdigit()
        else newer.based_on
    )
    if older is not None and older.episode_id != newer.episode_id:
        older = None
    # Both versions' notes, or neither: an older one's may predate a handoff.
    private = access.may_read_private_notes(
        request.user,
        newer.episode.client_id,
        older.created_at if older is not None else newer.created_at,
    )
    comparison = compare_versions(older, newer, private=private) if older is not None else None
    return render(
        request,
        "plans/compare.html",
        {"version": newer, "episode": newer.episode, "comparison": comparison},
    )


@record_readers_required
def version_print(request: AuthenticatedHttpRequest, version_id: int) -> HttpResponse:
    """The plan for the client's records: plain language, no private notes."""
    version = access.load(request.user, PlanVersion, version_id)
    return printable_plan(request, version)


# --- Progress data and reviews ------------------------------------------------------------------


@clinical_staff_required
@require_POST
def rating_new(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(request.user, Episode, episode_id, write=True)
    form = GoalRatingForm(request.POST, prefix="rating")
    back = _plan_url(episode.pk) + "#goals"
    saved = run_form(
        request,
        form,
        lambda data: services.goal_rating_record(
            actor=request.user,
            episode=episode,
            session=queries.session_in_progress(episode),
            **data,
        ),
        then=back,
        done=gettext("Rating recorded."),
        once=True,
        refusal_as_message=True,
    )
    if not form.is_valid():
        messages.error(request, gettext("A rating is a whole number from 0 to 10."))
    return saved or redirect(back)


@clinical_staff_required
@require_POST
def count_new(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(request.user, Episode, episode_id, write=True)
    form = BehaviourCountForm(request.POST, prefix="count")
    back = _plan_url(episode.pk) + "#goals"
    saved = run_form(
        request,
        form,
        lambda data: services.behaviour_count_record(
            actor=request.user,
            episode=episode,
            session=queries.session_in_progress(episode),
            **data,
        ),
        then=back,
        done=gettext("Count recorded."),
        once=True,
        refusal_as_message=True,
    )
    if not form.is_valid():
        messages.error(request, gettext("A count is a whole number, 0 or more."))
    return saved or redirect(back)


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def review_new(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(request.user, Episode, episode_id, write=request.method == "POST")
    form = ReviewForm(request.POST if request.method == "POST" else None)
    saved = run_form(
        request,
        form,
        lambda data: services.plan_review_record(actor=request.user, episode=episode, **data),
        then=lambda review: (
            reverse("plans:version", args=[review.revision_id])
            if review.revision_id
            else _plan_url(episode.pk)
        ),
        done=gettext("Review recorded; plan-review alerts are resolved."),
        once=True,
    )
    if saved is not None:
        return saved
    current = queries.latest_version(episode)
    progress = goals_progress(episode, queries.episode_goals(current))
    return render(
        request,
        "plans/review_form.html",
        {"form": form, "episode": episode, "current": current, "progress": progress},
    )
