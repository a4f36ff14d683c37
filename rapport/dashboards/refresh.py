"""Refreshing the stored dashboard figures: on demand, and from the worker when data changed.

The read of the whole practice takes seconds, so it runs outside any transaction and only the
short write of its result is one; the worker's sweep refreshes one practice at a time, so one
failure does not undo the others.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from rapport.accounts.models import User
from rapport.dashboards.models import DashboardSnapshot
from rapport.dashboards.queries import snapshot_values
from rapport.dashboards.reading import data_mark, database_mark
from rapport.dashboards.services import dashboard_snapshot_store
from rapport.practices.models import Practice
from rapport.routers import replica_reads


def dashboards_refresh(*, practice: Practice, actor: User | None = None) -> DashboardSnapshot:
    """Recompute every practice-dashboard figure from the database and store them: read on the
    replica when there is one (figures a few seconds behind are still the figures of the day),
    stored on the primary."""
    with replica_reads():
        values = snapshot_values(practice)
    return dashboard_snapshot_store(practice=practice, values=values, actor=actor)


def dashboards_refresh_due(*, now: datetime | None = None) -> int:
    """Refresh every practice whose figures are stale; how many were refreshed."""
    now = now or timezone.now()
    stored = {s.practice_id: s for s in DashboardSnapshot.objects.all()}
    refreshed = 0
    # Marks are read where the refresh reads, so that a replica's lag cannot make the stored
    # figures look stale forever; the whole-database part once for the sweep.
    with replica_reads():
        database = database_mark()
    for practice in Practice.objects.all():
        snapshot = stored.get(practice.pk)
        with replica_reads():
            mark = data_mark(practice.pk, database=database)
        if snapshot is None or snapshot.is_due(mark, now):
            dashboards_refresh(practice=practice)
            refreshed += 1
    return refreshed
