from typing import Any

from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "rapport.plans"
    label = "plans"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from rapport.alerts.signals import alert_opened
        from rapport.care.models import Attendance, Session

        def review_prompted(sender: Any, alert: Any, **kwargs: Any) -> None:
            from rapport.plans.services import plan_review_prompted

            plan_review_prompted(alert=alert)

        def session_saved(sender: Any, instance: Session, **kwargs: Any) -> None:
            # An attended session may bring the review schedule due; nothing else can.
            if instance.attendance == Attendance.ATTENDED:
                from rapport.plans.services import plan_review_check

                plan_review_check(episode=instance.episode)

        alert_opened.connect(review_prompted, weak=False, dispatch_uid="plans-review-prompted")
        post_save.connect(
            session_saved, sender=Session, weak=False, dispatch_uid="plans-review-on-session"
        )
