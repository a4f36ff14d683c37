"""The growth model's speed: against statsmodels MixedLM, and at a million observations.

(a) About 40,000 observations of 5,000 clients, score ~ week + (week | client) by REML: rapport's
    fit time (best of 3) against one statsmodels MixedLM fit of the same data (model building
    included on both sides), and how far apart their estimates are.
(b) About 1,000,000 observations of 100,000 clients: rapport's fit time (best of 3).
(c) The same on harder data (practice.hard_practice): times in days at uneven gaps, strongly
    correlated random effects, residuals from a t distribution with 3 degrees of freedom.
(d) Text client ids against integer ids, from the table read to the fit.
(e) Reading the 1M-row CSV, and a Parquet file of the same data, to arrays as `rapport growth`
    does, each in a fresh process: time, and peak memory as the kernel's high-water mark of the
    resident size (reset just before reading) over the resident size before. That sees Arrow's
    allocations as well as Python's, which tracemalloc would not; Arrow's own peak allocation is
    shown beside it. pandas.read_csv of the CSV is the baseline. Each process reads a few rows
    first, so that the one-time set-up of Arrow's kernels and allocator is not counted. Memory
    is given in multiples of the CSV's size for both files (the Parquet file, compressed, is a
    fraction of it).
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from rapport.core.growth import GrowthFit, fit_growth
from rapport.speed.practice import (
    HARD_CORR,
    HARD_DF,
    Practice,
    hard_practice,
    synthetic_practice,
)

RATIO_GOAL = 200.0  # rapport at least this many times faster than statsmodels at 40k observations
MILLION_GOAL_S = 0.5  # seconds for one fit of a million observations
HARD_GOAL_S = 2.0  # the same on data with uneven times, correlated effects, heavy tails
READ_GOAL_S = 1.0  # a million rows from file to arrays
READ_MEMORY_GOAL = 3.0  # peak memory while reading, in multiples of the file's size
TEXT_ID_GOAL = 1.2  # text ids at most this much slower than integer ids, file to fit
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

    return ok


def write_csv(path: Path, data: Practice, ids: list[str] | None = None) -> None:
    clients = ids if ids is not None else data.client.tolist()
    lines = ["client,week,score,intake"]
    lines += [
        f"{c},{w:g},{s:g},{i:g}"
        for c, w, s, i in zip(
            clients, data.week.tolist(), data.score.tolist(), data.intake.tolist(), strict=True
        )
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# A few rows read first in each measuring process, from a file of the measured one's kind, so
# that what is counted is the file's: Arrow's kernels, its Parquet reader and allocator (and
# pandas' parser) set themselves up once per process.
WARM_UP = "Subject,Days,Reaction\n1,0,250.5\n1,1,258.7\n"
WARM_UP_ROLES = ("Subject", "Days", "Reaction")
ROLES = ("client", "week", "score")  # as `rapport growth` is given them, which it alone reads


def warm_up(path: str) -> Path:
    warm = Path(path).with_name("warm-up.csv")
    warm.write_text(WARM_UP, encoding="utf-8")
    if Path(path).suffix == ".parquet":
        import pyarrow.csv as pacsv  # type: ignore[import-untyped, unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

        table = pacsv.read_csv(warm)
        warm = warm.with_suffix(".parquet")
        pq.write_table(table, warm)
    return warm


def resident() -> int:
    """The process's resident size now, in bytes, its high-water mark reset to it (Linux): the
    imports before the reading peak higher than the reading itself."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return _status("VmRSS")


def peak_resident() -> int:
    return _status("VmHWM")


def _status(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    raise LookupError(field)


def measure_read(path: str) -> None:
    """Run in a fresh process: read the file as `rapport growth` does; print time and memory."""
    import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

    from rapport.analysis.csvinput import read_csv
    from rapport.analysis.growth import growth_data

    growth_data(read_csv(warm_up(path), WARM_UP_ROLES), *WARM_UP_ROLES, [])
    before = resident()
    started = time.perf_counter()
    arrays = growth_data(read_csv(path, ROLES), *ROLES, [])
    seconds = time.perf_counter() - started
    grown = peak_resident() - before
    arrow_peak = pa.default_memory_pool().max_memory()
    print(json.dumps({"seconds": seconds, "rss": grown, "arrow": arrow_peak, "n": arrays.n_rows}))


def measure_pandas(path: str) -> None:
    """The baseline, in a fresh process: pandas.read_csv of the same file."""
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

    pd.read_csv(warm_up(path))
    before = resident()
    started = time.perf_counter()
    frame = pd.read_csv(path)
    seconds = time.perf_counter() - started
    grown = peak_resident() - before
    print(json.dumps({"seconds": seconds, "rss": grown, "arrow": 0, "n": len(frame)}))


def in_a_fresh_process(function: str, path: Path) -> dict[str, float]:
    """Each reading in its own process, so that one's memory cannot count in another's."""
    code = f"from rapport.speed.growth import {function}; {function}({str(path)!r})"
    done = subprocess.run(  # noqa: S603 - our own interpreter, our own code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def reading(out: Callable[[str], None]) -> bool:
    """A 1M-row CSV and its Parquet as `rapport growth` reads them, against pandas.read_csv."""
    import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

    data = synthetic_practice(n_clients=100_000, mean_sessions=10)
    label = f"reading {data.n_obs / 1e6:.1f}M rows"
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "practice.csv"
        write_csv(csv_path, data)
        parquet_path = Path(folder) / "practice.parquet"
        columns = {"client": data.client, "week": data.week, "score": data.score}
        pq.write_table(pa.table({**columns, "intake": data.intake}), parquet_path)
        try:
            baseline = in_a_fresh_process("measure_pandas", csv_path)
        except (subprocess.CalledProcessError, ImportError):
            baseline = None
        size = csv_path.stat().st_size  # memory is counted against the CSV for both
        for path in (csv_path, parquet_path):
            ours = min(
                (in_a_fresh_process("measure_read", path) for _ in range(REPEATS)),
                key=lambda r: r["seconds"],
            )
            fast = ours["seconds"] <= READ_GOAL_S
            lean = ours["rss"] <= READ_MEMORY_GOAL * size
            ok = ok and fast and lean
            against = (
                f", pandas.read_csv {baseline['seconds']:.3f} s and {baseline['rss'] / size:.1f}x "
                f"(ratio {ours['seconds'] / baseline['seconds']:.2f})"
                if baseline is not None and path is csv_path
                else ""
            )
            out(
                f"{label} from a {path.stat().st_size / 1e6:.0f} MB {path.suffix[1:]} file to "
                "arrays: "
                f"{ours['seconds']:.3f} s (best of {REPEATS} processes; goal <= {READ_GOAL_S} s) "
                f"{'OK' if fast else 'MISSED'}; peak memory {ours['rss'] / size:.1f}x the CSV "
                f"(peak resident size over that before; goal <= {READ_MEMORY_GOAL}x) "
                f"{'OK' if lean else 'MISSED'}; Arrow's own peak {ours['arrow'] / size:.1f}x"
                f"{against}"
            )
    return ok


def text_ids(out: Callable[[str], None]) -> bool:
    """The command's path from file to fit with ids like "c000123" against integer ids."""
    from rapport.analysis.csvinput import read_csv
    from rapport.analysis.growth import growth_data

    data = synthetic_practice(n_clients=100_000, mean_sessions=10)
    timings = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind, ids in (("integer", None), ("text", [f"c{c:06d}" for c in data.client])):
            path = Path(folder) / f"{kind}.csv"
            write_csv(path, data, ids)
            table = read_csv(path)

            def work(table: Any = table) -> GrowthFit:
                arrays = growth_data(table, "client", "week", "score", [])
                return fit_growth(arrays.client, arrays.time, arrays.score)

            timings[kind], _ = best_of(REPEATS, work)
    ratio = timings["text"] / timings["integer"]
    ok = ratio <= TEXT_ID_GOAL
    out(
        f"growth {data.n_obs / 1e6:.1f}M obs, ids to codes and fit: text ids "
        f"{timings['text']:.3f} s, integer ids {timings['integer']:.3f} s (best of {REPEATS}), "
        f"ratio {ratio:.2f} (goal <= {TEXT_ID_GOAL}) {'OK' if ok else 'MISSED'}"
    )
    return ok


def hard_data(out: Callable[[str], None]) -> bool:
    data = hard_practice(n_clients=100_000, mean_sessions=10)
    label = (
        f"growth {data.n_obs / 1e6:.1f}M obs of hard data (uneven times, corr {HARD_CORR}, "
        f"t({HARD_DF}) residuals; REML)"
    )
    ok = True
    for covariates in (False, True):
        ours, result = best_of(REPEATS, partial(fit, data, covariates=covariates))
        fast = ours <= HARD_GOAL_S
        ok = ok and fast and result.converged
        out(
            f"{label}{' with intake' if covariates else ''}: {ours:.3f} s (best of {REPEATS}; "
            f"{result.evaluations} likelihood evaluations; converged {result.converged}) "
            f"(goal <= {HARD_GOAL_S} s) {'OK' if fast else 'MISSED'}"
        )
    return ok


def run(out: Callable[[str], None] = print) -> bool:
    out(
        f"growth model benchmarks ({os.cpu_count()} CPUs, NumPy {np.__version__}); "
        "fit times include grouping and sufficient statistics"
    )
    results = [against_statsmodels(out), at_a_million(out), hard_data(out)]
    results += [text_ids(out), reading(out)]
    out("(timings on a machine shared with other work vary; the ratios are the steadier figures)")
    return all(results)
