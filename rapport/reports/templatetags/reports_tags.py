"""Where reports are reached: a panel on the staff's client page and one on the portal's home,
so that neither app's view needs a change."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.utils import timezone

from rapport.care.models import Episode
from rapport.people.models import Client, GuardianLink
from rapport.practices.models import Practice
from rapport.progress.queries import current_episode
from rapport.reports.models import DischargeLetter
from rapport.reports.queries import SEND_KINDS, closed_episodes, report_recipients

register = template.Library()


@register.inclusion_tag("reports/client_panel.html")
def report_panel(episode: Episode | None, client: Client) -> dict[str, Any]:
    """The current episode's reports, and each closed episode's discharge letter."""
    return {"episode": episode, "closed": closed_episodes(client)}


@register.inclusion_tag("reports/send_panel.html")
def report_send_panel(episode: Episode) -> dict[str, Any]:
    """Emailing the client or a guardian a link to the client's copy of one of the reports."""
    written = DischargeLetter.objects.filter(episode=episode).exists()
    kinds = [(k, label) for k, label in SEND_KINDS if k != "discharge" or written]
    if episode.is_open:
        kinds = [(k, label) for k, label in kinds if k != "discharge"]
    return {"episode": episode, "kinds": kinds, "recipients": report_recipients(episode, "")}


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


@register.inclusion_tag("reports/practice_links.html")
def practice_report_links(practice: Practice) -> dict[str, Any]:
    """The monthly reports of this month so far and of the last three months."""
    today = timezone.localdate(timezone.now(), practice.zone)
    months = []
    year, month = today.year, today.month
    for _ in range(4):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return {"months": months}
