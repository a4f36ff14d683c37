from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from rapport import access
from rapport.accounts.decorators import (
    clinical_staff_required,
    record_readers_required,
    role_required,
)
from rapport.accounts.models import Role
from rapport.accounts.services import submission_once
from rapport.accounts.views import say_saved
from rapport.core.fhir import questionnaire_response_json
from rapport.links import absolute_url
from rapport.measures.availability import assignment_available, not_yet_reason
from rapport.measures.forms import (
    DefaultMeasuresForm,
    MeasurePlanForm,
    answer_fields,
    posted_answers,
)
from rapport.measures.link_opening import link_resolve
from rapport.measures.models import AccessLink, Assignment, Response
from rapport.measures.queries import (
    LinkUnusable,
    default_measure_options,
    link_respondent,
    subscale_scores,
)
from rapport.measures.queries import default_measures as measures_by_default
from rapport.measures.registry import get_instrument, instruments_for
from rapport.measures.services import (
    AnswersInvalid,
    default_measures_save,
    draft_save,
    link_email,
    link_issue,
    measure_plan_set,
    measure_plan_stop,
    response_submit,
)

CLIENT_MODE = "rapport_client_mode"


def client_ip(request: HttpRequest) -> str:
    """The client's address, as the trusted proxies report it; always a valid IP address, since
    it is stored in an address column (PostgreSQL's inet refuses anything else)."""
    # "0.0.0.0" stands for an unknown address here; nothing binds to it.
    remote = _valid_ip(str(request.META.get("REMOTE_ADDR", ""))) or "0.0.0.0"  # nosec B104
    if settings.AXES_IPWARE_PROXY_COUNT:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= settings.AXES_IPWARE_PROXY_COUNT:
            return _valid_ip(forwarded[-settings.AXES_IPWARE_PROXY_COUNT]) or remote
    return remote


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def answer(
    request: HttpRequest,
    assignment: Assignment,
    *,
    mode: str,
    template: str,
    context: dict[str, Any],
    link: AccessLink | None = None,
) -> HttpResponse | Response:
    """Show an assignment's form, keep a draft, or store the response (returned on success)."""
    instrument = get_instrument(
        assignment.instrument_id, practice_id=assignment.episode.practice_id
    )
    values: dict[str, Any] = dict(assignment.draft)
    errors: dict[str, str] = {}
    status = 200
    saved_draft = False
    if request.method == "POST":
        values = posted_answers(request.POST)
        if request.POST.get("action") == "draft":
            draft_save(assignment=assignment, answers=values)
            if request.headers.get("X-Rapport-Autosave"):
                return HttpResponse(status=204)
            saved_draft = True
        else:
            # Through a link the person answering is the link's, whoever is signed in on the
            # device (a parent's portal session on the family computer, say).
            actor = (
                link_respondent(assignment)
                if link is not None
                else request.user
                if request.user.is_authenticated
                else None
            )
            try:
                return response_submit(
                    assignment=assignment, answers=values, mode=mode, actor=actor, link=link
                )
            except AnswersInvalid as invalid:
                errors = invalid.errors
                status = 400
                draft_save(assignment=assignment, answers=values)
            except ValidationError as error:
                errors = {"": " ".join(error.messages)}
                status = 409
    known = {item.link_id for item in instrument.items}
    context = {
        **context,
        "instrument": instrument,
        "fields": answer_fields(instrument, values, errors),
        "other_errors": [msg for key, msg in errors.items() if key not in known],
        "error_count": len(errors),
        "saved_draft": saved_draft,
        "assignment": assignment,
    }
    return render(request, template, context, status=status)


# --- From home, through a link ----------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def link_form(request: HttpRequest, token: str) -> HttpResponse:
    ip = client_ip(request)
    try:
        link = link_resolve(token, ip_address=ip)
    except LinkUnusable as problem:
        if problem.throttled:
            reason = (
                "Too many links that did not work were tried from this connection. "
                "Please wait ten minutes, then use the most recent link you were sent."
            )
            return render(request, "measures/link_problem.html", {"reason": reason}, status=429)
        if problem.completed and request.method == "POST":
            # A second submit (double click, retry) lands here after the first one was stored.
            return redirect("measures:link_done")
        return render(request, "measures/link_problem.html", {"reason": str(problem)}, status=410)
    assignment = link.assignment
    result = answer(
        request,
        assignment,
        mode=Response.Mode.LINK,
        template="measures/answer_page.html",
        context={"form_action": request.path, "show_draft": True},
        link=link,
    )
    if isinstance(result, Response):
        return redirect("measures:link_done")
    return result


def link_done(request: HttpRequest) -> HttpResponse:
    return render(request, "measures/link_done.html")


# --- In session: the device handed to the client ----------------------------------------------


@clinical_staff_required
@require_POST
def client_mode_start(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = access.get_assignment_for_user(request.user, assignment_id, write=True)
    if not assignment.is_open or assignment.respondent == "therapist":
        messages.error(request, "This measure is not waiting for the client.")
        return redirect("care:session_detail", session_id=assignment.session_id)
    if not assignment_available(assignment):
        messages.error(request, not_yet_reason(assignment))
        return redirect("care:session_detail", session_id=assignment.session_id)
    request.session[CLIENT_MODE] = {"assignment": assignment.pk, "staff": request.user.pk}
    return redirect("measures:client_mode_form")


def _client_mode(request: HttpRequest) -> dict[str, int]:
    state = request.session.get(CLIENT_MODE)
    if not request.user.is_authenticated or not state or state.get("staff") != request.user.pk:
        raise Http404("Not found")
    return state  # type: ignore[no-any-return]


@never_cache
@clinical_staff_required
@require_http_methods(["GET", "POST"])
def client_mode_form(request: HttpRequest) -> HttpResponse:
    state = _client_mode(request)
    assignment = access.get_assignment_for_user(
        request.user, state["assignment"], write=request.method == "POST"
    )
    if not assignment.is_open:
        return redirect("measures:client_mode_unlock")
    result = answer(
        request,
        assignment,
        mode=Response.Mode.IN_SESSION,
        template="measures/answer_page.html",
        context={"form_action": request.path, "client_mode": True},
    )
    if isinstance(result, Response):
        return redirect("measures:client_mode_unlock")
    return result


UNLOCK_TRIES = 5


@never_cache
@clinical_staff_required
@require_http_methods(["GET", "POST"])
def client_mode_unlock(request: HttpRequest) -> HttpResponse:
    """The screen the client hands back: only the clinician's password leaves client mode."""
    state = _client_mode(request)
    error = ""
    if request.method == "POST":
        if request.user.check_password(request.POST.get("password", "")):
            del request.session[CLIENT_MODE]
            assignment = Assignment.objects.filter(pk=state["assignment"]).first()
            if assignment and assignment.session_id:
                return redirect("care:session_detail", session_id=assignment.session_id)
            return redirect("people:caseload")
        tries = request.session.get("rapport_unlock_failures", 0) + 1
        request.session["rapport_unlock_failures"] = tries
        if tries >= UNLOCK_TRIES:
            # Whoever holds the device is not the clinician: end the session entirely.
            logout(request)
            return redirect("accounts:login")
        error = "That password is not right."
    done = not Assignment.objects.filter(pk=state["assignment"], status="pending").exists()
    return render(
        request,
        "measures/client_mode_unlock.html",
        {"done": done, "error": error},
        status=400 if error else 200,
    )


# --- Staff pages ------------------------------------------------------------------------------


@clinical_staff_required
@require_POST
def assignment_link(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """A new link, shown once for copying into a video call; optionally emailed too."""
    assignment = access.get_assignment_for_user(request.user, assignment_id, write=True)
    try:
        link, token = link_issue(actor=request.user, assignment=assignment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("care:session_detail", session_id=assignment.session_id)
    emailed = False
    if request.POST.get("email"):
        emailed = link_email(assignment=assignment, token=token)
        if emailed:
            AccessLink.objects.filter(pk=link.pk).update(sent_at=timezone.now())
    url = absolute_url(reverse("measures:link_form", args=[token]))
    response = render(
        request,
        "measures/link_created.html",
        {
            "assignment": assignment,
            "url": url,
            "emailed": emailed,
            "link": link,
            "asked_email": bool(request.POST.get("email")),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def assignment_complete(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """The clinician's own rating, or a paper form typed in by the clinician."""
    assignment = access.get_assignment_for_user(
        request.user, assignment_id, write=request.method == "POST"
    )
    if not assignment.is_open:
        return redirect("care:session_detail", session_id=assignment.session_id)
    if not assignment_available(assignment):
        messages.error(request, not_yet_reason(assignment))
        return redirect("care:session_detail", session_id=assignment.session_id)
    mode = (
        Response.Mode.IN_SESSION
        if assignment.respondent == "therapist"
        else Response.Mode.CLINICIAN
    )
    result = answer(
        request,
        assignment,
        mode=mode,
        template="measures/answer_staff.html",
        context={"form_action": request.path},
    )
    if isinstance(result, Response):
        messages.success(request, "Saved.")
        return redirect("care:session_detail", session_id=assignment.session_id)
    return result


def measure_families(practice_id: int) -> list[tuple[str, str]]:
    """One choice per measure family (PHQ-9, Check-in, …), named after its adult client version."""
    names: dict[str, str] = {}
    for instrument in instruments_for(practice_id):
        if instrument.family not in names or instrument.respondent == "client":
            names[instrument.family] = instrument.short_title
    return sorted(names.items(), key=lambda pair: pair[1])


@record_readers_required
@require_http_methods(["GET", "POST"])
def episode_measures(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = access.get_episode_for_user(request.user, episode_id, write=request.method == "POST")
    families = measure_families(episode.practice_id)
    form = MeasurePlanForm(request.POST if request.method == "POST" else None, families=families)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        key = data.pop("submission_key")

        def plan() -> str:
            measure_plan_set(actor=request.user, episode=episode, **data)
            return reverse("measures:episode_measures", args=[episode.pk])

        try:
            url, first = submission_once(user=request.user, key=key, perform=plan)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            say_saved(request, first, "Measure added to the plan.")
            return redirect(url)
    plans = list(episode.measures.filter(is_active=True).order_by("family", "respondent"))
    titles = dict(families)
    for plan in plans:
        plan.title = titles.get(plan.family, plan.family)  # type: ignore[attr-defined]
    return render(
        request,
        "measures/episode_measures.html",
        {
            "episode": episode,
            "plans": plans,
            "form": form,
            "can_write": access.record_access(request.user, episode.client_id).write,
        },
    )


@clinical_staff_required
@require_POST
def plan_stop(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = access.get_plan_for_user(request.user, plan_id, write=True)
    measure_plan_stop(actor=request.user, plan=plan)
    messages.success(request, "Measure removed from the plan; earlier results are kept.")
    return redirect("measures:episode_measures", episode_id=plan.episode_id)


@role_required(Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN)
def response_detail(request: HttpRequest, response_id: int) -> HttpResponse:
    response = access.get_response_for_user(request.user, response_id)
    instrument = get_instrument(response.instrument_id, practice_id=response.episode.practice_id)
    rows = [
        (
            item,
            response.answers.get(item.link_id),
            _answer_label(item, response.answers.get(item.link_id)),
        )
        for item in instrument.items
    ]
    return render(
        request,
        "measures/response_detail.html",
        {
            "response": response,
            "instrument": instrument,
            "rows": rows,
            "subscales": subscale_scores(instrument, response.subscales or {}),
            "client": response.episode.client,
            "risk_alerts": response.alerts.filter(kind="risk").select_related("acknowledged_by"),
        },
    )


def _answer_label(item: Any, value: Any) -> str:
    if value is None or value == "":
        return "—"
    for option in getattr(item, "options", ()):
        if str(option.value) == str(value):
            return f"{option.label} ({option.value})"
    return str(value)


@role_required(Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN)
def response_fhir(request: HttpRequest, response_id: int) -> HttpResponse:
    response = access.get_response_for_user(request.user, response_id)
    instrument = get_instrument(response.instrument_id, practice_id=response.episode.practice_id)
    document = questionnaire_response_json(
        instrument,
        response.answers,
        response_id=f"rapport-response-{response.pk}",
        subject_reference=f"Patient/rapport-client-{response.episode.client_id}",
        authored=response.completed_at,
    )
    reply = JsonResponse(document, json_dumps_params={"indent": 2})
    reply["Content-Type"] = "application/fhir+json"
    reply["Content-Disposition"] = (
        f'attachment; filename="questionnaire-response-{response.pk}.json"'
    )
    return reply


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def default_measures(request: HttpRequest) -> HttpResponse:
    """Manage → Default measures: what a new client starts with, by age band."""
    practice_id = request.user.practice_id
    options = default_measure_options(practice_id)
    current = {band: measures_by_default(practice_id, band) for band in options}
    form = DefaultMeasuresForm(
        request.POST if request.method == "POST" else None, options=options, current=current
    )
    if request.method == "POST" and form.is_valid():
        default_measures_save(actor=request.user, by_band=form.entries())
        messages.success(request, "Default measures saved. They apply to clients registered next.")
        return redirect("measures:default_measures")
    return render(request, "measures/default_measures.html", {"form": form})
