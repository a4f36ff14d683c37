"""`rapport export csv|parquet --practice ID --out DIR [--identified --reason TEXT]`.

A practice's data for research: answers and scores (one row each), one row per episode, the
data dictionary and the items. Pseudonymised by default; `--identified` keeps ids, names and
dates and needs a reason, which the audit trail keeps with the export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.interop.queries import practice_for_export
from rapport.interop.research import (
    FORMATS,
    REASON_MIN,
    audit_research_export,
    write_research_export,
)


class Command(BaseCommand):
    help = (
        "Write a practice's answers, scores and episodes as CSV or Parquet files for research, "
        "with a data dictionary; pseudonymised unless --identified (with --reason). Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # Checked in handle rather than by argparse, whose refusal is a usage block.
        parser.add_argument("format", help="csv or parquet")
        parser.add_argument("--practice", type=int, required=True, help="The practice's id.")
        parser.add_argument("--out", required=True, help="A new or empty folder to write into.")
        parser.add_argument(
            "--identified",
            action="store_true",
            help="Keep database ids, names, dates and written answers (needs --reason).",
        )
        parser.add_argument("--reason", default="", help="Why identifiers are needed (audited).")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = options["format"]
        if fmt not in FORMATS:
            raise CommandError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
        reason = options["reason"].strip()
        identified = options["identified"]
        if identified and len(reason) < REASON_MIN:
            raise CommandError(
                f"an identified export needs --reason of at least {REASON_MIN} characters"
            )
        if reason and not identified:
            raise CommandError("--reason is for an identified export: add --identified")
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent}: no such folder")
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise CommandError(f"{out}: not an empty folder; name a new or empty one")
        practice = practice_for_export(options["practice"])
        if practice is None:
            raise CommandError(f"no practice with id {options['practice']}")
        try:
            out.mkdir(exist_ok=True)
            written = write_research_export(practice, out, fmt=fmt, identified=identified)
        except OSError as error:
            raise CommandError(f"{out}: {error.strerror or error}") from error
        audit_research_export(
            actor=None,
            practice=practice,
            written=written,
            fmt=fmt,
            identified=identified,
            reason=reason,
            via="command line",
        )
        rows = ", ".join(f"{n:,} {table}" for table, n in written.rows.items())
        kind = "identified" if identified else "pseudonymised"
        self.stdout.write(f"Wrote {rows} of practice {practice.pk} ({kind}, {fmt}) to {out}")
