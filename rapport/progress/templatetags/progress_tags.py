"""The progress panel on the client page, so the people app's view needs no change."""

from __future__ import annotations

from typing import Any

from django import template

from rapport.care.models import Episode
from rapport.charts.layout import NARROW, WIDE
from rapport.charts.progress import pixel_size
from rapport.measures.models import Response

register = template.Library()


@register.inclusion_tag("progress/client_panel.html")
def progress_panel(episode: Episode) -> dict[str, Any]:
    """A small chart of the episode's progress and a link to the full page with its tables.
    The client page has already loaded (and audited) the episode and its scores."""
    families = set(
        Response.objects.filter(
            episode=episode, total__isnull=False, assignment__plan__isnull=False
        )
        .exclude(assignment__plan__family="goal")
        .values_list("assignment__plan__family", flat=True)
    )
    panel_count = len(families)
    return {
        "episode": episode,
        "has_data": bool(families),
        "wide": pixel_size(WIDE, panel_count),
        "narrow": pixel_size(NARROW, panel_count),
    }
