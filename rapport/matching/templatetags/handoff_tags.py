"""The handoff's boxes on pages of the fit check (its start) and the portal (its link), so the
fit check's views need no change."""

from __future__ import annotations

from typing import Any

from django import template

from rapport import access
from rapport.accounts.models import User
from rapport.matching.handoff_forms import HandoffBeginForm
from rapport.matching.handoff_models import Handoff
from rapport.matching.models import FitCheck
from rapport.people.models import Client

register = template.Library()


@register.inclusion_tag("matching/handoff_begin.html")
def handoff_begin_box(fit_check: FitCheck, may_close: bool) -> dict[str, Any]:
    """On the fit check's page: its handoff, or, for the coordinator while the fit check is with
    them, the choice of whom to hand the client over to."""
    handoff = Handoff.objects.filter(fit_check=fit_check).first()
    form = None
    if handoff is None and may_close and fit_check.with_coordinator:
        episode = fit_check.episode
        form = HandoffBeginForm(
            practice_id=episode.practice_id,
            current_id=episode.primary_clinician_id,
            chosen_id=fit_check.chosen_clinician_id,
        )
    return {"fit_check": fit_check, "handoff": handoff, "form": form}


@register.inclusion_tag("matching/portal_handoff_link.html")
def portal_handoff_link(user: User, client: Client) -> dict[str, Any]:
    """The portal's way to a change of therapist under way (or just completed)."""
    handoff = (
        access.portal_list(user, Handoff)
        .filter(episode__client=client)
        .exclude(status="cancelled")
        .first()
    )
    return {"handoff": handoff, "client": client}
