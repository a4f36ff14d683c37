from django.apps import AppConfig


class PracticesConfig(AppConfig):
    name = "rapport.practices"
    label = "practices"
