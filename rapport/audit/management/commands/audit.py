from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.audit.queries import audit_verify
from rapport.audit.services import audit_checkpoint_write


class Command(BaseCommand):
    help = (
        "Work with the audit trail. `rapport audit verify` checks the keyed chain against the "
        "signed checkpoints; `rapport audit checkpoint` writes a checkpoint now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser(
            "verify", help="Check every event and the checkpoints; exit 1 on the first problem."
        )
        sub.add_parser(
            "checkpoint",
            help="Sign the chain's head into the checkpoint directory (outside the database).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "checkpoint":
            checkpoint = audit_checkpoint_write()
            self.stdout.write(
                f"audit checkpoint written at event {checkpoint.sequence} (key {checkpoint.key_id})"
            )
            return
        report = audit_verify()
        if report.first_break is not None:
            brk = report.first_break
            raise CommandError(
                f"audit chain broken at event {brk.sequence}: {brk.reason}", returncode=1
            )
        if report.problem:
            raise CommandError(f"audit trail not verified: {report.problem}", returncode=1)
        against = (
            f", matching the checkpoint at event {report.checkpoint.sequence}"
            if report.checkpoint
            else ""
        )
        self.stdout.write(f"audit chain intact: {report.events_checked} events verified{against}")
