"""On-track status on other apps' pages: the client page shows each measure's latest status."""

from __future__ import annotations

from typing import Any

from django import template

from rapport.care.models import Episode
from rapport.core.instruments.model import family_title
from rapport.trajectories.models import ScoreStatus
from rapport.trajectories.queries import client_outcome_families, rule_words, stored_said

register = template.Library()


@register.inclusion_tag("trajectories/client_panel.html")
def trajectory_panel(episode: Episode | None) -> dict[str, Any]:
    """For the client page, whose episode was already loaded (and its read audited) through
    rapport.access: the latest classified score of each measure."""
    if episode is None:
        return {"episode": None, "latest": []}
    titles = client_outcome_families(episode.practice_id)
    latest: dict[str, ScoreStatus] = {}
    for status in ScoreStatus.objects.filter(episode=episode).select_related("response"):
        if status.family not in latest or status.at >= latest[status.family].at:
            latest[status.family] = status
    rows = [
        (
            family_title(titles[family]) if family in titles else family,
            status,
            rule_words(titles[family][0], episode.practice_id) if family in titles else "",
        )
        for family, status in sorted(latest.items())
    ]
    return {"episode": episode, "latest": rows}


@register.filter
def said(stored: str) -> str:
    """A fit's source or reason, stored in English, in the reader's language."""
    return stored_said(stored) if stored else stored
