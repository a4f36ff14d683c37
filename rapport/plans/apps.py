from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "rapport.plans"
    label = "plans"
