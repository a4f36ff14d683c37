from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "rapport.matching"
    label = "matching"
