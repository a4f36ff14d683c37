from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.audit.services import audit_verify


class Command(BaseCommand):
    help = "Work with the audit trail. `rapport audit verify` checks the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="Check every event's hash and link; exit 1 on a break.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            report = audit_verify()
            if report.first_break is not None:
                brk = report.first_break
                raise CommandError(
                    f"audit chain broken at event {brk.sequence}: {brk.reason}", returncode=1
                )
            self.stdout.write(f"audit chain intact: {report.events_checked} events verified")
