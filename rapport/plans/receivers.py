"""How plans react to alerts and sessions; connected in rapport/signals.py."""

from __future__ import annotations

from typing import Any

from rapport.alerts.models import Alert
from rapport.care.models import Attendance, Session
from rapport.plans.services import plan_review_check, plan_review_prompted


def review_prompted(sender: Any, alert: Alert, **kwargs: Any) -> None:
    plan_review_prompted(alert=alert)


def session_saved(sender: Any, instance: Session, **kwargs: Any) -> None:
    # An attended session may bring the review schedule due; nothing else can.
    if instance.attendance == Attendance.ATTENDED:
        plan_review_check(episode=instance.episode)
