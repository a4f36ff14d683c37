"""A practice's research export: memory stays flat with the practice's size.

In a process of its own on a throwaway SQLite database (as the FHIR export section), practices of
two sizes are generated with the dashboards' generator (one episode per client, a PHQ-9 and a
session rating at every attended session) and each is exported as CSV by `rapport export csv`,
with Python's allocations traced (tracemalloc) for the export alone; then the larger is exported
as Parquet. The figure is the peak of memory held during the export. The goal: four times the
administrations need at most 1.5 times the peak, i.e. memory does not grow with size, so a
1M-administration practice exports in the same few MB (the issue's limit is 500 MB). The
process's peak RSS is printed beside it. Rows per second are reported, not held to a goal
(tracing allocations slows Python). Set RAPPORT_BENCH_RESEARCH_CLIENTS to change the smaller
size (default 1,000 clients, about 10,000 administrations); 25,000 gives the larger about a
million. The generator stores totals without item answers, so the answers table is not
exercised here (the tests export the demo practice, which has them).
"""

from __future__ import annotations

import io
import os
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from rapport.speed.dashboards import run_in_own_process

CLIENTS = 1000
SCALE = 4
FLAT_GOAL = 1.5  # the larger practice's peak over the smaller's
MEMORY_LIMIT_MB = 500


def export_peak(practice_id: int, out: Path, fmt: str) -> tuple[float, float, str]:
    """Seconds, peak traced MiB and what the command said, of one practice's export."""
    from django.core.management import call_command

    said = io.StringIO()
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    call_command("export", fmt, "--practice", str(practice_id), "--out", str(out), stdout=said)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20, said.getvalue().strip()


def measure(out: Callable[[str], None] = print) -> bool:
    if not os.environ.get("RAPPORT_SQLITE_PATH"):
        raise RuntimeError("run the research export benchmark through run(): it needs its own db")
    from rapport.speed.dashboards import _setup_django

    _setup_django()
    from django.core.management import call_command

    from rapport.measures.models import Response
    from rapport.speed.dashboards import generate_practice

    clients = int(os.environ.get("RAPPORT_BENCH_RESEARCH_CLIENTS", CLIENTS))
    call_command("migrate", verbosity=0)
    small = generate_practice(clients=clients, name="Generated practice (small)")
    large = generate_practice(clients=clients * SCALE, seed=20261207, name="Generated (large)")
    peaks: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for label, practice_id, fmt in (
            ("small", small.practice_id, "csv"),
            ("large", large.practice_id, "csv"),
            ("large", large.practice_id, "parquet"),
        ):
            forms = Response.objects.filter(episode__practice_id=practice_id).count()
            seconds, peak, said = export_peak(practice_id, Path(folder) / f"{label}-{fmt}", fmt)
            peaks.setdefault(label, peak)
            out(
                f"research export: {label} practice, {forms:,} administrations as {fmt} in "
                f"{seconds:.1f} s ({forms / seconds:,.0f} a second); peak memory held during "
                f"the export {peak:.1f} MiB [{said}]"
            )
    ratio = peaks["large"] / peaks["small"]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out(
        f"research export: {SCALE}x the administrations needs {ratio:.2f}x the peak memory "
        f"(goal <= {FLAT_GOAL}: flat with size); this process's peak RSS {rss:.0f} MB "
        f"(limit {MEMORY_LIMIT_MB} MB)"
    )
    met = ratio <= FLAT_GOAL and rss <= MEMORY_LIMIT_MB
    out(f"research export: memory goal {'met' if met else 'MISSED'}")
    return met


def run(out: Callable[[str], None] = print) -> bool:
    return run_in_own_process("rapport.speed.research_export", "research export", out)


if __name__ == "__main__":
    import sys

    sys.exit(0 if measure() else 1)
