"""`rapport score`: an instrument's scores for each administration in a CSV file.

It keeps its own reader (Python's csv module), not the analysis commands' Arrow one
(rapport.analysis.csvinput), for three reasons. Its errors name each row's physical line as well
as its number, and Arrow's parser does not say on which line a row began or ended (a quoted cell
may hold line breaks), so those messages could not stay as they are. It echoes every row as
written, pass-through columns included, and Arrow would first have to turn each block back into
rows. And its time goes into scoring and validating each row in Python, not into reading: a
columnar reader would save nothing.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.core.instruments import Instrument, ScoreResult, score, validate_answers
from rapport.measures.registry import get_instrument
from rapport.practices.models import Practice

ADDED = ("total", "band", "prorated", "missing", "flags")


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _allowed(instrument: Instrument, link_id: str) -> str:
    item = instrument.item(link_id)
    if item.kind == "choice":
        return "; allowed: " + ", ".join(str(option.value) for option in item.options)
    if item.kind == "slider":
        return f"; allowed: {item.min_value} to {item.max_value}"
    return ""


class Command(BaseCommand):
    help = (
        "Score a CSV file of administrations: one row each, item columns named by linkId (other "
        "columns are passed through). Adds total, one column per subscale (subscale_<name>), "
        "band, prorated, missing and flags. Nothing is written unless every row is valid."
    )
    # Reads a file and prints (with --practice, that practice's imported instruments too): the
    # site's checks would import every page's code first, two thirds of its start-up time.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("instrument_id")
        parser.add_argument(
            "file", help="CSV file (UTF-8) with a header row; - for standard input."
        )
        parser.add_argument("--practice", type=int, help="For instruments the practice imported.")
        parser.add_argument("--output", help="Write the scored CSV here instead of stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        practice_id = options.get("practice")
        if practice_id is not None and not Practice.objects.filter(pk=practice_id).exists():
            raise CommandError(f"no practice with id {practice_id}")
        try:
            instrument = get_instrument(options["instrument_id"], practice_id=practice_id)
        except LookupError as error:
            raise CommandError(str(error.args[0])) from error
        path = options["file"]
        output = options.get("output")
        if output and path != "-" and Path(output).resolve() == Path(path).resolve():
            raise CommandError(
                f"{output}: the output would overwrite the input; choose another file"
            )
        header, rows = self.read(path, instrument)
        added = ["total", *(f"subscale_{name}" for name in instrument.subscales)]
        added += ["band", "prorated", "missing", "flags"]
        clash = [name for name in added if name in header]
        if clash:
            raise CommandError(f"{path}: the file already has a column named '{clash[0]}'")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*header, *added])
        for row, result in rows:
            writer.writerow([*row, *self.cells(instrument, result)])
        if options.get("output"):
            try:
                Path(options["output"]).write_text(out.getvalue(), encoding="utf-8")
            except OSError as error:
                raise CommandError(f"{options['output']}: {error.strerror or error}") from error
            self.stderr.write(f"Scored {len(rows)} rows into {options['output']}.")
        else:
            self.stdout.write(out.getvalue(), ending="")

    def read(
        self, path: str, instrument: Instrument
    ) -> tuple[list[str], list[tuple[list[str], ScoreResult]]]:
        name = "standard input" if path == "-" else path
        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
        except OSError as error:
            raise CommandError(f"{name}: {error.strerror or error}") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{name}: not UTF-8 text") from error
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader, None)
            if not header or not any(cell.strip() for cell in header):
                raise CommandError(f"{name}: the file is empty (a header row is needed)")
            header = [cell.strip() for cell in header]
            duplicates = sorted({name for name in header if header.count(name) > 1})
            if duplicates:
                raise CommandError(f"{name}: the column '{duplicates[0]}' appears twice")
            absent = [
                item.link_id for item in instrument.scored_items if item.link_id not in header
            ]
            if absent:
                raise CommandError(
                    f"{name}: no column for item(s) {', '.join(absent)} of {instrument.id}"
                )
            columns = {
                item.link_id: header.index(item.link_id)
                for item in instrument.items
                if item.link_id in header
            }
            rows: list[tuple[list[str], ScoreResult]] = []
            for number, row in enumerate(reader, start=1):
                where = f"{name}: row {number} (line {reader.line_num})"
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise CommandError(
                        f"{where}: {len(row)} values for {len(header)} columns in the header"
                    )
                answers = {link: row[n] for link, n in columns.items()}
                errors = validate_answers(instrument, answers, require=False)
                if errors:
                    link, message = next(iter(errors.items()))
                    raise CommandError(
                        f"{where}, column '{link}': {message} "
                        f"(found {answers[link].strip()!r}{_allowed(instrument, link)})"
                    )
                rows.append((row, score(instrument, answers)))
        except csv.Error as error:
            raise CommandError(f"{name}: line {reader.line_num}: {error}") from error
        return header, rows

    def cells(self, instrument: Instrument, result: ScoreResult) -> list[str]:
        return [
            _number(result.total),
            *(_number(result.subscales[name]) for name in instrument.subscales),
            result.band.label if result.band else "",
            "true" if result.prorated else "false",
            ";".join(result.missing),
            ";".join(
                f"{flag.link_id}{' (urgent)' if flag.urgent else ''}" for flag in result.flags
            ),
        ]
