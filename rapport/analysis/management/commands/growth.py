from __future__ import annotations

import json
import math
import sys
import time
from typing import Any

import numpy as np

# Loaded with the command, before the clock starts: fit_seconds is the fit itself.
import scipy.optimize  # type: ignore[import-untyped, unused-ignore]  # noqa: F401
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.analysis.csvinput import CsvInputError, read_csv
from rapport.analysis.growth import GrowthData, growth_data, payload
from rapport.core.growth import GrowthFit, fit_growth

TRANSFORMS = ("none", "log1p")


class Command(BaseCommand):
    help = (
        "Growth curves: a linear mixed model of a score over time with a random intercept and "
        "slope per client (lme4: score ~ time + (time | id)), fitted by REML or, with --ml, ML. "
        "Each --covariate is a client-level variable (each client's first non-missing value is "
        "used, e.g. the intake score) entering on its own and with time ('time:COL'). Rows with "
        "an empty or NA time or score are left out, and so are a client's rows when its "
        "covariate is missing on all of them. fit_seconds in --json times the fit alone."
    )
    # Reads a file and prints; nothing here depends on the database or the site's configuration.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            help="CSV or Parquet file in long format: one row per client and time (- for standard "
            "input).",
        )
        parser.add_argument("--id", required=True, dest="id_column", help="Client id column.")
        parser.add_argument("--time", required=True, dest="time_column", help="Time column.")
        parser.add_argument("--score", required=True, dest="score_column", help="Score column.")
        parser.add_argument(
            "--time-transform",
            choices=TRANSFORMS,
            default="none",
            help="none (default) or log1p: log(1 + time), for change that slows down.",
        )
        parser.add_argument(
            "--covariate",
            action="append",
            default=[],
            dest="covariates",
            metavar="COL",
            help="Client-level covariate column; may be given more than once.",
        )
        parser.add_argument("--ml", action="store_true", help="Maximum likelihood, not REML.")
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        id_col, time_col, score_col = (
            options["id_column"],
            options["time_column"],
            options["score_column"],
        )
        covariates: list[str] = options["covariates"]
        roles = [id_col, time_col, score_col, *covariates]
        repeated = sorted({name for name in roles if roles.count(name) > 1})
        if repeated:
            raise CommandError(f"a column is given more than one role: {', '.join(repeated)}")
        if options["time_transform"] not in TRANSFORMS:
            raise CommandError(f"--time-transform must be one of {', '.join(TRANSFORMS)}")
        try:
            table = read_csv(options["file"], roles)
            table.require(*roles)
            data = growth_data(table, id_col, time_col, score_col, covariates)
        except CsvInputError as error:
            raise CommandError(str(error)) from None

        times = data.time
        if options["time_transform"] == "log1p":
            if data.time.size and float(data.time.min()) <= -1.0:
                raise CommandError(f"--time-transform log1p needs every {time_col} above -1")
            times = np.log1p(data.time)

        started = time.perf_counter()
        try:
            fit = fit_growth(
                data.client,
                times,
                data.score,
                data.covariates,
                method="ML" if options["ml"] else "REML",
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        seconds = time.perf_counter() - started

        if not fit.converged:
            print(f"warning: the growth model {fit.message}", file=sys.stderr)
        if options["json"]:
            self.stdout.write(json.dumps(payload(fit, seconds), indent=2))
        else:
            self.stdout.write(_report(fit, data, seconds, options))


def _report(fit: GrowthFit, data: GrowthData, seconds: float, options: dict[str, Any]) -> str:
    time_name = options["time_column"]
    if options["time_transform"] == "log1p":
        time_name = f"log1p({time_name})"
    lines = [
        f"{options['score_column']} over {time_name}, {fit.method.value}: {fit.n_obs} observations "
        f"of {fit.n_groups} clients",
    ]
    if data.n_missing:
        lines.append(f"{data.n_missing} of {data.n_rows} rows left out for a missing value")
    width = max(len("fixed effects"), *(len(name) for name in fit.names))
    lines.append(f"{'fixed effects':<{width}} {'estimate':>12} {'SE':>10}")
    for name, estimate, se in zip(fit.names, fit.coef, fit.se, strict=True):
        lines.append(f"{name:<{width}} {estimate:>12.4f} {se:>10.4f}")
    corr = "undefined" if math.isnan(fit.corr) else f"{fit.corr:.3f}"
    lines += [
        f"{'random effects':<{width}} {'SD':>12}",
        f"{'intercept':<{width}} {fit.sd_intercept:>12.4f}",
        f"{'time':<{width}} {fit.sd_time:>12.4f}",
        f"{'residual':<{width}} {fit.residual_sd:>12.4f}",
        f"intercept–slope correlation {corr}",
        f"{'REML criterion' if fit.method.value == 'REML' else 'deviance'} {fit.criterion:.4f}, "
        f"log-likelihood {fit.loglik:.4f}",
        f"{fit.message}; fitted in {seconds:.3f} s",
    ]
    return "\n".join(lines)
