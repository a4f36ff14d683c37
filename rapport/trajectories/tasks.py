from __future__ import annotations

from django.tasks import task

from rapport.trajectories.refresh import trajectories_refresh_due


@task
def refresh_due_trajectories() -> int:
    """Refit expected trajectories of practices not refreshed in the last day."""
    return trajectories_refresh_due()
