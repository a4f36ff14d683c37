"""Growth-curve input: a researcher's long-format table as the arrays `fit_growth` takes,
and a fitted model as plain JSON values."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rapport.analysis.csvinput import (
    CsvTable,
    empty_id,
    factorise,
    first_in_group,
    first_problem,
    ids,
    not_a_number,
    numbers,
)
from rapport.core.growth import GrowthFit


@dataclass(frozen=True)
class GrowthData:
    """A long-format table as arrays, ready for fit_growth."""

    ids: list[str]  # distinct clients with data, in order of first appearance
    client: NDArray[np.int64]  # index into ids, one per observation
    time: NDArray[np.float64]
    score: NDArray[np.float64]
    covariates: dict[str, NDArray[np.float64]]  # each client's first value, on all its rows
    n_rows: int  # data rows in the file
    n_missing: int  # rows left out for an empty or NA time, score or covariate


def growth_data(
    table: CsvTable, id_col: str, time_col: str, score_col: str, covariates: list[str]
) -> GrowthData:
    """The table's arrays; an error names the first row a reader going row by row would stop at
    (a covariate is read on a client's rows only until it has a value)."""
    names, empty = ids(table, id_col)
    labels, codes = factorise(names)
    del names  # the ids' indices: on a large file, as much memory as the codes
    n_clients = len(labels)
    checks: list[tuple[NDArray[np.bool_], Callable[[int], str]]] = [
        (empty, empty_id(table, id_col))
    ]
    per_client: dict[str, NDArray[np.float64]] = {}
    for column in covariates:
        values, missing, bad = numbers(table, column)
        first = first_in_group(codes, n_clients, ~missing)
        has = first >= 0
        read_bad = np.zeros(table.n_rows, dtype=bool)
        read_bad[first[has]] = bad[first[has]]
        checks.append((read_bad, not_a_number(table, column)))
        per_client[column] = np.where(has, values[np.maximum(first, 0)], math.nan)
    t, t_missing, t_bad = numbers(table, time_col)
    y, y_missing, y_bad = numbers(table, score_col)
    checks += [(t_bad, not_a_number(table, time_col)), (y_bad, not_a_number(table, score_col))]
    first_problem(checks)

    complete = ~(t_missing | y_missing)
    n_missing = int((~complete).sum())
    if per_client:
        known = np.ones(n_clients, dtype=bool)
        for values in per_client.values():
            known &= ~np.isnan(values)
        n_missing += int((complete & ~known[codes]).sum())
        complete &= known[codes]
    if complete.all():  # the usual case: the arrays are used as they are, not copied
        return GrowthData(
            ids=labels,
            client=codes,
            time=t,
            score=y,
            covariates={column: values[codes] for column, values in per_client.items()},
            n_rows=table.n_rows,
            n_missing=n_missing,
        )
    kept = codes[complete]
    # Clients left with no rows are not counted (fit_growth would not see them either).
    present = np.zeros(n_clients, dtype=bool)
    present[kept] = True
    renumber = np.cumsum(present) - 1
    return GrowthData(
        ids=[name for name, seen in zip(labels, present, strict=True) if seen],
        client=renumber[kept],
        time=t[complete],
        score=y[complete],
        covariates={column: values[kept] for column, values in per_client.items()},
        n_rows=table.n_rows,
        n_missing=n_missing,
    )


def payload(fit: GrowthFit, seconds: float) -> dict[str, Any]:
    return {
        "n_obs": fit.n_obs,
        "n_groups": fit.n_groups,
        "method": fit.method.value,
        "fixed": {name: _number(v) for name, v in fit.fixed.items()},
        "se": {name: _number(v) for name, v in fit.standard_errors.items()},
        "random": {
            "sd_intercept": _number(fit.sd_intercept),
            "sd_time": _number(fit.sd_time),
            "corr": _number(fit.corr),
        },
        "residual_sd": _number(fit.residual_sd),
        "loglik": _number(fit.loglik),
        "criterion": _number(fit.criterion),
        "converged": fit.converged,
        "fit_seconds": seconds,
    }


def _number(value: float) -> float | None:
    """JSON has no NaN: an undefined value (a correlation with a zero SD) is null."""
    return float(value) if math.isfinite(value) else None
