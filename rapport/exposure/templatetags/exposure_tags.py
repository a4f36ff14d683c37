"""Fear ladders on other apps' pages: the client page (clinicians) and the portal home."""

from __future__ import annotations

from typing import Any

from django import template

from rapport import access
from rapport.care.models import Episode
from rapport.exposure.models import Ladder
from rapport.exposure.queries import LadderOverview, ladder_overview

register = template.Library()


@register.simple_tag
def episode_ladder_overviews(episode: Episode) -> list[LadderOverview]:
    """For the client page, already loaded (and its read audited) through rapport.access."""
    ladders = Ladder.objects.filter(episode=episode).select_related("episode")
    return [ladder_overview(ladder, goals={}) for ladder in ladders]


@register.simple_tag(takes_context=True)
def portal_ladders_of(context: dict[str, Any], client: Any) -> list[Ladder]:
    """The ladders the signed-in client or guardian may open for this young person or self."""
    user = context["request"].user
    return list(access.portal_list(user, Ladder).filter(episode__client=client))
