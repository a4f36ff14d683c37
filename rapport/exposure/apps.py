from django.apps import AppConfig


class ExposureConfig(AppConfig):
    name = "rapport.exposure"
    label = "exposure"
