"""Growth-curve input: a researcher's long-format CSV table as the arrays `fit_growth` takes,
and a fitted model as plain JSON values."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rapport.analysis.csvinput import CsvInputError, CsvTable, normalise_id, parse_number
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
    index: dict[str, int] = {}
    client: list[int] = []
    times: list[float] = []
    scores: list[float] = []
    first: list[list[float | None]] = [[] for _ in covariates]  # per client, per covariate
    n_missing = 0
    for row in table.rows:
        cells = row.cells
        name = normalise_id(cells[id_col])
        if not name:
            raise CsvInputError(f"row {row.number}: {id_col} is empty")
        if name not in index:
            index[name] = len(index)
            for values in first:
                values.append(None)
        code = index[name]
        for values, column in zip(first, covariates, strict=True):
            if values[code] is None:
                values[code] = parse_number(cells[column], column=column, row=row.number)
        t = parse_number(cells[time_col], column=time_col, row=row.number)
        y = parse_number(cells[score_col], column=score_col, row=row.number)
        if t is None or y is None:
            n_missing += 1
            continue
        client.append(code)
        times.append(t)
        scores.append(y)

    codes = np.array(client, dtype=np.int64)
    time_array = np.array(times, dtype=np.float64)
    score_array = np.array(scores, dtype=np.float64)
    per_client = {
        column: np.array([math.nan if v is None else v for v in values])
        for column, values in zip(covariates, first, strict=True)
    }
    if per_client:
        known = np.ones(len(index), dtype=bool)
        for per_row in per_client.values():
            known &= ~np.isnan(per_row)
        kept = known[codes]
        n_missing += int((~kept).sum())
        codes, time_array, score_array = codes[kept], time_array[kept], score_array[kept]
    # Clients left with no rows are not counted (fit_growth would not see them either).
    present = np.zeros(len(index), dtype=bool)
    present[codes] = True
    renumber = np.cumsum(present) - 1
    ids = [name for name, seen in zip(index, present, strict=True) if seen]
    return GrowthData(
        ids=ids,
        client=renumber[codes],
        time=time_array,
        score=score_array,
        covariates={
            column: values[present][renumber[codes]] for column, values in per_client.items()
        },
        n_rows=len(table.rows),
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
