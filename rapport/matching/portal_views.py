"""The fit check in the portal: a client (or a guardian, see rapport.access) says privately
what is not working and what they would want of a therapist."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rapport import access
from rapport.accounts.decorators import role_required
from rapport.accounts.models import Role
from rapport.audit.services import audit_record
from rapport.core import fit_check as fit_rules
from rapport.http import AuthenticatedHttpRequest
from rapport.matching.forms import (
    PORTAL_PREFERENCE_CHOICES,
    PORTAL_PREFERENCE_LABELS,
    ChooseForm,
    ClientPreferencesForm,
    PortalFitCheckForm,
    PortalPreferencesForm,
)
from rapport.matching.models import ClientPreference, FitCheck, TherapistProfile
from rapport.matching.queries import offered_candidates
from rapport.matching.services import client_preferences_set, fit_check_choose, fit_check_request
from rapport.matching.wording import strength_badges
from rapport.web import run_form


@never_cache
@role_required(Role.CLIENT, Role.GUARDIAN)
@require_http_methods(["GET", "POST"])
def portal_fit_check(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    """Ask for a fit check, or see how the one asked for is going."""
    user = request.user
    client = access.get_portal_client_for_user(user, client_id)
    if not access.may_request_fit_check_from_portal(user, client):
        raise PermissionDenied(_("A parent or guardian asks for this for a child."))
    episode = client.episodes.filter(status__in=["active", "on_hold"]).first()
    mine = access.portal_list(user, FitCheck).filter(episode__client=client)
    active = mine.filter(status__in=[s.value for s in fit_rules.ACTIVE]).first()
    form = PortalFitCheckForm(
        request.POST if request.method == "POST" else None, guardian=user.role == Role.GUARDIAN
    )
    here = reverse("matching:portal_fit_check", args=[client.pk])
    if request.method == "POST" and active is not None:
        messages.info(request, _("You have already asked; your request is below."))
        return redirect(here)
    if request.method == "POST" and episode is not None:
        starter = (
            fit_rules.Starter.GUARDIAN if user.role == Role.GUARDIAN else fit_rules.Starter.CLIENT
        )

        def save(data: dict[str, Any]) -> FitCheck:
            return fit_check_request(
                actor=user,
                episode=episode,
                starter=starter,
                words=data["words"],
                talk_first=data["talk_first"] == "yes",
                share_reason=data["share_reason"],
                preferences=form.preferences(),
            )

        saved = run_form(
            request,
            form,
            save,
            then=here,
            done=_("Thank you. Your request has been sent."),
            once=True,
        )
        if saved is not None:
            return saved
    if active is not None:
        audit_record(actor=user, action="portal_read", obj=active, client_id=client.pk)
    context = {
        "client": client,
        "link": client.guardian_link_for(user),
        "episode": episode,
        "active": active,
        "form": form,
    }
    return render(request, "matching/portal_fit_check.html", context)


@never_cache
@role_required(Role.CLIENT, Role.GUARDIAN)
@require_http_methods(["GET", "POST"])
def portal_preferences(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    """What the client (or a guardian, for a minor) would want of a therapist, at any time."""
    user = request.user
    client = access.get_portal_client_for_user(user, client_id)
    if not access.may_request_fit_check_from_portal(user, client):
        raise PermissionDenied(_("A parent or guardian says this for a child."))
    saved_ones = list(client.therapist_preferences.all())
    form = PortalPreferencesForm(
        request.POST if request.method == "POST" else None,
        initial=ClientPreferencesForm.initial_from(saved_ones),
    )
    here = reverse("matching:portal_preferences", args=[client.pk])
    saved = run_form(
        request,
        form,
        lambda _data: client_preferences_set(actor=user, client=client, items=form.preferences()),
        then=here,
        done=_("Saved. Thank you."),
        once=True,
    )
    if saved is not None:
        return saved
    audit_record(actor=user, action="portal_read", obj=client, detail={"view": "preferences"})
    context = {"client": client, "link": client.guardian_link_for(user), "form": form}
    return render(request, "matching/portal_preferences.html", context)


@never_cache
@role_required(Role.CLIENT, Role.GUARDIAN)
@require_http_methods(["GET", "POST"])
def portal_choose(request: AuthenticatedHttpRequest, fit_check_id: int) -> HttpResponse:
    """Choose a new therapist among those the coordinator offered: what each offers of what
    was asked for, and a plain badge; no numbers, never a caution."""
    user = request.user
    fit_check = (
        FitCheck.objects.filter(pk=fit_check_id)
        .select_related(*FitCheck.access_select_related)
        .first()
    )
    if fit_check is None or not access.may_choose_in_portal(user, fit_check):
        raise Http404("Not found")
    client = access.get_portal_client_for_user(user, fit_check.episode.client_id)
    form = ChooseForm(request.POST if request.method == "POST" else None)
    here = reverse("matching:portal_choose", args=[fit_check.pk])

    def save(data: dict[str, Any]) -> FitCheck:
        chosen = next((u for u, _s, _m in offered if u.pk == data["clinician"]), None)
        if chosen is None:
            raise ValidationError(_("Choose one of the therapists offered."))
        return fit_check_choose(actor=user, fit_check=fit_check, clinician=chosen)

    offered = offered_candidates(fit_check)
    saved = run_form(
        request,
        form,
        save,
        then=here,
        done=_("Thank you. The practice will be in touch about the next steps."),
        once=True,
        refusal_as_message=True,
    )
    if saved is not None:
        return saved
    audit_record(actor=user, action="portal_read", obj=fit_check, client_id=client.pk)
    labels = PORTAL_PREFERENCE_LABELS
    ways = dict(PORTAL_PREFERENCE_CHOICES[ClientPreference.Kind.MODALITY])
    profiles = {
        p.user_id: p for p in TherapistProfile.objects.filter(user__in=[u for u, _s, _m in offered])
    }
    rows = []
    for therapist, strengths, met in offered:
        mine = profiles.get(therapist.pk)
        rows.append(
            (
                therapist,
                strength_badges(strengths),
                [labels[k] for k in met if k in labels],
                ", ".join(mine.languages) if mine else "",
                ", ".join(str(ways.get(m, m)) for m in mine.modalities) if mine else "",
            )
        )
    context = {
        "client": client,
        "link": client.guardian_link_for(user),
        "fit_check": fit_check,
        "rows": rows if fit_check.choosing else [],
        "form": form,
    }
    return render(request, "matching/portal_choose.html", context)
