from django.apps import AppConfig


class TrajectoriesConfig(AppConfig):
    name = "rapport.trajectories"
    label = "trajectories"
