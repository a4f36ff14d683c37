"""The growth model's speed: against statsmodels MixedLM, and at a million observations.

(a) About 40,000 observations of 5,000 clients, score ~ week + (week | client) by REML: rapport's
    fit time (best of 3) against one statsmodels MixedLM fit of the same data (model building
    included on both sides), and how far apart their estimates are.
(b) About 1,000,000 observations of 100,000 clients: rapport's fit time (best of 3), and the time
    `rapport growth` takes to read the same data from a CSV file, which is not part of the fit.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rapport.benchmarks.practice import Practice, synthetic_practice
from rapport.core.growth import GrowthFit, fit_growth

RATIO_GOAL = 200.0  # rapport at least this many times faster than statsmodels at 40k observations
MILLION_GOAL_S = 0.5  # seconds for one fit of a million observations
REPEATS = 3


def best_of(repeats: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def fit(data: Practice, covariates: bool = False) -> GrowthFit:
    extra = {"intake": data.intake} if covariates else None
    return fit_growth(data.client, data.week, data.score, extra)


def where_the_time_goes(work: Callable[[], Any], out: Callable[[str], None]) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(work)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(20)
    for line in text.getvalue().splitlines():
        if line.strip():
            out(f"    {line}")


def against_statsmodels(out: Callable[[str], None]) -> bool:
    try:
        import pandas as pd  # type: ignore[import-untyped, unused-ignore]
        import statsmodels.formula.api as smf  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        out("growth 40k obs: statsmodels is not installed (pip install -e '.[dev]'): MISSED")
        return False

    data = synthetic_practice(n_clients=5_000, mean_sessions=8)
    fit(data)  # first call: imports scipy.optimize
    ours, result = best_of(REPEATS, lambda: fit(data))
    frame = pd.DataFrame({"score": data.score, "week": data.week, "client": data.client})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels warns about its own optimiser on the way
        started = time.perf_counter()
        model = smf.mixedlm("score ~ week", frame, groups=frame["client"], re_formula="~week")
        theirs = model.fit(reml=True)
        baseline = time.perf_counter() - started
    ratio = baseline / ours
    ok = ratio >= RATIO_GOAL
    label = f"growth {data.n_obs / 1000:.0f}k obs ({data.n_clients:,} clients, REML)"
    out(
        f"{label}: rapport {ours:.4f} s (best of {REPEATS}), statsmodels {baseline:.1f} s (once), "
        f"ratio {ratio:,.0f}x (goal >= {RATIO_GOAL:.0f}x) {'OK' if ok else 'MISSED'}"
    )
    fixed = np.max(np.abs(result.coef / theirs.fe_params.to_numpy() - 1.0))
    ours_vc = np.array([*result.random_cov[np.triu_indices(2)], result.residual_sd**2])
    theirs_vc = np.array([*theirs.cov_re.to_numpy()[np.triu_indices(2)], theirs.scale])
    components = np.max(np.abs(ours_vc / theirs_vc - 1.0))
    out(
        f"{label}: max relative difference from statsmodels: fixed effects {fixed:.1e}, variance "
        f"components {components:.1e} (statsmodels converged: {theirs.converged}; "
        f"log-likelihoods {result.loglik:.4f} vs {theirs.llf:.4f})"
    )
    if not ok:
        out("  where rapport's time goes:")
        where_the_time_goes(lambda: fit(data), out)
    return ok


def at_a_million(out: Callable[[str], None]) -> bool:
    data = synthetic_practice(n_clients=100_000, mean_sessions=10)
    label = f"growth {data.n_obs / 1e6:.1f}M obs ({data.n_clients:,} clients, REML)"
    ours, result = best_of(REPEATS, lambda: fit(data))
    ok = ours <= MILLION_GOAL_S
    out(
        f"{label}: rapport {ours:.3f} s (best of {REPEATS}; {result.evaluations} likelihood "
        f"evaluations) (goal <= {MILLION_GOAL_S} s) {'OK' if ok else 'MISSED'}"
    )
    with_intake, _ = best_of(REPEATS, lambda: fit(data, covariates=True))
    out(f"{label}: with intake and time:intake as fixed effects {with_intake:.3f} s (best of 3)")
    if not ok:
        out("  where rapport's time goes:")
        where_the_time_goes(lambda: fit(data), out)

    from rapport.analysis.csvinput import read_csv
    from rapport.analysis.growth import growth_data

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "practice.csv"
        lines = ["client,week,score,intake"]
        lines += [
            f"{c},{w:g},{s:g},{i:g}"
            for c, w, s, i in zip(
                data.client.tolist(),
                data.week.tolist(),
                data.score.tolist(),
                data.intake.tolist(),
                strict=True,
            )
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        size = path.stat().st_size
        started = time.perf_counter()
        table = read_csv(path)
        parsed = time.perf_counter()
        arrays = growth_data(table, "client", "week", "score", [])
        done = time.perf_counter()
    assert arrays.time.shape[0] == data.n_obs
    out(
        f"{label}: reading the {size / 1e6:.0f} MB CSV as `rapport growth` does "
        f"{done - started:.1f} s (read_csv {parsed - started:.1f} s, to arrays "
        f"{done - parsed:.1f} s; once, not part of the fit)"
    )
    return ok


def run(out: Callable[[str], None] = print) -> bool:
    out(
        f"growth model benchmarks ({os.cpu_count()} CPUs, NumPy {np.__version__}); "
        "fit times include grouping and sufficient statistics"
    )
    first = against_statsmodels(out)
    second = at_a_million(out)
    return first and second
