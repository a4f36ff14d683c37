from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models

# The worker refreshes a practice whose data changed at most this often, and every practice at
# least daily (a therapist's name, a transfer between clinicians).
REFRESH_AFTER_CHANGE = timedelta(minutes=10)
REFRESH_ANYWAY = timedelta(days=1)


class DashboardSnapshot(models.Model):
    """Every practice-dashboard figure, computed in the background and read by the pages.

    Computing the figures reads every administration of the practice; pages must answer at
    once, so they only ever read this row. `data_mark` summarises the data the figures were
    computed from, so the worker can tell when they have gone stale.
    """

    practice = models.OneToOneField(
        "practices.Practice", on_delete=models.CASCADE, related_name="dashboard_snapshot"
    )
    computed_at = models.DateTimeField()
    seconds = models.FloatField(help_text="How long the refresh took, reading included.")
    figures = models.JSONField()
    clients = models.PositiveIntegerField(default=0)
    episodes = models.PositiveIntegerField(default=0)
    closed_episodes = models.PositiveIntegerField(default=0)
    administrations = models.PositiveIntegerField(default=0)
    data_mark = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return (
            f"Dashboard figures of practice {self.practice_id} at {self.computed_at:%Y-%m-%d %H:%M}"
        )

    def is_due(self, mark: str, now: datetime) -> bool:
        """Whether the worker should recompute these figures, given the practice's data mark now."""
        age = now - self.computed_at
        changed = self.data_mark != mark
        return (changed and age >= REFRESH_AFTER_CHANGE) or age >= REFRESH_ANYWAY
