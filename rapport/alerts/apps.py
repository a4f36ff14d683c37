from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "rapport.alerts"
    label = "alerts"
