"""Problem lists and plans for the matrix: one problem and two plan versions per episode.

Each of the own (adult), other (outsider's), foreign and adolescent episodes gets a problem,
version 1 proposed to the client (with a goal linked to the problem and PLANS_PRIVATE in its
private formulation) and version 2, a draft copied from it.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from rapport.care.models import Episode
from rapport.plans import services
from tests.authorization.matrix_cast import MatrixCast

# The therapist's private formulation: never on a client's or guardian's page.
PLANS_PRIVATE = "PLANS-PRIVATE-FORMULATION-e1b5"


def plan_in(cast: MatrixCast, name: str, episode: Episode) -> None:
    actor = episode.primary_clinician
    problem = services.problem_add(
        actor=actor,
        episode=episode,
        title="Worry",
        client_words="I worry all day",
        description="",
        onset="",
        status="active",
        measure_families=["gad7"],
    )
    first = services.plan_draft_start(actor=actor, episode=episode, reason="First plan")
    services.plan_draft_update(actor=actor, version=first, private_formulation=PLANS_PRIVATE)
    goal = services.goal_add(
        actor=actor,
        version=first,
        problems=[problem],
        title="Worry less",
        target_date=timezone.localdate() + timedelta(weeks=10),
        benchmark="rating",
        family="",
        subscale="",
        target=7.0,
        count_direction="at_least",
    )
    first = services.plan_propose(actor=actor, version=first)
    draft = services.plan_draft_start(actor=actor, episode=episode, reason="Review after 6")
    cast.extra[f"plans_{name}_problem"] = problem
    cast.extra[f"plans_{name}_version"] = first
    cast.extra[f"plans_{name}_draft"] = draft
    cast.extra[f"plans_{name}_goal"] = draft.goals.get(key=goal.key)


def add_plans(cast: MatrixCast) -> None:
    for name, episode in (
        ("own", cast.adult_episode),
        ("other", cast.other_episode),
        ("foreign", cast.foreign_episode),
        ("teen", cast.adolescent_episode),
    ):
        plan_in(cast, name, episode)
