from typing import Any

from django.apps import AppConfig


class TrajectoriesConfig(AppConfig):
    name = "rapport.trajectories"
    label = "trajectories"

    def ready(self) -> None:
        from rapport.measures.signals import response_submitted

        def classify(sender: Any, response: Any, **kwargs: Any) -> None:
            from rapport.trajectories.services import trajectory_classify

            trajectory_classify(response=response)

        response_submitted.connect(classify, weak=False, dispatch_uid="trajectories-classify")
