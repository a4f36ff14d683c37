from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "rapport.progress"
    label = "progress"
