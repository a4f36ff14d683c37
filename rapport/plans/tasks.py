from __future__ import annotations

from django.tasks import task

from rapport.plans.services import plan_reviews_check_all


@task
def check_plan_reviews() -> int:
    """Open "plan review due" alerts whose schedule (weeks or sessions) has been reached."""
    return plan_reviews_check_all()
