from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.analysis.csvinput import (
    CsvInputError,
    empty_id,
    factorise,
    first_in_group,
    first_problem,
    ids,
    not_a_number,
    numbers,
    read_csv,
)
from rapport.core.change import Direction
from rapport.core.suddengains import BDI_MIN_GAIN, MIN_PERCENT, SuddenGainsResult, sudden_gains


class Command(BaseCommand):
    help = (
        "Sudden gains (Tang & DeRubeis 1999) and their reversals in a wide-format CSV: one row per "
        "client, one column per session, sessions in the order given by --columns. Empty cells "
        "and NA are missing. A gain's 'session' is the column of its post-gain score (the first "
        "session after the gain); 'pregain' is the score in the column before it."
    )
    # Reads a file and prints; nothing here depends on the database or the site's configuration.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="CSV or Parquet file in wide format (- for standard input)."
        )
        parser.add_argument("--id", required=True, dest="id_column", help="Client id column.")
        parser.add_argument(
            "--columns", required=True, help="Session columns in session order, comma-separated."
        )
        parser.add_argument(
            "--min-gain",
            type=float,
            default=BDI_MIN_GAIN,
            help=f"Criterion 1: smallest gain in points (default {BDI_MIN_GAIN:g}, for the BDI).",
        )
        parser.add_argument(
            "--min-percent",
            type=float,
            default=MIN_PERCENT,
            help=f"Criterion 2: smallest gain, %% of the pre-gain score (default {MIN_PERCENT:g}).",
        )
        parser.add_argument(
            "--direction",
            choices=[d.value for d in Direction],
            default=Direction.LOWER.value,
            help="Which scores are better (default lower, as on the BDI).",
        )
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        columns = [name.strip() for name in options["columns"].split(",") if name.strip()]
        if not columns:
            raise CommandError("--columns names no columns")
        duplicates = sorted({name for name in columns if columns.count(name) > 1})
        if duplicates:
            raise CommandError(f"--columns names a column more than once: {', '.join(duplicates)}")
        id_col = options["id_column"]
        try:
            table = read_csv(options["file"], [id_col, *columns])
            table.require(id_col, *columns)
            names, empty = ids(table, id_col)
            labels, codes = factorise(names)
            first = first_in_group(codes, len(labels), np.ones(table.n_rows, dtype=bool))
            repeated = first[codes] != np.arange(codes.size)

            def twice(i: int) -> str:
                earlier = table.row(int(first[codes[i]]))
                return (
                    f"rows {earlier} and {table.row(i)}: {id_col} {labels[codes[i]]} appears twice"
                )

            checks = [(empty, empty_id(table, id_col)), (repeated, twice)]
            scores = []
            for column in columns:
                values, _, bad = numbers(table, column)
                checks.append((bad, not_a_number(table, column)))
                scores.append(values)
            first_problem(checks)
        except CsvInputError as error:
            raise CommandError(str(error)) from None
        if not labels:
            raise CommandError(f"{table.path.name} has a header but no clients")

        try:
            result = sudden_gains(
                np.column_stack(scores),
                min_gain=options["min_gain"],
                min_percent=options["min_percent"],
                direction=options["direction"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from None

        if options["json"]:
            self.stdout.write(json.dumps(_payload(result, labels, columns), indent=2))
        else:
            self.stdout.write(_report(result, labels, columns))


def _payload(result: SuddenGainsResult, ids: list[str], columns: list[str]) -> dict[str, Any]:
    return {
        "n_gains": result.n_gains,
        "n_clients_with_gain": result.n_clients_with_gain,
        "n_reversals": result.n_reversals,
        "gains": [
            {
                "id": ids[gain.client],
                "session": columns[gain.postgain_session],
                "pregain": gain.pregain,
                "postgain": gain.postgain,
                "magnitude": gain.magnitude,
                "reversed": gain.reversed,
            }
            for gain in result.gains
        ],
    }


def _report(result: SuddenGainsResult, ids: list[str], columns: list[str]) -> str:
    lines = [
        f"{result.n_gains} sudden gains; {result.n_clients_with_gain} of {result.n_clients} "
        f"clients have at least one; {result.n_reversals} reversed",
    ]
    if result.gains:
        spread = "" if math.isnan(result.sd_magnitude) else f" (SD {result.sd_magnitude:.2f})"
        lines.append(f"mean magnitude {result.mean_magnitude:.2f}{spread}")
        width = max(len(ids[gain.client]) for gain in result.gains)
        width = max(width, len("id"))
        session_width = max(len("session"), *(len(c) for c in columns))
        lines.append(
            f"{'id':<{width}} {'session':<{session_width}} "
            f"{'pregain':>8} {'postgain':>8} {'magnitude':>9} reversed"
        )
        for gain in result.gains:
            lines.append(
                f"{ids[gain.client]:<{width}} {columns[gain.postgain_session]:<{session_width}} "
                f"{gain.pregain:>8g} {gain.postgain:>8g} {gain.magnitude:>9g} "
                f"{'yes' if gain.reversed else 'no'}"
            )
    return "\n".join(lines)
