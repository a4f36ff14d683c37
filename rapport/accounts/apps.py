from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "rapport.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Imported here, not at the top: both load every app's models, which exist only once
        # the registry is ready. The signal table belongs to no app; accounts, which already
        # registers the project-wide checks, connects it once.
        from rapport import checks  # noqa: F401, PLC0415 -- app registry not ready at import
        from rapport.signals import connect_reactions  # noqa: PLC0415 -- app registry not ready

        connect_reactions()
