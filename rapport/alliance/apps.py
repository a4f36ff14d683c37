from typing import Any

from django.apps import AppConfig


class AllianceConfig(AppConfig):
    name = "rapport.alliance"
    label = "alliance"

    def ready(self) -> None:
        from rapport.measures.signals import assignments_preparing, response_submitted

        def plan_feedback(sender: Any, episode: Any, **kwargs: Any) -> None:
            from rapport.alliance.services import feedback_plans_ensure

            feedback_plans_ensure(episode=episode)

        def evaluate(sender: Any, response: Any, **kwargs: Any) -> None:
            from rapport.alliance.services import alliance_evaluate

            alliance_evaluate(response=response)

        assignments_preparing.connect(plan_feedback, weak=False, dispatch_uid="alliance-plans")
        response_submitted.connect(evaluate, weak=False, dispatch_uid="alliance-evaluate")
