"""From observation arrays to per-group sufficient sums: checks, missing values and grouping."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rapport.core.growth.likelihood import FloatArray, GroupSums, fixed_crossproduct, moment_start

MIN_GROUPS = 3
RESERVED_NAMES = frozenset({"intercept", "time"})
Missing = Literal["drop", "raise"]
SHOWN_ROWS = 5  # rows named in an error message


@dataclass(frozen=True)
class Prepared:
    """The data a fit needs, with time centred and scaled for the optimiser."""

    labels: NDArray[Any]  # sorted distinct group labels
    codes: NDArray[np.intp]  # group of each kept observation, an index into labels
    keep: NDArray[np.bool_] | None  # rows kept of those given; None when all are
    n_input: int
    time_scaled: FloatArray  # kept observations: (time − centre) / scale
    y_mean: float
    time_center: float
    time_scale: float
    covariate_names: tuple[str, ...]
    sums: GroupSums  # of the scaled time and of y − its mean
    start: FloatArray | None  # θ from moment estimates (scaled time axis)


def prepare(
    groups: ArrayLike,
    time: ArrayLike,
    score: ArrayLike,
    covariates: Mapping[str, ArrayLike] | None,
    missing: Missing,
) -> Prepared:
    if missing not in ("drop", "raise"):
        raise ValueError(f"missing must be 'drop' or 'raise', got {missing!r}")
    labels_in = np.asarray(groups)
    t = _numbers(time, "time")
    y = _numbers(score, "score")
    covs = {
        name: _numbers(values, f"covariate {name!r}") for name, values in (covariates or {}).items()
    }
    n_input = int(t.shape[0])
    for name, values in [("groups", labels_in), ("score", y), *covs.items()]:
        if values.ndim != 1 or values.shape[0] != n_input:
            raise ValueError(
                f"{name} has shape {values.shape}; expected one value per observation ({n_input})"
            )
    for name in covs:
        if name in RESERVED_NAMES or name.startswith("time:") or not name:
            raise ValueError(f"a covariate cannot be called {name!r}")

    # NaN marks a missing value; infinities are errors, not missing.
    ok = ~np.isnan(t) & ~np.isnan(y) & _present_labels(labels_in)
    for values in covs.values():
        ok &= ~np.isnan(values)
    for name, values in [("time", t), ("score", y), *covs.items()]:
        bad = np.isinf(values)
        if bad.any():
            raise ValueError(f"{name} is infinite in rows {_rows(bad)} (counting from 0)")
    keep: NDArray[np.bool_] | None = None
    if not ok.all():
        if missing == "raise":
            raise ValueError(
                f"missing values (NaN) in rows {_rows(~ok)} (counting from 0); "
                "drop them or fit with missing='drop'"
            )
        keep = ok
        labels_in, t, y = labels_in[ok], t[ok], y[ok]
        covs = {name: values[ok] for name, values in covs.items()}
    n = int(t.shape[0])

    labels, codes = _group_codes(labels_in)
    n_groups = int(labels.shape[0])
    if n_groups < MIN_GROUPS:
        raise ValueError(
            f"a growth model needs at least {MIN_GROUPS} groups (clients) with data, got {n_groups}"
        )
    c0 = np.bincount(codes, minlength=n_groups).astype(np.float64)
    center = float(t.mean())
    scale = float(t.std())
    ts = (t - center) / scale if scale > 0 else np.zeros_like(t)
    y_mean = float(y.mean())
    yc = y - y_mean
    # Per-group means, then sums of squares and products about them (a second pass, for
    # precision: see GroupSums).
    tbar = np.bincount(codes, ts, n_groups) / c0
    ybar = np.bincount(codes, yc, n_groups) / c0
    dt = ts - tbar[codes]
    dy = yc - ybar[codes]
    sxx = np.bincount(codes, dt * dt, n_groups)
    sxy = np.bincount(codes, dt * dy, n_groups)
    syy = np.bincount(codes, dy * dy, n_groups)
    flat = sxx <= 1e-12 * c0  # rounding's worth of spread: the time is constant
    sxx[flat] = 0.0
    sxy[flat] = 0.0
    if scale == 0 or flat.all():
        raise ValueError(
            "time is constant within every group, so a slope per group cannot be estimated"
        )
    if not (c0 >= 3).any():
        raise ValueError(
            "no group has three or more observations, so the residual variance cannot be told "
            "apart from the random intercepts and slopes"
        )
    omega = _group_level(covs, codes, n_groups, labels) if covs else None
    slope = np.divide(sxy, sxx, out=np.zeros_like(sxx), where=~flat)
    rss = np.maximum(syy - slope * sxy, 0.0)
    sums = GroupSums(n=n, c0=c0, tbar=tbar, ybar=ybar, sxx=sxx, sxy=sxy, rss=rss, omega=omega)
    _check_fixed_design(sums, tuple(covs))
    return Prepared(
        labels=labels,
        codes=codes,
        keep=keep,
        n_input=n_input,
        time_scaled=ts,
        y_mean=y_mean,
        time_center=center,
        time_scale=scale,
        covariate_names=tuple(covs),
        sums=sums,
        start=moment_start(sums),
    )


def _numbers(values: ArrayLike, name: str) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be one value per observation, got shape {array.shape}")
    return array


def _present_labels(labels: NDArray[Any]) -> NDArray[np.bool_]:
    if labels.dtype.kind == "f":
        present: NDArray[np.bool_] = ~np.isnan(labels)
        return present
    if labels.dtype.kind == "O":
        return np.array(
            [not (v is None or (isinstance(v, float) and math.isnan(v))) for v in labels],
            dtype=bool,
        )
    return np.ones(labels.shape, dtype=bool)


def _group_codes(labels: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.intp]]:
    """Sorted distinct labels and each observation's index into them."""
    if labels.dtype.kind in "iu" and labels.size:
        low = int(labels.min())
        span = int(labels.max()) - low + 1
        if span <= 4 * labels.size + 1024:  # dense integer ids: O(n) instead of a sort
            offsets = (labels - low).astype(np.intp)
            present = np.bincount(offsets, minlength=span) > 0
            index = np.cumsum(present, dtype=np.intp) - 1
            return (np.flatnonzero(present) + low).astype(labels.dtype), index[offsets]
    try:
        distinct, codes = np.unique(labels, return_inverse=True)
    except TypeError:
        raise ValueError("group labels must be all numbers or all text") from None
    return distinct, codes.astype(np.intp, copy=False)


def _group_level(
    covs: dict[str, FloatArray], codes: NDArray[np.intp], n_groups: int, labels: NDArray[Any]
) -> FloatArray:
    """Each covariate's value per group; it must be the same on all of a group's rows."""
    first = np.empty(n_groups, dtype=np.intp)
    positions = np.arange(codes.shape[0], dtype=np.intp)
    # With repeated indices the last assignment wins, so assigning in reverse keeps the first row.
    first[codes[::-1]] = positions[::-1]
    columns = []
    for name, values in covs.items():
        per_group = values[first]
        differs = values != per_group[codes]
        if differs.any():
            label = labels[codes[int(np.argmax(differs))]]
            raise ValueError(
                f"covariate {name!r} varies within group {label}; covariates are group-level "
                "(one value per client, such as the intake score)"
            )
        if np.ptp(per_group) == 0:
            raise ValueError(f"covariate {name!r} is the same for every group")
        columns.append(per_group)
    return np.column_stack(columns)


def _check_fixed_design(sums: GroupSums, names: tuple[str, ...]) -> None:
    """XᵀX (= A at D = 0) must be well conditioned once its columns are scaled."""
    a = fixed_crossproduct(sums.c0, sums.c1, sums.c2, sums)
    scale = np.sqrt(np.diag(a))
    corr = a / np.outer(scale, scale)
    if np.linalg.eigvalsh(corr)[0] < 1e-10:
        listed = ", ".join(names)
        raise ValueError(
            f"the fixed effects cannot all be estimated: the covariates ({listed}) and their "
            "interactions with time are collinear"
        )


def _rows(mask: NDArray[np.bool_]) -> str:
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(int(r)) for r in rows[:SHOWN_ROWS])
    return shown + (f" and {rows.size - SHOWN_ROWS} more" if rows.size > SHOWN_ROWS else "")
