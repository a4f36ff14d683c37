"""Stuck-case reviews for the matrix: an open one, opened by hand by the primary clinician, in
the own (adult), other (outsider's) and foreign episodes."""

from __future__ import annotations

from rapport.matching.services import review_open
from tests.authorization.matrix_cast import MatrixCast


def add_matching(cast: MatrixCast) -> None:
    for name, episode in (
        ("own", cast.adult_episode),
        ("other", cast.other_episode),
        ("foreign", cast.foreign_episode),
    ):
        cast.extra[f"{name}_review"] = review_open(actor=episode.primary_clinician, episode=episode)
