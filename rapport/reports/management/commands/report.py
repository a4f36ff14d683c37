from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rapport.care.models import Episode
from rapport.practices.models import Practice
from rapport.reports.printing import report_pdf
from rapport.reports.queries import (
    AUDIENCES,
    CLINICIAN,
    KINDS,
    DischargeLetterReport,
    EpisodeStillOpen,
    Reader,
    month_asked,
    practice_report,
    report_of,
)
from rapport.reports.services import practice_report_issue, report_issue


class Command(BaseCommand):
    help = (
        "Print a report to PDF: `rapport report progress|plan|discharge --episode ID "
        "[--audience client|clinician] --out FILE.pdf`, or `rapport report practice "
        "--practice ID --month YYYY-MM --out FILE.pdf`. The client's copy holds what the "
        "client sees in the portal; the issue is audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=(*KINDS, "practice"))
        parser.add_argument("--episode", type=int, help="The episode's id.")
        parser.add_argument("--practice", type=int, help="The practice's id (practice report).")
        parser.add_argument("--month", help="The month, YYYY-MM (practice report).")
        parser.add_argument("--audience", choices=AUDIENCES, default=CLINICIAN)
        parser.add_argument("--out", type=Path, required=True, help="The PDF file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if not out.parent.is_dir():
            raise CommandError(f"cannot write {out}: no directory {out.parent}")
        if options["kind"] == "practice":
            pdf, said = self._practice(options)
        else:
            pdf, said = self._episode(options)
        try:
            out.write_bytes(pdf)
        except OSError as error:
            raise CommandError(f"cannot write {out}: {error.strerror}") from error
        said()
        self.stdout.write(f"{out}: {options['kind']} report, {len(pdf)} bytes")

    def _practice(self, options: dict[str, Any]) -> tuple[bytes, Any]:
        if options["episode"] is not None or options["practice"] is None or not options["month"]:
            raise CommandError("a practice report takes --practice ID and --month YYYY-MM")
        practice = Practice.objects.filter(pk=options["practice"]).first()
        if practice is None:
            raise CommandError(f"no practice with id {options['practice']}")
        try:
            first = month_asked(options["month"], timezone.localdate(timezone.now(), practice.zone))
        except ValueError as problem:
            raise CommandError(str(problem)) from None
        pdf = report_pdf("practice", CLINICIAN, practice_report(practice, first))
        return pdf, lambda: practice_report_issue(
            actor=None, practice=practice, month=options["month"], fmt="pdf", via="command"
        )

    def _episode(self, options: dict[str, Any]) -> tuple[bytes, Any]:
        kind = options["kind"]
        if options["episode"] is None or options["practice"] is not None or options["month"]:
            raise CommandError(f"a {kind} report takes --episode ID")
        episode = (
            Episode.objects.filter(pk=options["episode"])
            .select_related("client", "practice", "primary_clinician")
            .first()
        )
        if episode is None:
            raise CommandError(f"no episode with id {options['episode']}")
        reader = Reader(options["audience"])
        try:
            report = report_of(kind, episode, reader)
        except EpisodeStillOpen:
            raise CommandError(
                f"episode {episode.pk} is still open: it has no discharge letter"
            ) from None
        if isinstance(report, DischargeLetterReport) and report.letter is None:
            raise CommandError(f"the discharge letter of episode {episode.pk} is not written yet")
        pdf = report_pdf(kind, reader.audience, report)
        return pdf, lambda: report_issue(
            actor=None,
            episode=episode,
            kind=kind,
            for_whom=reader.for_whom,
            fmt="pdf",
            via="command",
        )
