"""The plan's print page, for the client's records: staff print it from the plan, the client
(or a guardian, as their link's sharing allows) from the portal."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from rapport.consent import viewer_shared
from rapport.plans import queries
from rapport.plans.goal_status import goals_progress
from rapport.plans.models import PlanVersion, Problem
from rapport.plans.queries import Sharing


def printable_plan(
    request: HttpRequest, version: PlanVersion, sharing: Sharing | None = None
) -> HttpResponse:
    """The print page, for staff and the portal alike (a guardian's copy as `sharing` allows)."""
    sharing = sharing or Sharing()
    episode = version.episode
    return render(
        request,
        "plans/print.html",
        {
            "version": version,
            "client": episode.client,
            "practice": episode.practice,
            "clinician": episode.primary_clinician,
            "problems": viewer_shared(
                Problem.objects.filter(episode=episode), episode.client_id
            ).exclude(status="dropped"),
            "progress": goals_progress(
                episode, queries.episode_goals(version), withhold=not sharing.answers
            ),
            "sharing": sharing,
            "decisions": version.decisions.select_related("by"),
            "printed_on": timezone.localdate(timezone.now(), episode.practice.zone),
        },
    )
