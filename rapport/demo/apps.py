from django.apps import AppConfig


class DemoConfig(AppConfig):
    # An app only so that Django finds its `demo` command; it has no models.
    name = "rapport.demo"
    label = "demo"
