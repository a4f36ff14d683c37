"""`rapport fhir export --client ID --out PATH`: a client's record as a FHIR R4 Bundle file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.interop.queries import system_client_export


class Command(BaseCommand):
    help = (
        "Exchange records as FHIR R4: `export` one client's whole record (all their episodes, "
        "private notes never) as a collection Bundle. The export is audited as made by the system."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        export = sub.add_parser("export", help="Write one client's record as a FHIR R4 Bundle.")
        export.add_argument("--client", type=int, required=True, help="The client's id.")
        export.add_argument("--out", required=True, help="The file to write.")
        export.add_argument(
            "--format",
            choices=["bundle"],
            default="bundle",
            help="bundle: one collection Bundle as JSON (the only format so far).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        if out.is_dir():
            raise CommandError(f"{out}: is a folder; name the file to write")
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent}: no such folder")
        try:
            exported = system_client_export(options["client"])
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        if exported is None:
            raise CommandError(f"no client with id {options['client']}")
        client, bundle = exported
        text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{out}: {error.strerror or error}") from error
        self.stdout.write(f"Wrote {len(bundle['entry'])} resources of client {client.pk} to {out}")
