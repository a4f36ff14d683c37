from __future__ import annotations

import uuid
from typing import Any

from django import template
from django.utils.translation import gettext, ngettext

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.care.models import Episode
from rapport.consent import viewer_shared
from rapport.core.benchmarks import PROGRESS_REASONS
from rapport.core.text import said_again
from rapport.figures import figure_said
from rapport.measures.wording import in_reader_language
from rapport.people.models import Client, GuardianLink
from rapport.plans import queries, services
from rapport.plans.goal_status import goals_progress, measure_families
from rapport.plans.models import Problem
from rapport.plans.queries import party_of, portal_version, sharing_for

register = template.Library()


@register.inclusion_tag("plans/client_panel.html")
def plan_panel(episode: Episode) -> dict[str, Any]:
    """The plan's summary on the client page (loaded by the page's own access check)."""
    version = queries.latest_version(episode)
    # What a handoff's consent withholds from the reader is left out (rapport.consent).
    alerts = viewer_shared(Alert.objects.filter(episode=episode), episode.client_id)
    return {
        "episode": episode,
        "version": version,
        "problems": viewer_shared(
            Problem.objects.filter(episode=episode), episode.client_id
        ).count(),
        "progress": goals_progress(episode, queries.episode_goals(version)),
        "review_due": alerts.filter(
            kind=Alert.Kind.PLAN_REVIEW, status__in=services.UNRESOLVED
        ).exists(),
        "changes_asked": alerts.filter(
            kind=Alert.Kind.PLAN_CHANGES, status__in=services.UNRESOLVED
        ).exists(),
    }


@register.inclusion_tag("plans/portal_panel.html")
def portal_plan_panel(user: User, client: Client, link: GuardianLink | None) -> dict[str, Any]:
    """A link to the plan on the portal home, saying when an answer is awaited."""
    version = portal_version(user, client)
    if version is None:
        return {"version": None}
    withhold = not sharing_for(user, client).answers
    progress = goals_progress(version.episode, queries.episode_goals(version), withhold=withhold)
    return {
        "version": version,
        "client": client,
        "link": link,
        "met": sum(1 for item in progress if item.is_met),
        "waiting": party_of(user) in queries.pending_for(version),
    }


@register.simple_tag
def submission_key() -> str:
    """A fresh key for each small form rendered on a page (see accounts.submission_once)."""
    return str(uuid.uuid4())


@register.simple_tag
def subscale_title(family: str, subscale: str, practice_id: int | None = None) -> str:
    """A subscale as people read it ("separation" → "Separation anxiety")."""
    instrument = measure_families(practice_id).get(family)
    return instrument.subscale_title(subscale) if instrument else subscale


@register.filter
def family_title(family: str, practice_id: int | None = None) -> str:
    """A measure family's short title ("gad7" → "GAD-7")."""
    instrument = measure_families(practice_id).get(family)
    return in_reader_language(instrument).short_title if instrument else family


@register.filter
def progress_said(reason: str) -> str:
    """Why a goal stands where it does, built in English, in the reader's language."""
    return (
        said_again(reason, PROGRESS_REASONS, gettext, ngettext, figure_said) if reason else reason
    )
