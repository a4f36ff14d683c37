from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    # An app only so that Django finds its commands; it has no models.
    name = "rapport.analysis"
    label = "analysis"
