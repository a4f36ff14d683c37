from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "rapport.dashboards"
    label = "dashboards"
