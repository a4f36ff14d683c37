from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "rapport.care"
    label = "care"
