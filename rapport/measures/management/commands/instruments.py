from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.core.fhir import questionnaire_json
from rapport.core.instruments import Instrument, InstrumentError
from rapport.links import fhir_base
from rapport.measures.importing import instrument_import
from rapport.measures.models import InstrumentDefinition
from rapport.measures.registry import (
    builtin_documents,
    get_instrument,
    instruments_for,
    is_builtin,
)
from rapport.practices.models import Practice

AGE_ORDER = ("child", "adolescent", "adult")


def practice_or_error(practice_id: int | None) -> Practice | None:
    if practice_id is None:
        return None
    practice = Practice.objects.filter(pk=practice_id).first()
    if practice is None:
        raise CommandError(f"no practice with id {practice_id}")
    return practice


def read_json(path: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise CommandError(f"{path}: not UTF-8 text") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from error


class Command(BaseCommand):
    help = (
        "Work with instrument definitions: `list` them, `export` one as a FHIR R4 Questionnaire, "
        "or `import` a practice's own definition file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        listing = sub.add_parser(
            "list", help="Built-in instruments and a practice's imported ones."
        )
        listing.add_argument("--practice", type=int, help="Also list this practice's imports.")
        export = sub.add_parser("export", help="Print an instrument's FHIR R4 Questionnaire JSON.")
        export.add_argument("instrument_id")
        export.add_argument("--practice", type=int, help="Look among this practice's imports.")
        export.add_argument(
            "--definition",
            action="store_true",
            help="Print the whole definition (questionnaire and scoring) to edit and import.",
        )
        importing = sub.add_parser("import", help="Check a definition file and store it.")
        importing.add_argument("file")
        importing.add_argument("--practice", type=int, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_or_error(options.get("practice"))
        practice_id = practice.pk if practice else None
        match options["subcommand"]:
            case "list":
                self.list(practice_id)
            case "export":
                try:
                    instrument = get_instrument(options["instrument_id"], practice_id=practice_id)
                except LookupError as error:
                    raise CommandError(str(error.args[0])) from error
                document = (
                    {
                        "questionnaire": instrument.questionnaire,
                        "scoring": _scoring(instrument, practice_id),
                    }
                    if options.get("definition")
                    else questionnaire_json(instrument, _base())
                )
                self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
            case "import":
                assert practice is not None  # --practice is required
                self.import_file(options["file"], practice)

    def list(self, practice_id: int | None) -> None:
        header = ("id", "version", "title", "respondent", "ages", "kind", "source")
        rows = [
            (
                instrument.id,
                instrument.version,
                instrument.title,
                instrument.respondent,
                ",".join(age for age in AGE_ORDER if age in instrument.age_bands),
                instrument.kind,
                "built-in" if is_builtin(instrument.id) else "imported",
            )
            for instrument in sorted(instruments_for(practice_id), key=lambda i: i.id)
        ]
        widths = [max(len(row[n]) for row in [header, *rows]) for n in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )

    def import_file(self, path: str, practice: Practice) -> None:
        document = read_json(path)
        if not isinstance(document, dict):
            raise CommandError(f"{path}: the definition must be a JSON object")
        try:
            definition = instrument_import(practice=practice, document=document)
        except InstrumentError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            count = len(error.problems)
            raise CommandError(
                f"{path}: not imported ({count} problem{'s' if count != 1 else ''}); "
                "nothing was stored"
            ) from error
        self.stdout.write(
            f"Imported {definition.instrument_id} version {definition.version} "
            f"({definition.title}) for {practice.name}."
        )


def _base() -> str:
    try:
        return fhir_base()
    except ImproperlyConfigured as error:
        raise CommandError(str(error)) from error


def _scoring(instrument: Instrument, practice_id: int | None) -> dict[str, Any]:
    """The scoring part of a definition, as it was read (built-in or imported)."""
    builtin = builtin_documents().get(instrument.id)
    if builtin is not None:
        return dict(builtin["scoring"])
    if practice_id is None:  # only a practice imports definitions
        return {}
    found = (
        InstrumentDefinition.objects.filter(
            practice_id=practice_id, instrument_id=instrument.id, version=instrument.version
        )
        .order_by("-imported_at")
        .first()
    )
    return dict(found.document["scoring"]) if found else {}
