"""`rapport fhir export (--client ID | --practice ID) [--format bundle|ndjson] --out PATH`.

A client's record, or a whole practice's, as FHIR R4: one collection Bundle (a JSON file), or
Bulk-data style NDJSON (a folder with one `<ResourceType>.ndjson` per type and its manifest).
A practice is written as it is read, a client at a time, so memory stays flat however many
clients it has.
Every export is audited as made by the system (an operator with the server's keys).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rapport.core.fhir.resources import collection_bundle_text, resource_id
from rapport.interop.importing import MANIFEST, import_summary, plan_import, read_import
from rapport.interop.queries import (
    Tally,
    audit_practice_export,
    practice_for_export,
    practice_resources,
    system_client_export,
)
from rapport.interop.services import fhir_import
from rapport.links import fhir_base

FORMATS = ("bundle", "ndjson")


def _check_out(out: Path, fmt: str) -> None:
    """Refuse, before anything is read or written, a place the export cannot go."""
    if not out.parent.is_dir():
        raise CommandError(f"{out.parent}: no such folder")
    if fmt == "bundle" and out.is_dir():
        raise CommandError(f"{out}: is a folder; name the file to write")
    if fmt == "ndjson":
        if out.exists() and not out.is_dir():
            raise CommandError(f"{out}: is a file; NDJSON is written to a folder")
        if out.is_dir() and any(out.glob("*.ndjson")):
            raise CommandError(f"{out}: holds an earlier export; name an empty or new folder")


def write_bundle(resources: Iterable[dict[str, Any]], out: Path, base: str) -> None:
    with out.open("w", encoding="utf-8") as handle:
        for piece in collection_bundle_text(resources, base=base):
            handle.write(piece)


def write_ndjson(resources: Iterable[dict[str, Any]], out: Path, request: str) -> None:
    """One line per resource in the file of its type, each file opened when its first resource
    comes; then the Bulk-data manifest, whose `request` (the export asked of this server's FHIR
    base) tells an import that these resources are this server's own."""
    out.mkdir(exist_ok=True)
    started = timezone.now()
    with ExitStack() as files:
        handles: dict[str, TextIO] = {}
        for resource in resources:
            kind = resource["resourceType"]
            if kind not in handles:
                handles[kind] = files.enter_context(
                    (out / f"{kind}.ndjson").open("w", encoding="utf-8")
                )
            handles[kind].write(json.dumps(resource, ensure_ascii=False) + "\n")
    manifest = {
        "transactionTime": started.isoformat(),
        "request": request,
        "requiresAccessToken": False,
        "output": [{"type": kind, "url": f"{kind}.ndjson"} for kind in handles],
        "error": [],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


class Command(BaseCommand):
    help = (
        "Exchange records as FHIR R4: `export` one client's whole record (all their episodes) "
        "or a whole practice's, private notes never, as a collection Bundle or as NDJSON. "
        "The export is audited as made by the system."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        export = sub.add_parser("export", help="Write a client's or a practice's records.")
        whose = export.add_mutually_exclusive_group(required=True)
        whose.add_argument("--client", type=int, help="One client's id.")
        whose.add_argument("--practice", type=int, help="A practice's id: all its clients.")
        importing = sub.add_parser(
            "import",
            help="Check a Bundle file or NDJSON folder and store what it holds (all or nothing).",
        )
        importing.add_argument("path", help="A Bundle JSON file or a folder of .ndjson files.")
        importing.add_argument("--practice", type=int, required=True, help="The practice's id.")
        importing.add_argument(
            "--dry-run",
            action="store_true",
            help="Check and say what would be stored; store nothing.",
        )
        export.add_argument(
            "--out", required=True, help="The file (bundle) or folder (ndjson) to write."
        )
        # Checked in handle rather than by argparse, whose refusal is a usage block.
        export.add_argument(
            "--format",
            default="bundle",
            help="bundle: one collection Bundle as JSON; ndjson: one <Type>.ndjson per type.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "import":
            self.import_path(Path(options["path"]), options["practice"], options["dry_run"])
            return
        out = Path(options["out"])
        fmt = options["format"]
        if fmt not in FORMATS:
            raise CommandError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
        _check_out(out, fmt)
        try:
            base = fhir_base()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        try:
            if options["client"] is not None:
                self.export_client(options["client"], out, fmt, base)
            else:
                self.export_practice(options["practice"], out, fmt, base)
        except OSError as error:
            raise CommandError(f"{out}: {error.strerror or error}") from error

    def import_path(self, path: Path, practice_id: int, dry_run: bool) -> None:
        practice = practice_for_export(practice_id)
        if practice is None:
            raise CommandError(f"no practice with id {practice_id}")
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder")
        try:
            base = fhir_base()
            resources, sources, problems = read_import(path)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot be read ({error})") from error
        plan = plan_import(resources, practice.pk, base, sources)
        plan.problems[:0] = problems
        if plan.problems:
            for problem in plan.problems:
                self.stderr.write(str(problem))
            count = len(plan.problems)
            raise CommandError(
                f"{path}: not imported ({count} problem{'s' if count != 1 else ''}); "
                "nothing was stored"
            )
        for line in import_summary(plan, dry_run=dry_run):
            self.stdout.write(line)
        if not dry_run:
            fhir_import(practice=practice, plan=plan)

    def export_client(self, client_id: int, out: Path, fmt: str, base: str) -> None:
        exported = system_client_export(client_id)
        if exported is None:
            raise CommandError(f"no client with id {client_id}")
        client, bundle = exported
        if fmt == "bundle":
            text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
            out.write_text(text, encoding="utf-8")
        else:
            patient = resource_id("Patient", client.pk)
            write_ndjson(
                (entry["resource"] for entry in bundle["entry"]),
                out,
                f"{base}/Patient/{patient}/$everything",
            )
        self.stdout.write(f"Wrote {len(bundle['entry'])} resources of client {client.pk} to {out}")

    def export_practice(self, practice_id: int, out: Path, fmt: str, base: str) -> None:
        practice = practice_for_export(practice_id)
        if practice is None:
            raise CommandError(f"no practice with id {practice_id}")
        tally = Tally()
        resources: Iterator[dict[str, Any]] = tally.counted(practice_resources(practice, base))
        if fmt == "bundle":
            write_bundle(resources, out, base)
        else:
            write_ndjson(resources, out, f"{base}/$export")
        audit_practice_export(None, practice, tally, fmt=f"fhir-r4-{fmt}", via="command line")
        clients = tally.resources.get("Patient", 0)
        self.stdout.write(
            f"Wrote {tally.total} resources of {clients} clients of practice {practice.pk} to {out}"
        )
