from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
from django.core.management.base import BaseCommand, CommandError, CommandParser
from numpy.typing import NDArray

from rapport.analysis.csvinput import (
    CsvInputError,
    CsvTable,
    empty_id,
    factorise,
    first_in_group,
    first_problem,
    ids,
    not_a_number,
    numbers,
    read_csv,
    same_value,
    same_values,
)
from rapport.core.change import (
    ChangeResult,
    CutoffKind,
    Direction,
    Method,
    reliable_change,
)

METHOD_NAMES = {
    Method.JT: "Jacobson–Truax",
    Method.GLN: "Gulliksen–Lord–Novick",
    Method.HLL: "Hsu–Linn–Lord",
    Method.EN: "Edwards–Nunnally",
    Method.NK: "Nunnally–Kotsch",
    Method.HA: "Hageman–Arrindell",
}
ALL = "all"


@dataclass(frozen=True)
class Pairs:
    n_total: int  # distinct clients in the file
    ids: list[str]  # clients with both scores, in order of first appearance
    pre: list[float]
    post: list[float]


class Command(BaseCommand):
    help = (
        "Reliable change and clinical significance (Jacobson & Truax 1991) of pre–post scores in "
        "a long-format CSV (one row per client and time point). Clients without both a pre and a "
        "post score are left out. Time values match as text or as numbers (1 matches 1.0); empty "
        "cells and NA are missing. The clinical mean and SD are those of the pre scores. Without "
        "--json, prints counts per method; with it, counts and each client's index and category."
    )
    # Reads a file and prints; nothing here depends on the database or the site's configuration.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="CSV or Parquet file in long format (- for standard input)."
        )
        parser.add_argument("--id", required=True, dest="id_column", help="Client id column.")
        parser.add_argument("--time", required=True, dest="time_column", help="Time column.")
        parser.add_argument("--score", required=True, dest="score_column", help="Score column.")
        parser.add_argument("--pre", required=True, help="Time value of the pre scores.")
        parser.add_argument("--post", required=True, help="Time value of the post scores.")
        parser.add_argument(
            "--reliability", required=True, type=float, help="Reliability of the measure, 0–1."
        )
        parser.add_argument(
            "--direction", required=True, choices=[d.value for d in Direction], help="Better is …"
        )
        parser.add_argument(
            "--method",
            default=Method.JT.value,
            choices=[*(m.value for m in Method), ALL],
            help="Change index (default jt). 'all' runs every method; nk only with "
            "--reliability-post.",
        )
        parser.add_argument(
            "--reliability-post", type=float, help="Post-test reliability (Nunnally–Kotsch)."
        )
        parser.add_argument(
            "--cutoff",
            choices=[k.value for k in CutoffKind],
            help="Cut-off for clinical significance; b and c need the functional norms.",
        )
        parser.add_argument("--functional-mean", type=float, help="Functional population mean.")
        parser.add_argument("--functional-sd", type=float, help="Functional population SD.")
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        methods = _methods(options)
        _check_options(options)
        try:
            roles = [options["id_column"], options["time_column"], options["score_column"]]
            table = read_csv(options["file"], roles)
            table.require(*roles)
            pairs = _pairs(table, options)
        except CsvInputError as error:
            raise CommandError(str(error)) from None

        results: dict[Method, ChangeResult] = {}
        for method in methods:
            try:
                results[method] = reliable_change(
                    pairs.pre,
                    pairs.post,
                    reliability=options["reliability"],
                    direction=options["direction"],
                    method=method,
                    reliability_post=options["reliability_post"],
                    cutoff=options["cutoff"],
                    functional_mean=options["functional_mean"],
                    functional_sd=options["functional_sd"],
                )
            except ValueError as error:
                raise CommandError(f"{METHOD_NAMES[method]}: {error}") from None

        cutoff = next(iter(results.values())).cutoff
        if options["json"]:
            self.stdout.write(json.dumps(_payload(pairs, cutoff, results), indent=2))
        else:
            self.stdout.write(_table(pairs, cutoff, results, options))


def _methods(options: dict[str, Any]) -> list[Method]:
    if options["method"] != ALL:
        try:
            method = Method(options["method"])
        except ValueError:
            choices = ", ".join([*(m.value for m in Method), ALL])
            raise CommandError(f"--method must be one of {choices}") from None
        if method is Method.NK and options["reliability_post"] is None:
            raise CommandError("--method nk needs --reliability-post")
        return [method]
    # Nunnally–Kotsch cannot run without a post-test reliability; "all" means all that can.
    return [m for m in Method if m is not Method.NK or options["reliability_post"] is not None]


def _check_options(options: dict[str, Any]) -> None:
    for flag, key in (("--reliability", "reliability"), ("--reliability-post", "reliability_post")):
        value = options[key]
        if value is not None and not 0 < value < 1:
            raise CommandError(f"{flag} must be between 0 and 1 (exclusive), got {value}")
    if options["direction"] not in {d.value for d in Direction}:
        raise CommandError(f"--direction must be lower or higher, got {options['direction']!r}")
    kind = options["cutoff"]
    norms_missing = options["functional_mean"] is None or options["functional_sd"] is None
    if kind in {CutoffKind.B, CutoffKind.C} and norms_missing:
        raise CommandError(f"--cutoff {kind} needs --functional-mean and --functional-sd")
    if kind is None and not norms_missing:
        raise CommandError("--functional-mean and --functional-sd are used only with --cutoff")
    if same_value(str(options["pre"]), str(options["post"])):
        raise CommandError(f"--pre and --post are the same time point ({options['pre']})")


def _pairs(table: CsvTable, options: dict[str, Any]) -> Pairs:
    id_col, time_col, score_col = (
        options["id_column"],
        options["time_column"],
        options["score_column"],
    )
    pre_time, post_time = str(options["pre"]), str(options["post"])
    names, empty = ids(table, id_col)
    clients, codes = factorise(names)  # every client in the file, in order of first appearance
    times = table.text(time_col)
    time_numbers = numbers(table, time_col)[0]
    is_pre = same_values(times, time_numbers, pre_time)
    is_post = ~is_pre & same_values(times, time_numbers, post_time)
    score, _, bad = numbers(table, score_col)
    checks = [
        (empty, empty_id(table, id_col)),
        (bad & (is_pre | is_post), not_a_number(table, score_col)),
    ]
    firsts = []
    for slot in (is_pre, is_post):
        first = first_in_group(codes, len(clients), slot)
        repeated = slot.copy()
        repeated[first[first >= 0]] = False
        checks.append((repeated, _twice(table, names, times, codes, first, options)))
        firsts.append(first)
    first_problem(checks)

    pre_row, post_row = firsts
    x1 = np.where(pre_row >= 0, score[np.maximum(pre_row, 0)], np.nan)
    x2 = np.where(post_row >= 0, score[np.maximum(post_row, 0)], np.nan)
    both = ~np.isnan(x1) & ~np.isnan(x2)
    if not both.any():
        seen = [str(value) for value in pc.unique(times).to_pylist()]
        shown = ", ".join(seen[:10]) + (", …" if len(seen) > 10 else "")
        raise CsvInputError(
            f"no client has both a pre ({time_col} {pre_time}) and a post ({time_col} "
            f"{post_time}) {score_col} score; {time_col} values in the file: {shown or 'none'}"
        )
    return Pairs(
        n_total=len(clients),
        ids=[client for client, used in zip(clients, both, strict=True) if used],
        pre=x1[both].tolist(),
        post=x2[both].tolist(),
    )


def _twice(
    table: CsvTable,
    names: pa.Array,
    times: pa.Array,
    codes: NDArray[np.int64],
    first: NDArray[np.int64],
    options: dict[str, Any],
) -> Callable[[int], str]:
    def message(i: int) -> str:
        earlier = table.row(int(first[codes[i]]))
        return (
            f"rows {earlier} and {table.row(i)}: {options['id_column']} {names[i].as_py()} has two "
            f"rows at {options['time_column']} {times[i].as_py()}"
        )

    return message


def _payload(
    pairs: Pairs, cutoff: float | None, results: dict[Method, ChangeResult]
) -> dict[str, Any]:
    return {
        "n_total": pairs.n_total,
        "n_used": len(pairs.ids),
        "cutoff": cutoff,
        "methods": {
            method.value: {
                "counts": {category.value: n for category, n in result.counts.items()},
                "clients": [
                    {"id": client, "pre": x1, "post": x2, "rci": float(rci), "category": category}
                    for client, x1, x2, rci, category in zip(
                        pairs.ids,
                        pairs.pre,
                        pairs.post,
                        result.index,
                        result.categories,
                        strict=True,
                    )
                ],
            }
            for method, result in results.items()
        },
    }


def _table(
    pairs: Pairs, cutoff: float | None, results: dict[Method, ChangeResult], options: dict[str, Any]
) -> str:
    first = next(iter(results.values()))
    lines = [
        f"{options['score_column']}: {len(pairs.ids)} of {pairs.n_total} clients have both a pre "
        f"({options['pre']}) and a post ({options['post']}) score; {options['direction']} is "
        f"better; reliability {options['reliability']:g}; S_diff {first.s_diff:.4f}",
    ]
    if cutoff is not None:
        lines.append(f"cut-off {options['cutoff']}: {cutoff:.4f}")
    categories = [c.value for c in first.counts]
    width = max(len(name) for name in METHOD_NAMES.values())
    lines.append(" ".join([f"{'method':<{width}}", *(f"{c:>13}" for c in categories)]))
    for method, result in results.items():
        counts = [f"{n:>13}" for n in result.counts.values()]
        lines.append(" ".join([f"{METHOD_NAMES[method]:<{width}}", *counts]))
    if options["method"] == ALL and Method.NK not in results:
        lines.append("(Nunnally–Kotsch left out: it needs --reliability-post)")
    return "\n".join(lines)
