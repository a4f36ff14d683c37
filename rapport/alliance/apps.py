from django.apps import AppConfig


class AllianceConfig(AppConfig):
    name = "rapport.alliance"
    label = "alliance"
