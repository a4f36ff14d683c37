from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.care.models import Episode
from rapport.reports.printing import report_pdf
from rapport.reports.queries import AUDIENCES, CLINICIAN, KINDS, Reader, report_of
from rapport.reports.services import report_issue


class Command(BaseCommand):
    help = (
        "Print a report to PDF: `rapport report progress|plan --episode ID "
        "[--audience client|clinician] --out FILE.pdf`. The client's copy holds what the "
        "client sees in the portal; the issue is audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("--episode", type=int, required=True, help="The episode's id.")
        parser.add_argument("--audience", choices=AUDIENCES, default=CLINICIAN)
        parser.add_argument("--out", type=Path, required=True, help="The PDF file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if not out.parent.is_dir():
            raise CommandError(f"cannot write {out}: no directory {out.parent}")
        episode = (
            Episode.objects.filter(pk=options["episode"])
            .select_related("client", "practice", "primary_clinician")
            .first()
        )
        if episode is None:
            raise CommandError(f"no episode with id {options['episode']}")
        kind, reader = options["kind"], Reader(options["audience"])
        pdf = report_pdf(kind, reader.audience, report_of(kind, episode, reader))
        try:
            out.write_bytes(pdf)
        except OSError as error:
            raise CommandError(f"cannot write {out}: {error.strerror}") from error
        report_issue(
            actor=None,
            episode=episode,
            kind=kind,
            for_whom=reader.for_whom,
            fmt="pdf",
            via="command",
        )
        self.stdout.write(f"{out}: {kind} report ({reader.audience}), {len(pdf)} bytes")
