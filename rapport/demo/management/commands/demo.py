from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.accounts.models import User
from rapport.demo.practice import (
    DEMO_PASSWORD,
    DemoAlreadyLoaded,
    DemoLogin,
    build_demo_practice,
)
from rapport.practices.models import Practice


class Command(BaseCommand):
    help = "Load a fictional demo practice with staff, clients and six months of sessions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load the demo only when the database has no practice yet (for first start).",
        )
        parser.add_argument(
            "--seed", type=int, default=7, help="Seed for the generated people and diaries."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo logins share one published password, so they must never reach production.
        if not settings.DEBUG:
            raise CommandError("The demo practice is for development only; set RAPPORT_DEBUG=1.")
        if options["if_empty"] and Practice.objects.exists():
            self.stdout.write("Database already has data; demo not loaded.")
            demo = Practice.objects.filter(is_demo=True).first()
            if demo is not None:
                # `make run` on an existing demo database still tells people how to sign in.
                users = User.objects.filter(practice=demo, email__endswith="@demo.rapport.test")
                self._print_logins(
                    [
                        DemoLogin(u.email, u.role, DEMO_PASSWORD)
                        for u in users.order_by("pk")
                        if u.has_usable_password()
                    ]
                )
            return
        try:
            summary = build_demo_practice(seed=options["seed"])
        except DemoAlreadyLoaded as error:
            raise CommandError(
                "A demo practice is already loaded; start from an empty database to load it again."
            ) from error
        counts = summary.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {summary.practice.name}: {counts['clients']} clients "
                f"({counts['minors']} under 18, {counts['guardians']} guardians), "
                f"{counts['sessions']} sessions; {counts['former_clients']} former clients "
                f"with {counts['former_sessions']} sessions in closed episodes."
            )
        )
        self._print_logins(summary.logins)

    def _print_logins(self, logins: list[DemoLogin]) -> None:
        if not logins:
            return
        self.stdout.write("Demo logins:")
        width = max(len(login.email) for login in logins) + 3
        for login in logins:
            self.stdout.write(f"  {login.email:<{width}}{login.role:<12}{login.password}")
