"""Does throughput rise with app workers? `make load WORKERS=1,2,4` runs the same people phase
once per worker count (`--repeat` times, in alternating order) and compares them.

The target: at the same number of people, pages per second do not fall as workers are added —
each count serves at least `1 − tolerance` of the best of every smaller count. Beyond the
machine's cores throughput may only plateau: more workers cannot add CPU, they can only stop
waiting on one another (a lock) from costing it.

Beside the figures, each round samples what PostgreSQL's busy connections wait on
(`pg_stat_activity.wait_event`, and `pg_locks` for a lock not granted) and how much CPU the
machine, the app workers and the database used: a fall caused by lock waits shows up as lock
samples, a fall caused by a full machine as its CPU near 100 %.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

# Chosen from repeated rounds of one worker count on the shared 2-core machine (README
# "Reliability harness"): their pages/s differed by up to about this much with nothing changed.
DEFAULT_TOLERANCE = 0.15


def parse_workers(text: str) -> list[int]:
    """`"1,2,4"` → [1, 2, 4]: the worker counts to compare, each once, in rising order."""
    try:
        counts = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ValueError(f"--workers takes counts separated by commas, not {text!r}") from None
    if not counts or counts[0] < 1 or counts[-1] > 64:
        raise ValueError("--workers counts lie between 1 and 64")
    return counts


def round_order(counts: list[int], repeat: int) -> list[int]:
    """Rising, then falling, then rising…: a machine that grows busier or a database that grows
    during the run weighs on every count alike instead of on the last ones."""
    order: list[int] = []
    for n in range(repeat):
        order += counts if n % 2 == 0 else counts[::-1]
    return order


@dataclass
class Round:
    workers: int
    seconds: float
    pages: int
    submissions: int
    p50: float
    p95: float
    p99: float
    errors: int
    waits: Counter[str] = field(default_factory=Counter)  # wait event → busy-connection samples
    samples: int = 0  # how many times the connections were looked at
    machine_busy: float | None = None  # share of all cores' time, 0–1
    app_cpu: float | None = None  # CPU seconds of the app workers
    db_cpu: float | None = None  # CPU seconds of PostgreSQL's processes

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds

    @property
    def submissions_per_second(self) -> float:
        return self.submissions / self.seconds

    @property
    def lock_waits(self) -> int:
        return sum(n for event, n in self.waits.items() if event.startswith("Lock"))


@dataclass
class Summary:
    workers: int
    pages_per_second: float
    submissions_per_second: float
    rounds: int


def summarise(rounds: Iterable[Round]) -> list[Summary]:
    """Per worker count, the mean of its rounds, fewest workers first."""
    by_count: dict[int, list[Round]] = {}
    for one in rounds:
        by_count.setdefault(one.workers, []).append(one)
    return [
        Summary(
            workers,
            statistics.fmean(r.pages_per_second for r in group),
            statistics.fmean(r.submissions_per_second for r in group),
            len(group),
        )
        for workers, group in sorted(by_count.items())
    ]


def throughput_misses(summaries: list[Summary], tolerance: float) -> list[str]:
    """Where pages/s with more workers fell below (1 − tolerance) × the best with fewer."""
    misses = []
    for n, later in enumerate(summaries):
        if n == 0:
            continue
        best = max(summaries[:n], key=lambda s: s.pages_per_second)
        if later.pages_per_second < (1 - tolerance) * best.pages_per_second:
            fall = 1 - later.pages_per_second / best.pages_per_second
            misses.append(
                f"pages/s fell from {best.pages_per_second:.1f} with {best.workers} "
                f"worker{'s' * (best.workers > 1)} to {later.pages_per_second:.1f} with "
                f"{later.workers} (−{fall:.0%}, tolerance {tolerance:.0%})"
            )
    return misses


def _cpu(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def table(rounds: list[Round]) -> str:
    rows = [
        f"{'workers':>7} {'pages/s':>8} {'subm/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'errors':>6} {'lock waits':>10} {'machine CPU':>11} "
        f"{'app CPU s':>9} {'pages/app CPU s':>15} {'db CPU s':>8}"
    ]
    for r in rounds:
        busy = "—" if r.machine_busy is None else f"{r.machine_busy:.0%}"
        locks = f"{r.lock_waits}/{r.samples}"
        # Pages per CPU second of the app: falls when workers cost one another work (spinning,
        # retries), not when they merely wait for a share of the machine.
        per_cpu = f"{r.pages / r.app_cpu:.0f}" if r.app_cpu else "—"
        rows.append(
            f"{r.workers:>7} {r.pages_per_second:>8.1f} {r.submissions_per_second:>7.2f} "
            f"{r.p50 * 1000:>7.0f} {r.p95 * 1000:>7.0f} {r.p99 * 1000:>7.0f} {r.errors:>6} "
            f"{locks:>10} {busy:>11} {_cpu(r.app_cpu):>9} {per_cpu:>15} {_cpu(r.db_cpu):>8}"
        )
    return "\n".join(rows)


def summary_table(summaries: list[Summary]) -> str:
    rows = [f"{'workers':>7} {'rounds':>6} {'pages/s':>8} {'subm/s':>7} {'vs fewest':>9}"]
    base = summaries[0].pages_per_second if summaries else 0.0
    for s in summaries:
        ratio = s.pages_per_second / base if base else 0.0
        rows.append(
            f"{s.workers:>7} {s.rounds:>6} {s.pages_per_second:>8.1f} "
            f"{s.submissions_per_second:>7.2f} {ratio:>8.2f}x"
        )
    return "\n".join(rows)


def wait_report(rounds: list[Round]) -> str:
    """The wait events of busy connections over all rounds, most frequent first."""
    total: Counter[str] = Counter()
    for r in rounds:
        total.update(r.waits)
    samples = sum(r.samples for r in rounds)
    if not total:
        return f"busy database connections waited on nothing in {samples} samples"
    top = ", ".join(f"{event} {n}" for event, n in total.most_common(8))
    return f"busy database connections' waits in {samples} samples: {top}"


# Measuring a round: what PostgreSQL waits on, and CPU from /proc (Linux; None elsewhere).

WAITS = """
    select coalesce(a.wait_event_type || ':' || a.wait_event, 'CPU'),
           coalesce(l.locktype || ' ' || coalesce(l.relation::regclass::text, '') || ' '
                    || l.mode, '')
    from pg_stat_activity a
    left join pg_locks l on l.pid = a.pid and not l.granted
    where a.datname = current_database() and a.state = 'active' and a.pid <> pg_backend_pid()
"""


async def sample_waits(
    url: str, waits: Counter[str], stop: asyncio.Event, every: float = 0.25
) -> int:
    """Until `stop`, every `every` seconds: count each busy connection's wait; the number of
    samples taken."""
    samples = 0
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        while not stop.is_set():
            rows = await (await connection.execute(WAITS)).fetchall()
            samples += 1
            for event, lock in rows:
                waits[f"{event} ({lock.strip()})" if lock.strip() else event] += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
    return samples


def sealed_events(url: str) -> tuple[int, int]:
    """(sealed, all) audit events: sealed ones were chained by the sequencer."""
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "select count(sequence), count(*) from audit_auditevent"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def machine_ticks() -> tuple[int, int] | None:
    """(busy, total) clock ticks of all cores since boot."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def cpu_seconds(pids: Iterable[int]) -> dict[int, float]:
    """CPU time (user + system) of each process still there."""
    tick = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for pid in pids:
        try:
            after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        seconds[pid] = (int(after_name[11]) + int(after_name[12])) / tick
    return seconds


def used_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used by the processes between two readings; one that started in between counts
    from zero, one that ended in between is lost (so this is a lower bound)."""
    return sum(after[pid] - before.get(pid, 0.0) for pid in after)
