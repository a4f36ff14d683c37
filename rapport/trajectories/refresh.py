"""Refitting expected trajectories: on demand, and from the worker once a day per practice.

The read of a practice's scores takes seconds, so it runs before the refit's transaction, on the
replica when there is one (rapport.routers); only the fit's writes are one transaction.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from rapport.accounts.models import User
from rapport.care.models import Episode
from rapport.practices.models import Practice
from rapport.routers import PRIMARY, read_alias, replica_reads
from rapport.trajectories.models import ExpectedTrajectory
from rapport.trajectories.queries import practice_scores
from rapport.trajectories.services import trajectories_refit

REFRESH_EVERY = timedelta(days=1)
# How far behind the primary a replica may be when the refit reads it: scores classified in this
# time before the read keep their classification on arrival, whether the read saw them or not.
REPLICA_LAG_ALLOWANCE = timedelta(minutes=5)


def trajectories_refresh(
    *, practice: Practice, actor: User | None = None
) -> list[ExpectedTrajectory]:
    """Refit every measure's expected trajectory and reclassify every stored score, silently:
    alerts belong to the moment a score comes in, not to a recalculation of the past."""
    with replica_reads():
        behind = REPLICA_LAG_ALLOWANCE if read_alias() != PRIMARY else timedelta(0)
        scores = practice_scores(practice.pk, as_of=timezone.now() - behind)
    fits = trajectories_refit(practice=practice, actor=actor, scores=scores)
    return [fit.expected for fit in fits]


def trajectories_refresh_due(*, every: timedelta = REFRESH_EVERY) -> int:
    """Refresh each practice with client scores whose trajectories are older than `every`: one
    transaction per practice, so one failure does not undo the others."""
    cutoff = timezone.now() - every
    with_scores = Episode.objects.filter(responses__respondent="client").values("practice_id")
    refreshed = 0
    for practice in Practice.objects.filter(pk__in=with_scores):
        oldest = (
            ExpectedTrajectory.objects.filter(practice=practice)
            .order_by("fitted_at")
            .values_list("fitted_at", flat=True)
            .first()
        )
        if oldest is None or oldest < cutoff:
            trajectories_refresh(practice=practice)
            refreshed += 1
    return refreshed
