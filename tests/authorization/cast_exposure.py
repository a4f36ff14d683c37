"""Fear ladders for the matrix: one with a step in each of the cast's episodes."""

from __future__ import annotations

from rapport.care.models import Episode
from rapport.exposure.models import Ladder
from rapport.exposure.services import ladder_create
from tests.authorization.matrix_cast import MatrixCast


def ladder_in(episode: Episode) -> Ladder:
    return ladder_create(
        actor=episode.primary_clinician,
        episode=episode,
        title="Matrix ladder",
        steps=[("Stand at the bus stop", 30), ("Ride two stops", 60)],
    )


def add_exposure(cast: MatrixCast) -> None:
    """Own (the adult's), other (outsider's), foreign, and the adolescent's, for the portal."""
    for name, episode in (
        ("own", cast.adult_episode),
        ("other", cast.other_episode),
        ("foreign", cast.foreign_episode),
        ("teen", cast.adolescent_episode),
    ):
        ladder = ladder_in(episode)
        cast.extra[f"exposure_{name}_ladder"] = ladder
        cast.extra[f"exposure_{name}_step"] = ladder.steps.first()
