from __future__ import annotations

from django.db import models


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
