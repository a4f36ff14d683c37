from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "rapport.interop"
    label = "interop"
