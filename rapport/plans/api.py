"""API: an episode's treatment plan (read only). The private formulation never leaves Rapport
this way, as it never leaves in an export."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from django.http import HttpRequest
from ninja import Router

from rapport import access
from rapport.api.auth import caller
from rapport.api.schemas import REFUSALS, Strict
from rapport.care.models import Episode
from rapport.consent import viewer_shared
from rapport.plans.models import PlanVersion, Problem
from rapport.plans.queries import accepted_version, episode_goals, latest_version

router = Router(tags=["plans"])


class GoalOut(Strict):
    key: uuid.UUID
    title: str
    target_date: date | None
    benchmark: str
    family: str
    subscale: str
    target: float | None
    count_direction: str
    position: int
    problem_ids: list[int]


class PlanOut(Strict):
    id: int
    number: int
    status: str
    reason: str
    shared_formulation: str
    approach: str
    session_frequency: str
    modality: str
    participants: str
    review_every: int
    review_unit: str
    created_at: datetime
    proposed_at: datetime | None
    decided_at: datetime | None
    goals: list[GoalOut]


class ProblemOut(Strict):
    id: int
    title: str
    client_words: str
    description: str
    status: str
    priority: int
    measure_families: list[str]


class EpisodePlan(Strict):
    episode_id: int
    accepted: PlanOut | None
    latest: PlanOut | None
    problems: list[ProblemOut]


def _plan_out(version: PlanVersion | None) -> PlanOut | None:
    if version is None:
        return None
    goals = [
        GoalOut.model_validate(
            {
                **{
                    name: getattr(goal, name)
                    for name in GoalOut.model_fields
                    if name != "problem_ids"
                },
                "problem_ids": sorted(p.pk for p in goal.problems.all()),
            }
        )
        for goal in episode_goals(version)
    ]
    fields = {name: getattr(version, name) for name in PlanOut.model_fields if name != "goals"}
    return PlanOut.model_validate({**fields, "goals": goals})


@router.get("/episodes/{episode_id}/plan", response={200: EpisodePlan, **REFUSALS})
def episode_plan(request: HttpRequest, episode_id: int) -> EpisodePlan:
    """The plan the client accepted, the latest version shown to them (which may be the same),
    and the problem list, in the client's order."""
    user = caller(request, "read")
    episode = access.load(user, Episode, episode_id)
    problems = list(
        viewer_shared(Problem.objects.filter(episode=episode), episode.client_id).order_by(
            "priority", "pk"
        )
    )
    return EpisodePlan(
        episode_id=episode.pk,
        accepted=_plan_out(accepted_version(episode)),
        latest=_plan_out(latest_version(episode)),
        problems=[ProblemOut.model_validate(p, from_attributes=True) for p in problems],
    )
