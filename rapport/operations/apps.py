from django.apps import AppConfig


class OperationsConfig(AppConfig):
    # An app only so that Django finds its commands; it has no models.
    name = "rapport.operations"
    label = "operations"
