from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rapport.partitions import MONTHS_AHEAD, partitions_ensure


class Command(BaseCommand):
    help = (
        "PostgreSQL: make the monthly partitions of responses and audit events for this month "
        "and the next ones (README 'National scale'). Idempotent; the worker does the same every "
        "round when it runs as the tables' owner."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--months-ahead", type=int, default=MONTHS_AHEAD, choices=range(0, 25))

    def handle(self, *args: Any, **options: Any) -> None:
        made = partitions_ensure(months_ahead=options["months_ahead"])
        self.stdout.write("\n".join(made) if made else "every partition is there already")
