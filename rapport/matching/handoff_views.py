"""The handoff's pages: the coordinator starts it from a fit check; the client agrees item by
item in the portal (or withdraws, and reads the old therapist's summary); the staff page takes
the warm step and completes the transfer; the supervisor's page counts how re-matches went."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport import access
from rapport.accounts.decorators import role_required
from rapport.accounts.models import Role
from rapport.audit.services import audit_record
from rapport.http import AuthenticatedHttpRequest
from rapport.matching import handoff_queries as queries
from rapport.matching import handoff_services as services
from rapport.matching import queries as fit_queries
from rapport.matching.handoff_forms import (
    HandoffBeginForm,
    HandoffConsentForm,
    HandoffSettingsForm,
    HandoffStepForm,
)
from rapport.matching.handoff_models import Handoff, HandoffSettings
from rapport.web import run_form

STAFF = (Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN)


@role_required(Role.SUPERVISOR, Role.ADMIN)
@require_POST
def handoff_new(request: AuthenticatedHttpRequest, fit_check_id: int) -> HttpResponse:
    """The coordinator chooses who the client moves to; the client is then asked to consent."""
    user = request.user
    fit_check, may = fit_queries.load_fit_check(user, fit_check_id)
    if not may.close:  # only the coordinator, while the fit check is with them
        raise PermissionDenied("Only the coordinator hands a client over to a new therapist.")
    form = HandoffBeginForm(
        request.POST,
        practice_id=fit_check.episode.practice_id,
        current_id=fit_check.episode.primary_clinician_id,
        chosen_id=fit_check.chosen_clinician_id,
    )
    saved = run_form(
        request,
        form,
        lambda data: services.handoff_begin(
            actor=user, fit_check=fit_check, to_clinician=data["to_clinician"]
        ),
        then=lambda handoff: reverse("matching:handoff", args=[handoff.pk]),
        done=_("Handoff started: the client is asked in the portal what may be shared."),
        once=True,
        refusal_as_message=True,
    )
    return saved or redirect("matching:fit_check", fit_check_id=fit_check.pk)


@role_required(*STAFF)
@require_GET
def handoffs(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The coordinator's list of handoffs, flagged; a clinician's own (old or receiving)."""
    user = request.user
    practice_id = user.staff_practice_id
    coordinator = access.is_fit_check_coordinator(
        user, practice_id, fit_queries.coordinators_setting(practice_id)
    )
    rows = [
        row
        for row in queries.coordinator_rows(practice_id)
        if coordinator or user.pk in (row.handoff.from_clinician_id, row.handoff.to_clinician_id)
    ]
    access.audit_list(user, Handoff, [row.handoff.pk for row in rows], view="handoffs")
    context = {
        "rows": rows,
        "coordinator": coordinator,
        "settings": HandoffSettings.for_practice(practice_id),
    }
    return render(request, "matching/handoffs.html", context)


STEP_DONE = {
    "summary": "Summary saved: the client reads it in the portal first.",
    "joint_session": "Joint session recorded.",
    "closing_session": "Closing session recorded.",
    "complete": "Handoff completed: the episode is with the new therapist.",
    "cancel": "Handoff cancelled.",
}


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def handoff_detail(request: AuthenticatedHttpRequest, handoff_id: int) -> HttpResponse:
    user = request.user
    handoff = (
        Handoff.objects.filter(pk=handoff_id, episode__practice_id=user.staff_practice_id)
        .select_related(*Handoff.access_select_related)
        .first()
    )
    if handoff is None:
        raise access.handoff_deny(user, Handoff, handoff_id)
    may = access.handoff_access(
        user, handoff, coordinators=fit_queries.coordinators_setting(handoff.episode.practice_id)
    )
    if not may.see:
        raise access.handoff_deny(user, Handoff, handoff_id)
    audit_record(
        actor=user,
        action="write" if request.method == "POST" else "read",
        obj=handoff,
        client_id=handoff.episode.client_id,
    )
    form = HandoffStepForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        action = str(request.POST.get("action", ""))
        allowed = {
            "summary": may.old_therapist,
            "joint_session": may.old_therapist or may.coordinate,
            "closing_session": may.old_therapist or may.coordinate,
            "complete": may.coordinate,
            "cancel": may.coordinate,
        }
        if action not in allowed:
            return HttpResponseBadRequest("Unknown step.")
        if not allowed[action]:
            raise PermissionDenied("You cannot take this step.")

        def save(data: dict[str, Any]) -> Handoff:
            if action == "summary":
                return services.handoff_summary_write(
                    actor=user, handoff=handoff, summary=data["summary"]
                )
            if action in ("joint_session", "closing_session"):
                step = (
                    services.handoff_joint_session
                    if action == "joint_session"
                    else services.handoff_closing_session
                )
                return step(
                    actor=user,
                    handoff=handoff,
                    start=data["start"],
                    minutes=data["minutes"],
                    modality=data["modality"],
                )
            if action == "complete":
                return services.handoff_complete(actor=user, handoff=handoff)
            return services.handoff_cancel(actor=user, handoff=handoff)

        saved = run_form(
            request,
            form,
            save,
            then=reverse("matching:handoff", args=[handoff.pk]),
            done=STEP_DONE[action],
            refusal_as_message=action in ("complete", "cancel"),
        )
        if saved is not None:
            # The old therapist's access ends with the transfer: back to their list.
            if action == "complete" and may.old_therapist:
                return redirect("matching:handoffs")
            return saved
    fit_check = handoff.fit_check
    context = {
        "handoff": handoff,
        "client": handoff.episode.client,
        "fit_check": fit_check,
        "may": may,
        "form": form,
        "consent_in_force": handoff.consent_in_force(timezone.now()),
        # The receiving therapist reads the summary only after the client has.
        "show_summary": bool(handoff.summary)
        and (not may.receiving or handoff.summary_read_at is not None or may.coordinate),
        "watch": queries.alliance_watch(handoff),
        "first_session": queries.first_session_after(handoff),
    }
    return render(request, "matching/handoff.html", context)


@never_cache
@role_required(Role.CLIENT, Role.GUARDIAN)
@require_http_methods(["GET", "POST"])
def portal_handoff(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    """The change of therapist in the portal: exactly what would be shared, item by item, to
    agree to or not; withdrawing; and the old therapist's summary, read first."""
    user = request.user
    client = access.get_portal_client_for_user(user, client_id)
    handoff = (
        access.portal_list(user, Handoff)
        .filter(episode__client=client)
        .exclude(status__in=["cancelled"])
        .select_related(*Handoff.access_select_related)
        .first()
    )
    if handoff is None:
        raise access.handoff_deny(user, Handoff, client_id)
    audit_record(actor=user, action="portal_read", obj=handoff, client_id=client.pk)
    may_decide = access.may_consent_to_handoff(user, client)
    shared = queries.shared_things(handoff)
    here = reverse("matching:portal_handoff", args=[client.pk])
    initial = {f"share_{item}": getattr(handoff, f"share_{item}") for item, _w in shared}
    form = HandoffConsentForm(
        request.POST if request.method == "POST" else None, shared=shared, initial=initial
    )
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied(_("The young person decides this for themself."))

        def save(data: dict[str, Any]) -> Handoff:
            if data["action"] == "withdraw":
                return services.handoff_withdraw(actor=user, handoff=handoff)
            if data["action"] == "read":
                return services.handoff_summary_read(actor=user, handoff=handoff)
            items = form.items()
            shown = [words for item, words in shared if item in items]
            return services.handoff_consent(actor=user, handoff=handoff, items=items, shown=shown)

        done = {
            "consent": _("Thank you. Your choices are saved."),
            "withdraw": _("Your consent is withdrawn. Nothing will be shared or moved."),
            "read": _("Thank you for reading it."),
        }
        saved = run_form(
            request,
            form,
            save,
            then=here,
            done=lambda data: done[data["action"]],
            refusal_as_message=True,
        )
        if saved is not None:
            return saved
        if not form.is_valid():
            return HttpResponseBadRequest(_("Choose what to do."))
    context = {
        "client": client,
        "link": client.guardian_link_for(user),
        "handoff": handoff,
        "form": form,
        "may_decide": may_decide,
        "consent_in_force": handoff.consent_in_force(timezone.now()),
        "agreed": [words for item, words in shared if getattr(handoff, f"share_{item}")],
    }
    return render(request, "matching/portal_handoff.html", context)


@role_required(Role.SUPERVISOR, Role.ADMIN)
@require_GET
def rematch_outcomes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Counts only: no client and no therapist is named on this page."""
    outcomes = queries.outcomes(request.user.staff_practice_id)
    audit_record(actor=request.user, action="read", object_type="matching.outcomes")
    return render(request, "matching/rematch_outcomes.html", {"outcomes": outcomes})


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def handoff_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """How long a client's consent lasts, and when a client who has not started is flagged."""
    settings = HandoffSettings.for_practice(request.user.staff_practice_id)
    form = HandoffSettingsForm(
        request.POST if request.method == "POST" else None, instance=settings
    )
    saved = run_form(
        request,
        form,
        lambda _data: services.handoff_settings_update(
            actor=request.user, settings=form.save(commit=False)
        ),
        then=reverse("matching:handoff_settings"),
        done=_("Handoff settings saved."),
    )
    return saved or render(request, "matching/handoff_settings.html", {"form": form})
