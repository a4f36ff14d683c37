from typing import Any

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "rapport.alerts"
    label = "alerts"

    def ready(self) -> None:
        from rapport.alerts.signals import alert_opened

        def urgent_opened(sender: Any, alert: Any, **kwargs: Any) -> None:
            from rapport.alerts.notify import notify_on_commit

            notify_on_commit(alert)

        alert_opened.connect(urgent_opened, weak=False, dispatch_uid="alerts-urgent-notice")
