"""The review's panel on the client page and its "Review this case" buttons on alerts and
ruptures, so the people, alerts and alliance apps' views need no change."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django import template

from rapport import access
from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.care.models import Episode
from rapport.core import case_review as rules
from rapport.core import fit_check as fit_rules
from rapport.matching.models import FitCheck, TherapistProfile
from rapport.matching.queries import (
    fit_suggestion,
    latest_review,
    open_review,
    therapist_fit_checks,
)
from rapport.people.models import Client

register = template.Library()


@register.inclusion_tag("matching/client_panel.html")
def review_panel(episode: Episode, can_write: bool) -> dict[str, Any]:
    """The latest completed review and any open one; the client page has loaded (and audited)
    the episode."""
    return {
        "episode": episode,
        "latest": latest_review(episode),
        "open": open_review(episode),
        "can_write": can_write and episode.is_open,
        # The suggestion is for the clinicians caring for the client, never for a reader under
        # break-glass (nor, being a staff page, for the client or a guardian).
        "suggestion": fit_suggestion(episode) if can_write else None,
        "fit_checks": therapist_fit_checks(episode),
    }


@register.inclusion_tag("matching/portal_link.html")
def portal_fit_check_link(user: User, client: Client) -> dict[str, Any]:
    """The portal's way to the fit check, for whoever may ask for one for this client."""
    may = access.may_request_fit_check_from_portal(user, client)
    asked = (
        may
        and access.portal_list(user, FitCheck)
        .filter(episode__client=client, status__in=[s.value for s in fit_rules.ACTIVE])
        .exists()
    )
    return {
        "may": may,
        "asked": asked,
        "client": client,
        "guardian": user.role == "guardian",
        "user": user,
    }


@register.filter
def review_alert(alerts: Iterable[Alert]) -> Alert | None:
    """The first of a card's alerts that may start a stuck-case review (unresolved, and of a
    kind that says the case is not moving); None when none may."""
    for alert in alerts:
        if alert.status != Alert.Status.RESOLVED and rules.trigger_for_alert(alert.kind):
            return alert
    return None


@register.inclusion_tag("matching/review_button.html")
def review_button(
    episode_id: int, alert_id: int | None = None, rupture_id: int | None = None
) -> dict[str, Any]:
    """ "Review this case": a small form posting to open a review (from the alert or rupture)."""
    return {"episode_id": episode_id, "alert_id": alert_id, "rupture_id": rupture_id}


@register.filter
def day(iso: str) -> date | str:
    """A day stored in a review's facts (ISO text) as a date, for the date filter."""
    try:
        return date.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso


PROFILE_CHOICES = {
    "population": dict(TherapistProfile.Population.choices),
    "modality": dict(TherapistProfile.Modality.choices),
    "day": dict(TherapistProfile.Day.choices),
}


@register.filter
def profile_words(values: Iterable[str], kind: str) -> str:
    """A profile's stored choices as people read them: "In person, Video"."""
    words = PROFILE_CHOICES.get(kind, {})
    return ", ".join(str(words.get(v, v)) for v in values)


@register.inclusion_tag("matching/portal_links.html")
def portal_matching_links(user: User, client: Client) -> dict[str, Any]:
    """The portal's ways to "My preferences" and, when candidates are offered, to choosing."""
    may = access.may_request_fit_check_from_portal(user, client)
    offered = None
    if may:
        choosing = FitCheck.objects.filter(
            episode__client=client, status__in=[s.value for s in fit_rules.CHOOSING]
        ).exclude(offered=[])
        offered = next((f for f in choosing if access.may_choose_in_portal(user, f)), None)
    return {"may": may, "client": client, "offered": offered, "guardian": user.role == "guardian"}
