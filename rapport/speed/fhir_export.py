"""A whole practice's FHIR export: its memory stays flat however many clients the practice has.

In a process of its own on a throwaway SQLite database (as the dashboards section), the demo
practice is built and practices of two sizes are generated with the dashboards' generator (one
episode per client, a PHQ-9 and a session rating at every attended session). Each is exported
by `rapport fhir export --practice ID --format ndjson`, with Python's allocations traced
(tracemalloc) for the export alone. The figure is the peak of memory held during the export;
the goal: the larger practice (four times the clients) needs at most 1.5 times the peak of the
smaller, i.e. memory does not grow with the number of clients. Time per client is reported, not
held to a goal (tracing allocations slows Python: the seconds are higher than untraced). Set
RAPPORT_BENCH_FHIR_CLIENTS to change the smaller size (default 150).
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

CLIENTS = 150
SCALE = 4
FLAT_GOAL = 1.5  # the larger practice's peak over the smaller's


def export_peak(practice_id: int, folder: Path) -> tuple[float, float, int]:
    """Seconds, peak traced MiB and resources written, of one practice's NDJSON export."""
    from django.core.management import call_command

    out = folder / f"practice-{practice_id}"
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    call_command(
        "fhir",
        "export",
        "--practice",
        str(practice_id),
        "--format",
        "ndjson",
        "--out",
        str(out),
        stdout=io.StringIO(),
    )
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    lines = sum(len(path.read_text(encoding="utf-8").splitlines()) for path in out.iterdir())
    return seconds, peak / 2**20, lines


def measure(out: Callable[[str], None] = print) -> bool:
    if not os.environ.get("RAPPORT_SQLITE_PATH"):
        raise RuntimeError("run the FHIR export benchmark through run(): it needs its own database")
    from rapport.speed.dashboards import _setup_django

    _setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from rapport.demo.practice import build_demo_practice
    from rapport.people.models import Client
    from rapport.speed.dashboards import generate_practice

    settings.RAPPORT_FHIR_BASE = "https://fhir.bench.test/fhir"
    clients = int(os.environ.get("RAPPORT_BENCH_FHIR_CLIENTS", CLIENTS))
    call_command("migrate", verbosity=0)
    demo = build_demo_practice().practice
    small = generate_practice(clients=clients, name="Generated practice (small)")
    large = generate_practice(clients=clients * SCALE, seed=20261207, name="Generated (large)")
    peaks: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for label, practice_id in (
            ("demo", demo.pk),
            ("small", small.practice_id),
            ("large", large.practice_id),
        ):
            count = Client.objects.filter(practice_id=practice_id).count()
            seconds, peak, written = export_peak(practice_id, Path(folder))
            peaks[label] = peak
            out(
                f"fhir export: {label} practice, {count:,} clients, {written:,} resources as "
                f"NDJSON in {seconds:.1f} s ({1000 * seconds / max(1, count):.0f} ms a client); "
                f"peak memory held during the export {peak:.1f} MiB"
            )
    ratio = peaks["large"] / peaks["small"]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out(
        f"fhir export: {SCALE}x the clients needs {ratio:.2f}x the peak memory "
        f"(goal <= {FLAT_GOAL}: flat with size); this process's peak RSS {rss:.0f} MB"
    )
    met = ratio <= FLAT_GOAL
    out(f"fhir export: memory goal {'met' if met else 'MISSED'}")
    return met


def run(out: Callable[[str], None] = print) -> bool:
    return run_in_own_process("rapport.speed.fhir_export", "fhir export", out)


if __name__ == "__main__":
    import sys

    sys.exit(0 if measure() else 1)
