"""The progress chart's speed on the demo practice, built in a throwaway test database.

For every episode in the demo clinician's care that has scores, several times over, through
Django's test client signed in as that clinician (middleware, access checks, audit, template):

- the progress page itself (goal: p95 <= 300 ms), and the page with its chart, as a browser
  fetches it (the page, then the SVG);
- the chart's SVG alone, against the alliance chart's SVG of the same episode;
- /healthz, a page that does next to nothing, as the baseline for the ratios;
- a page view with both charts (the progress and the alliance chart): cold (nothing drawn yet),
  warm (drawn, served from the cache to a browser without them) and revalidated (304, the
  browser already has them); goal: warm and revalidated cost <= 2x the page alone. The progress
  chart is fetched at the address the page gives (as a browser does: it names the version the
  page read, so the chart's request does not read the data again), the alliance chart at its
  plain address (as an <img> on another page, a report or a download asks for it);
- the chart's size as sent, plain and gzipped;
- the drawing alone (the chart already built, nothing cached), in wall-clock and CPU time: on
  a busy machine the CPU time says what the drawing costs, the wall-clock time what a user
  waits; goal: a first draw of the progress chart <= 100 ms of CPU time (p50), against the
  previous way (matplotlib laying out and drawing the same chart, rapport/speed/
  progress_matplotlib.py) and the alliance chart (still drawn by matplotlib) in the same run.
"""

from __future__ import annotations

import gc
import html
import os
import re
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

PAGE_GOAL_S = 0.300
WITH_CHARTS_GOAL = 2.0  # a page view with both charts, against the page alone
DRAW_CPU_GOAL_S = 0.100
REPEATS = 5
PAGE_ALONE = "page alone, same rounds"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    os.environ.setdefault("RAPPORT_DEBUG", "1")  # development settings: no secret key needed
    import django

    django.setup()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def page_chart(page: Any) -> str:
    """The address of the chart a page shows (its <img>), as a browser would fetch it."""
    found = re.search(r'<img src="([^"]+\.svg[^"]*)"', page.content.decode())
    if found is None:
        raise RuntimeError("the page shows no chart")
    return html.unescape(found.group(1))


def timed(fetch: Callable[[], Any], status: int = 200) -> float:
    started = time.perf_counter()
    response = fetch()
    elapsed = time.perf_counter() - started
    if response.status_code != status:
        raise RuntimeError(f"benchmark request failed with {response.status_code}")
    return elapsed


class FullCollections:
    """Counts the full (generation 2) garbage collections and their pauses while it is open:
    with Django, matplotlib and the demo loaded, one costs more than drawing a chart."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def __enter__(self) -> FullCollections:
        gc.callbacks.append(self._observe)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._observe)

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)


def _line(label: str, times: list[float], baseline: float) -> str:
    p50, p95 = statistics.median(times), percentile(times, 95)
    return (
        f"  {label:<28} p50 {p50 * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  "
        f"({p50 / baseline:,.0f}x /healthz)"
    )


def measure(out: Callable[[str], None]) -> bool:
    from django.test import Client as WebClient
    from django.urls import reverse

    from rapport.access import caseload_episodes
    from rapport.accounts.models import User
    from rapport.demo.practice import build_demo_practice, demo_email
    from rapport.measures.models import Response

    started = time.perf_counter()
    build_demo_practice()
    out(f"progress charts: demo practice built in {time.perf_counter() - started:.1f} s")
    clinician = User.objects.get(email=demo_email("clinician"))
    web = WebClient()
    web.force_login(clinician)
    with_scores = Response.objects.filter(total__isnull=False).values("episode_id")
    episodes = list(caseload_episodes(clinician).filter(pk__in=with_scores).distinct())
    if not episodes:
        out("progress charts: the demo clinician has no episode with scores: MISSED")
        return False

    def urls(route: str) -> list[str]:
        return [reverse(route, args=[episode.pk]) for episode in episodes]

    pages, charts = urls("progress:episode"), urls("progress:chart")
    alliance = urls("alliance:chart")
    phone_charts = [f"{url}?layout=narrow" for url in charts]
    for url in [*pages, *charts, *alliance]:  # warm up: imports, fonts, template loading
        timed(partial(web.get, url))
    gc.freeze()  # as rapport/wsgi.py does once the server has started

    times: dict[str, list[float]] = {
        name: [] for name in ("health", "page", "chart", "plain", "phone")
    }
    times |= {"page+chart": [], "page+chart CPU": [], "alliance": []}
    with FullCollections() as collections:
        for _ in range(REPEATS):
            times["health"].append(timed(lambda: web.get("/healthz")))
            for page, chart, phone, other in zip(
                pages, charts, phone_charts, alliance, strict=True
            ):
                cpu = time.process_time()
                started = time.perf_counter()
                shown = web.get(page)
                page_s = time.perf_counter() - started
                chart_s = timed(partial(web.get, page_chart(shown)))
                times["page+chart CPU"].append(time.process_time() - cpu)
                times["page"].append(page_s)
                times["chart"].append(chart_s)
                times["page+chart"].append(page_s + chart_s)
                times["plain"].append(timed(partial(web.get, chart)))
                times["phone"].append(timed(partial(web.get, phone)))
                times["alliance"].append(timed(partial(web.get, other)))

    with_charts = page_with_charts(web, pages, alliance)
    baseline = statistics.median(times["health"])
    page_p95 = percentile(times["page"], 95)
    ok = page_p95 <= PAGE_GOAL_S
    out(
        f"progress charts: {len(episodes)} episodes x {REPEATS} requests each "
        f"(/healthz p50 {baseline * 1000:.1f} ms)"
    )
    out(_line("progress page", times["page"], baseline))
    out(_line("progress chart SVG (page's)", times["chart"], baseline))
    out(_line("progress chart SVG (plain)", times["plain"], baseline))
    out(_line("progress chart SVG (phone)", times["phone"], baseline))
    out(_line("page + its chart", times["page+chart"], baseline))
    out(_line("page + its chart, CPU time", times["page+chart CPU"], baseline))
    out(_line("alliance chart SVG", times["alliance"], baseline))
    ratio = statistics.median(times["plain"]) / statistics.median(times["alliance"])
    out(f"  progress chart / alliance chart (p50): {ratio:.2f}x")
    pauses = collections.pauses
    out(
        f"  full garbage collections during these requests: {len(pauses)}, "
        f"median pause {statistics.median(pauses or [0.0]) * 1000:.0f} ms (the p95 tails)"
    )
    page_alone = statistics.median(with_charts[PAGE_ALONE])
    for label, values in with_charts.items():
        out(_line(label, values, baseline))
    for label in ("page + both charts, warm", "page + both charts, 304"):
        ratio = statistics.median(with_charts[label]) / page_alone
        met = ratio <= WITH_CHARTS_GOAL
        ok &= met
        out(
            f"  {label}: {ratio:.2f}x the page alone (goal <= {WITH_CHARTS_GOAL:g}x) "
            f"{'OK' if met else 'MISSED'}"
        )
    plain = web.get(charts[0]).content
    packed = web.get(charts[0], HTTP_ACCEPT_ENCODING="gzip").content
    out(
        f"  progress chart sent: {len(plain) / 1024:.0f} KB plain, {len(packed) / 1024:.1f} KB "
        f"gzipped ({len(packed) / len(plain):.0%})"
    )
    ok &= drawing(episodes, out)
    out(
        f"  progress page p95 {page_p95 * 1000:.0f} ms (goal <= {PAGE_GOAL_S * 1000:.0f} ms) "
        f"{'OK' if page_p95 <= PAGE_GOAL_S else 'MISSED'}; page + chart p95 "
        f"{percentile(times['page+chart'], 95) * 1000:.0f} ms "
        f"({percentile(times['page+chart CPU'], 95) * 1000:.0f} ms of CPU time)"
    )
    return ok


def page_with_charts(web: Any, pages: list[str], alliance: list[str]) -> dict[str, list[float]]:
    """A page view as a browser makes it: the page, then its two charts; cold after the chart
    cache is emptied, warm once they are drawn, and with the browser's ETags (304). The page
    alone is timed in the same rounds, between them, so that the ratios compare requests made
    under the same load (on a busy machine a separate loop measured minutes apart does not)."""
    from django.core.cache import caches

    from rapport.web import CHART_CACHE

    times: dict[str, list[float]] = {
        PAGE_ALONE: [],
        "page + both charts, cold": [],
        "page + both charts, warm": [],
        "page + both charts, 304": [],
    }
    gzip = {"HTTP_ACCEPT_ENCODING": "gzip"}
    for _ in range(REPEATS):
        caches[CHART_CACHE].clear()
        for page, other in zip(pages, alliance, strict=True):
            tags = []
            for label in ("cold", "warm"):
                if label == "warm":
                    times[PAGE_ALONE].append(timed(partial(web.get, page)))
                started = time.perf_counter()
                shown = web.get(page)
                total = time.perf_counter() - started
                for url in (page_chart(shown), other):
                    started = time.perf_counter()
                    response = web.get(url, **gzip)
                    total += time.perf_counter() - started
                    tags.append(response["ETag"])
                times[f"page + both charts, {label}"].append(total)
            started = time.perf_counter()
            shown = web.get(page)
            total = time.perf_counter() - started
            for url, tag in zip((page_chart(shown), other), tags, strict=False):
                total += timed(partial(web.get, url, HTTP_IF_NONE_MATCH=tag, **gzip), status=304)
            times["page + both charts, 304"].append(total)
    return times


def drawing(episodes: list[Any], out: Callable[[str], None]) -> bool:
    from django.core.cache import caches

    from rapport.alliance.charts import alliance_chart
    from rapport.charts.lines import render_svg
    from rapport.charts.progress import render_progress_svg
    from rapport.progress.charts import clinician_chart
    from rapport.progress.queries import episode_progress
    from rapport.speed.progress_matplotlib import render_progress_svg_matplotlib
    from rapport.web import CHART_CACHE

    caches[CHART_CACHE].clear()  # drawn anew: nothing of ours is kept between drawings
    kinds = ("progress chart", "previous way", "alliance chart")
    times: dict[str, dict[str, list[float]]] = {kind: {"wall": [], "cpu": []} for kind in kinds}
    for episode in episodes:
        progress, alliance = clinician_chart(episode_progress(episode)), alliance_chart(episode)
        draws: list[tuple[str, Callable[[], bytes]]] = [
            ("progress chart", partial(render_progress_svg, progress)),
            ("previous way", partial(render_progress_svg_matplotlib, progress)),
            ("alliance chart", partial(render_svg, alliance)),
        ]
        for _ in range(REPEATS):
            for kind, draw in draws:
                wall, cpu = time.perf_counter(), time.process_time()
                draw()
                times[kind]["cpu"].append(time.process_time() - cpu)
                times[kind]["wall"].append(time.perf_counter() - wall)
    for kind in kinds:
        walls, cpus = times[kind]["wall"], times[kind]["cpu"]
        out(
            f"  drawing alone, {kind:<15} p50 {statistics.median(walls) * 1000:6.1f} ms wall, "
            f"{statistics.median(cpus) * 1000:6.1f} ms CPU; p95 "
            f"{percentile(walls, 95) * 1000:6.1f} ms wall"
        )
    first_draw = statistics.median(times["progress chart"]["cpu"])
    before = statistics.median(times["previous way"]["cpu"])
    alliance_cpu = statistics.median(times["alliance chart"]["cpu"])
    out(
        f"  drawing CPU time (p50), progress chart / previous way (matplotlib): "
        f"{first_draw / before:.3f}x ({before / first_draw:.0f} times faster); "
        f"progress / alliance: {first_draw / alliance_cpu:.2f}x"
    )
    met = first_draw <= DRAW_CPU_GOAL_S
    out(
        f"  first draw of the progress chart: {first_draw * 1000:.1f} ms of CPU time (p50; goal "
        f"<= {DRAW_CPU_GOAL_S * 1000:.0f} ms; the previous way {before * 1000:.0f} ms) "
        f"{'OK' if met else 'MISSED'}"
    )
    return met


def in_test_databases(measure: Callable[[Callable[[str], None]], bool]) -> bool:
    """Run a section's measure against a test database (in memory on SQLite): the bench never
    touches the configured one."""
    _setup_django()
    from django.test.utils import (
        setup_databases,
        setup_test_environment,
        teardown_databases,
        teardown_test_environment,
    )

    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        return measure(print)
    finally:
        teardown_databases(databases, verbosity=0)
        teardown_test_environment()


def run() -> bool:
    return in_test_databases(measure)


if __name__ == "__main__":
    run()
