from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "rapport.measures"
    label = "measures"
