"""The fit check in the portal: a client (or a guardian, see rapport.access) says privately
what is not working and what they would want of a therapist."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
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
from rapport.matching.forms import PortalFitCheckForm
from rapport.matching.models import FitCheck
from rapport.matching.services import fit_check_request
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
