from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "rapport.accounts"
    label = "accounts"

    def ready(self) -> None:
        from rapport import checks  # noqa: F401
        from rapport.accounts import signals  # noqa: F401
