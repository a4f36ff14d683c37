"""Where reports are reached: a panel on the staff's client page and one on the portal's home,
so that neither app's view needs a change."""

from __future__ import annotations

from typing import Any

from django import template

from rapport.care.models import Episode
from rapport.people.models import Client, GuardianLink
from rapport.progress.queries import current_episode
from rapport.reports.queries import closed_episodes

register = template.Library()


@register.inclusion_tag("reports/client_panel.html")
def report_panel(episode: Episode | None, client: Client) -> dict[str, Any]:
    """The current episode's reports, and each closed episode's discharge letter."""
    return {"episode": episode, "closed": closed_episodes(client)}


@register.inclusion_tag("reports/portal_panel.html")
def portal_report_panel(client: Client, link: GuardianLink | None) -> dict[str, Any]:
    """The reports of the client's current episode; the portal's home has already checked (and
    audited) that this reader may open the client. A guardian's link may keep the plan back."""
    return {
        "episode": current_episode(client),
        "plan_shared": link is None or link.may_see_plan_summary,
        # A letter reaches the client once written; a guardian's copy follows their link.
        "letters": [episode for episode, written in closed_episodes(client) if written],
    }
