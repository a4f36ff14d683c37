from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from rapport import access, consent
from rapport.accounts.decorators import (
    clinical_staff_required,
    record_readers_required,
    role_required,
)
from rapport.accounts.models import Role
from rapport.care.models import Episode
from rapport.core.fhir import questionnaire_response_json
from rapport.http import AuthenticatedHttpRequest
from rapport.links import absolute_url, fhir_base
from rapport.measures.answering import answer, respondent_language
from rapport.measures.availability import assignment_available, not_yet_reason
from rapport.measures.client_mode import CLIENT_MODE, client_mode_state
from rapport.measures.forms import (
    DefaultMeasuresForm,
    MeasurePlanForm,
)
from rapport.measures.link_opening import link_resolve
from rapport.measures.models import Assignment, MeasurePlan, Response
from rapport.measures.queries import (
    LinkUnusable,
    default_measure_options,
    subscale_scores,
)
from rapport.measures.queries import default_measures as measures_by_default
from rapport.measures.registry import get_instrument, instruments_for
from rapport.measures.services import (
    default_measures_save,
    link_issue,
    link_send,
    measure_plan_set,
    measure_plan_stop,
)
from rapport.measures.wording import in_reader_language
from rapport.people.languages import supported, writing_to
from rapport.people.queries import guardian_reach
from rapport.web import client_ip, needs_fhir_base, run_form


@never_cache
@require_http_methods(["GET", "POST"])
def link_form(request: HttpRequest, token: str) -> HttpResponse:
    ip = client_ip(request)
    try:
        link = link_resolve(token, ip_address=ip, reading=request.method == "GET")
    except LinkUnusable as problem:
        return _link_problem(request, problem)
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
        # The thank-you page knows nobody: it is told the language the form was in.
        done = reverse("measures:link_done")
        if result.language != settings.LANGUAGE_CODE:
            done += f"?lang={result.language}"
        return redirect(done)
    return result


def _link_problem(request: HttpRequest, problem: LinkUnusable) -> HttpResponse:
    """Why a link opens nothing, in the language of the person it was made for; a token that
    names nobody is answered in the browser's language (LanguageMiddleware)."""
    if problem.completed and request.method == "POST":
        # A second submit (double click, retry) lands here after the first one was stored.
        return redirect("measures:link_done")
    language = (
        respondent_language(problem.link.assignment)
        if problem.link is not None
        else translation.get_language() or settings.LANGUAGE_CODE
    )
    with writing_to(language):
        if problem.throttled:
            reason = _(
                "Too many links that did not work were tried from this connection. "
                "Please wait ten minutes, then use the most recent link you were sent."
            )
            status = 429
        else:
            reason, status = str(problem), 410
        context = {"reason": reason, "language_switch": problem.link is None}
        return render(request, "measures/link_problem.html", context, status=status)


def link_done(request: HttpRequest) -> HttpResponse:
    with writing_to(supported(request.GET.get("lang"))):
        return render(request, "measures/link_done.html")


# --- In session: the device handed to the client ----------------------------------------------


@clinical_staff_required
@require_POST
def client_mode_start(request: AuthenticatedHttpRequest, assignment_id: int) -> HttpResponse:
    assignment = access.load(request.user, Assignment, assignment_id, write=True)
    if not assignment.is_open or assignment.respondent == "therapist":
        messages.error(request, gettext("This measure is not waiting for the client."))
        return redirect("care:session_detail", session_id=assignment.session_id)
    if not assignment_available(assignment):
        messages.error(request, not_yet_reason(assignment))
        return redirect("care:session_detail", session_id=assignment.session_id)
    request.session[CLIENT_MODE] = {"assignment": assignment.pk, "staff": request.user.pk}
    return redirect("measures:client_mode_form")


@never_cache
@clinical_staff_required
@require_http_methods(["GET", "POST"])
def client_mode_form(request: AuthenticatedHttpRequest) -> HttpResponse:
    state = client_mode_state(request)
    assignment = access.load(
        request.user, Assignment, state["assignment"], write=request.method == "POST"
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
def client_mode_unlock(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The screen the client hands back: only the clinician's password leaves client mode."""
    state = client_mode_state(request)
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
        error = _("That password is not right.")
    assignment = Assignment.objects.filter(pk=state["assignment"]).first()
    done = assignment is None or assignment.status != Assignment.Status.PENDING
    # The client holds the device: the screen is in their language.
    with writing_to(respondent_language(assignment) if assignment else "en"):
        return render(
            request,
            "measures/client_mode_unlock.html",
            {"done": done, "error": error},
            status=400 if error else 200,
        )


# --- Staff pages ------------------------------------------------------------------------------


@clinical_staff_required
@require_POST
def assignment_link(request: AuthenticatedHttpRequest, assignment_id: int) -> HttpResponse:
    """A new link, shown once for copying into a video call; optionally emailed too."""
    assignment = access.load(request.user, Assignment, assignment_id, write=True)
    try:
        link, token = link_issue(actor=request.user, assignment=assignment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("care:session_detail", session_id=assignment.session_id)
    emailed = bool(request.POST.get("email")) and link_send(
        actor=request.user, link=link, token=token
    )
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
def assignment_complete(request: AuthenticatedHttpRequest, assignment_id: int) -> HttpResponse:
    """The clinician's own rating, or a paper form typed in by the clinician."""
    assignment = access.load(
        request.user, Assignment, assignment_id, write=request.method == "POST"
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
        messages.success(request, gettext("Saved."))
        return redirect("care:session_detail", session_id=assignment.session_id)
    return result


def measure_families(practice_id: int) -> list[tuple[str, str]]:
    """One choice per measure family (PHQ-9, Check-in, …), named after its adult client version."""
    names: dict[str, str] = {}
    for instrument in instruments_for(practice_id):
        if instrument.family not in names or instrument.respondent == "client":
            names[instrument.family] = in_reader_language(instrument).short_title
    return sorted(names.items(), key=lambda pair: pair[1])


@record_readers_required
@require_http_methods(["GET", "POST"])
def episode_measures(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(request.user, Episode, episode_id, write=request.method == "POST")
    families = measure_families(episode.practice_id)
    form = MeasurePlanForm(request.POST if request.method == "POST" else None, families=families)
    saved = run_form(
        request,
        form,
        lambda data: measure_plan_set(actor=request.user, episode=episode, **data),
        then=reverse("measures:episode_measures", args=[episode.pk]),
        done=gettext("Measure added to the plan."),
        once=True,
    )
    if saved is not None:
        return saved
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
            "can_write": access.can_write(request.user, episode),
            "guardians": guardian_reach(episode.client),
        },
    )


@clinical_staff_required
@require_POST
def plan_stop(request: AuthenticatedHttpRequest, plan_id: int) -> HttpResponse:
    plan = access.load(request.user, MeasurePlan, plan_id, write=True)
    measure_plan_stop(actor=request.user, plan=plan)
    messages.success(request, gettext("Measure removed from the plan; earlier results are kept."))
    return redirect("measures:episode_measures", episode_id=plan.episode_id)


@role_required(Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN)
def response_detail(request: AuthenticatedHttpRequest, response_id: int) -> HttpResponse:
    response = access.load(request.user, Response, response_id)
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
            # A risk alert follows the risk-alerts item, not the measures (rapport.consent).
            "risk_alerts": consent.viewer_shared(
                response.alerts.filter(kind="risk"), response.episode.client_id
            ).select_related("acknowledged_by"),
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
@needs_fhir_base
def response_fhir(request: AuthenticatedHttpRequest, response_id: int) -> HttpResponse:
    response = access.load(request.user, Response, response_id)
    instrument = get_instrument(response.instrument_id, practice_id=response.episode.practice_id)
    document = questionnaire_response_json(
        instrument,
        response.answers,
        response_id=f"rapport-response-{response.pk}",
        subject_reference=f"Patient/rapport-client-{response.episode.client_id}",
        authored=response.completed_at,
        base=fhir_base(),
        language=response.language,
    )
    reply = JsonResponse(document, json_dumps_params={"indent": 2})
    reply["Content-Type"] = "application/fhir+json"
    reply["Content-Disposition"] = (
        f'attachment; filename="questionnaire-response-{response.pk}.json"'
    )
    return reply


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def default_measures(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Manage → Default measures: what a new client starts with, by age band."""
    practice_id = request.user.staff_practice_id
    options = default_measure_options(practice_id)
    current = {band: measures_by_default(practice_id, band) for band in options}
    form = DefaultMeasuresForm(
        request.POST if request.method == "POST" else None, options=options, current=current
    )
    saved = run_form(
        request,
        form,
        lambda _: default_measures_save(actor=request.user, by_band=form.entries()),
        then=reverse("measures:default_measures"),
        done=gettext("Default measures saved. They apply to clients registered next."),
    )
    if saved is not None:
        return saved
    return render(request, "measures/default_measures.html", {"form": form})
