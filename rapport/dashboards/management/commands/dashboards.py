from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.dashboards.refresh import dashboards_refresh
from rapport.practices.models import Practice


class Command(BaseCommand):
    help = "Dashboard figures: `rapport dashboards refresh [--practice ID]` recomputes them now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh"])
        parser.add_argument("--practice", type=int, help="Only this practice (its id).")

    def handle(self, *args: Any, **options: Any) -> None:
        practices = Practice.objects.order_by("pk")
        if options["practice"] is not None:
            practices = practices.filter(pk=options["practice"])
            if not practices.exists():
                raise CommandError(f"no practice with id {options['practice']}")
        for practice in practices:
            snapshot = dashboards_refresh(practice=practice)
            self.stdout.write(
                f"{practice.name}: {snapshot.episodes} episodes, {snapshot.closed_episodes} "
                f"closed, {snapshot.administrations} administrations read in "
                f"{snapshot.seconds:.2f} s"
            )
