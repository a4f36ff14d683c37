from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

# Loaded with the command, before the clock starts: fit_seconds is the fit itself.
import scipy.optimize  # type: ignore[import-untyped, unused-ignore]  # noqa: F401
from django.core.management.base import BaseCommand, CommandError, CommandParser
from numpy.typing import NDArray

from rapport.analysis.csvinput import (
    CsvInputError,
    CsvTable,
    empty_id,
    factorise,
    first_problem,
    ids,
    not_a_number,
    numbers,
    read_csv,
)
from rapport.core.change import Direction
from rapport.core.matching import DELTA, LEVEL, EffectivenessResult, fit_effectiveness

# Therapist effects reported in the literature are a few tenths of an intake SD at most: a δ of a
# whole SD would label nobody, and is more likely a slip (points, or a percentage) than a choice.
DELTA_LIMIT = 1.0


@dataclass(frozen=True)
class Episodes:
    n_rows: int
    therapist: NDArray[Any]
    domain: NDArray[Any]
    pre: NDArray[np.float64]
    post: NDArray[np.float64]
    covariates: dict[str, NDArray[Any]]

    @property
    def n_used(self) -> int:
        return int(self.pre.shape[0])


class Command(BaseCommand):
    help = (
        "Therapists: `effectiveness` estimates each therapist's effect per outcome domain on "
        "standardized pre–post change, adjusted for intake severity and any covariates, from "
        "closed episodes (one row each)."
    )
    # Reads a file and prints; nothing here depends on the database or the site's configuration.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        effectiveness = sub.add_parser(
            "effectiveness",
            help="A multilevel model of standardized improvement: a therapist effect shared "
            "across domains plus a deviation per domain, with empirical-Bayes estimates, "
            "intervals and labels (strength, caution, no evidence). Rows with an empty or NA "
            "pre, post or covariate are left out. fit_seconds in --json times the fit alone.",
        )
        effectiveness.add_argument(
            "file", help="CSV or Parquet file: one row per closed episode (- for standard input)."
        )
        effectiveness.add_argument("--therapist", required=True, help="Therapist id column.")
        effectiveness.add_argument("--domain", required=True, help="Outcome domain column.")
        effectiveness.add_argument("--pre", required=True, help="Intake score column.")
        effectiveness.add_argument("--post", required=True, help="Final score column.")
        effectiveness.add_argument(
            "--direction", required=True, help="Which way is better: lower or higher."
        )
        effectiveness.add_argument(
            "--covariate",
            action="append",
            default=[],
            dest="covariates",
            metavar="COL",
            help="Case-mix column (numbers, or categories such as an age band); may be repeated.",
        )
        effectiveness.add_argument(
            "--delta", default=str(DELTA), help=f"Smallest effect worth a label (default {DELTA})."
        )
        effectiveness.add_argument(
            "--level", default=str(LEVEL), help=f"Interval level (default {LEVEL})."
        )
        effectiveness.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        direction, delta, level = _settings(options)
        roles = [
            options["therapist"],
            options["domain"],
            options["pre"],
            options["post"],
            *options["covariates"],
        ]
        repeated = sorted({name for name in roles if roles.count(name) > 1})
        if repeated:
            raise CommandError(f"a column is given more than one role: {', '.join(repeated)}")
        try:
            table = read_csv(options["file"])
            table.require(*roles)
            episodes = _episodes(table, options)
        except CsvInputError as error:
            raise CommandError(str(error)) from None

        started = time.perf_counter()
        try:
            result = fit_effectiveness(
                episodes.therapist,
                episodes.domain,
                episodes.pre,
                episodes.post,
                direction=direction,
                covariates=episodes.covariates,
                delta=delta,
                level=level,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        seconds = time.perf_counter() - started

        if options["json"]:
            self.stdout.write(json.dumps(payload(result, episodes, seconds), indent=2))
        else:
            left_out = episodes.n_rows - episodes.n_used
            lines = [result.summary()]
            if left_out:
                lines.insert(
                    1, f"{left_out} of {episodes.n_rows} rows left out for a missing value"
                )
            lines.append(f"fitted in {seconds:.3f} s")
            self.stdout.write("\n".join(lines))


def _settings(options: dict[str, Any]) -> tuple[Direction, float, float]:
    try:
        direction = Direction(options["direction"])
    except ValueError:
        raise CommandError(
            f"--direction must be lower or higher, got {options['direction']!r}"
        ) from None
    delta = _number(options["delta"], "--delta")
    if not 0.0 <= delta < DELTA_LIMIT:
        raise CommandError(
            f"--delta must be at least 0 and below {DELTA_LIMIT:g} (intake SDs), got {delta:g}"
        )
    level = _number(options["level"], "--level")
    if not 0.0 < level < 1.0:
        raise CommandError(f"--level must be between 0 and 1 (exclusive), got {level:g}")
    return direction, delta, level


def _number(text: Any, flag: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise CommandError(f"{flag} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise CommandError(f"{flag} must be a finite number, got {text!r}")
    return value


def _episodes(table: CsvTable, options: dict[str, Any]) -> Episodes:
    therapist_col, domain_col = options["therapist"], options["domain"]
    therapist_ids, therapist_empty = ids(table, therapist_col)
    domain_ids, domain_empty = ids(table, domain_col)
    pre, pre_missing, pre_bad = numbers(table, options["pre"])
    post, post_missing, post_bad = numbers(table, options["post"])
    checks = [
        (therapist_empty, empty_id(table, therapist_col)),
        (domain_empty, empty_id(table, domain_col)),
        (pre_bad, not_a_number(table, options["pre"])),
        (post_bad, not_a_number(table, options["post"])),
    ]
    first_problem(checks)
    keep = ~pre_missing & ~post_missing
    covariates: dict[str, NDArray[Any]] = {}
    for column in options["covariates"]:
        values, missing, bad = numbers(table, column)
        if bad.any() and not (~missing & ~bad).any():
            # No cell is a number: categories (an age band), each distinct text a level.
            text = np.asarray(table.text(column).to_pylist(), dtype=object)
            covariates[column] = text
        else:
            # Numbers with a cell that is not one: a typo, reported by its row.
            first_problem([(bad, not_a_number(table, column))])
            covariates[column] = values
        keep &= ~missing
    if not keep.any():
        raise CsvInputError(
            f"no row has both a {options['pre']} and a {options['post']} score"
            + (" and every covariate" if options["covariates"] else "")
        )
    therapist_names, therapist_codes = factorise(therapist_ids)
    domain_names, domain_codes = factorise(domain_ids)
    return Episodes(
        n_rows=table.n_rows,
        therapist=np.asarray(therapist_names, dtype=object)[therapist_codes[keep]].astype(str),
        domain=np.asarray(domain_names, dtype=object)[domain_codes[keep]].astype(str),
        pre=pre[keep],
        post=post[keep],
        covariates={
            name: (values[keep].astype(str) if values.dtype == object else values[keep])
            for name, values in covariates.items()
        },
    )


def payload(result: EffectivenessResult, episodes: Episodes, seconds: float) -> dict[str, Any]:
    return {
        "n_rows": episodes.n_rows,
        "n_used": episodes.n_used,
        "n_therapists": result.n_therapists,
        "domains": list(result.domains),
        "intake_sd": result.intake_sd,
        "delta": result.delta,
        "level": result.level,
        "fixed": result.fixed,
        "variance_components": result.variance_components(),
        "likelihood_ratio": result.lr_statistic,
        "p_value": result.p_value,
        "preferences_only": result.preferences_only,
        "reason": result.reason,
        "therapists": result.records(),
        "fit_seconds": seconds,
    }
