"""The clinician's progress report of a long episode, printed to PDF, against its page alone.

In a throwaway test database, the demo practice is built and one of the demo clinician's
clients is given a new episode of 40 attended weekly sessions, each with a PHQ-9. Through
Django's test client signed in as that clinician, several times over:

- the report's HTML page (the baseline: the same reads and templates, no printing);
- the same report as a PDF (goal: p50 <= 1 s on a quiet 2-core machine);
- and, once, where the PDF's time goes: WeasyPrint's parse and layout against writing the PDF
  (fonts are subset while writing), so a miss says what to look at.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from rapport.speed.charts import in_test_databases, timed

PDF_GOAL_S = 1.0
SESSIONS = 40
REPEATS = 5


def _long_episode() -> tuple[Any, Any]:
    from datetime import timedelta

    from django.utils import timezone

    from rapport.accounts.models import User
    from rapport.care.models import Episode, Modality, Session
    from rapport.demo.practice import build_demo_practice, demo_email
    from rapport.measures.models import Response
    from rapport.measures.services import (
        measure_plan_set,
        response_submit,
        session_assignments_ensure,
    )

    build_demo_practice()
    clinician = User.objects.get(email=demo_email("clinician"))
    other = Episode.objects.filter(primary_clinician=clinician).select_related("client").first()
    assert other is not None
    start = timezone.now() - timedelta(weeks=SESSIONS + 1)
    episode = Episode.objects.create(
        practice=other.practice,
        client=other.client,
        primary_clinician=clinician,
        start_date=start.date(),
    )
    measure_plan_set(
        actor=clinician,
        episode=episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    for week in range(SESSIONS):
        session = Session.objects.create(
            episode=episode,
            clinician=clinician,
            modality=Modality.VIDEO,
            scheduled_start=start + timedelta(weeks=week),
            attendance="attended",
        )
        for assignment in session_assignments_ensure(session=session):
            if assignment.respondent != "client" or assignment.instrument_id != "phq9":
                continue
            total = max(3, 18 - week // 2)  # a slow recovery over the 40 weeks
            answers = {
                f"phq9-{n}": str(min(3, total // 9 + (n <= total % 9))) for n in range(1, 10)
            }
            response_submit(
                assignment=assignment, answers=answers, mode=Response.Mode.IN_SESSION, actor=None
            )
    return clinician, episode


def _p50(fetch: Callable[[], Any]) -> list[float]:
    fetch()  # the first request warms caches and imports
    return [timed(fetch) for _ in range(REPEATS)]


def measure(out: Callable[[str], None]) -> bool:
    from django.template.loader import render_to_string
    from django.test import Client as WebClient
    from django.urls import reverse

    from rapport.reports import printing
    from rapport.reports.queries import CLINICIAN, Reader, report_of

    started = time.perf_counter()
    clinician, episode = _long_episode()
    built = time.perf_counter() - started
    out(f"reports: demo and a {SESSIONS}-session episode built in {built:.1f} s")
    web = WebClient()
    web.force_login(clinician)
    page = reverse("reports:progress", args=[episode.pk])
    pdf = reverse("reports:progress_pdf", args=[episode.pk])

    html_times = _p50(lambda: web.get(page))
    pdf_times = _p50(lambda: web.get(pdf))
    html, printed = statistics.median(html_times), statistics.median(pdf_times)
    out(f"reports: clinician progress report, {SESSIONS} sessions: page p50 {html * 1000:.0f} ms")
    out(
        f"reports: the same as a PDF p50 {printed * 1000:.0f} ms "
        f"({printed / html:.1f}x the page; goal <= {PDF_GOAL_S:.1f} s)"
    )

    # Where the printing goes: the report read, WeasyPrint's layout, then writing the file.
    import weasyprint

    report = report_of("progress", episode, Reader(CLINICIAN, clinician))
    t0 = time.perf_counter()
    document_html = render_to_string(
        "reports/document.html", printing.report_context("progress", CLINICIAN, report)
    )
    t1 = time.perf_counter()
    document = weasyprint.HTML(string=document_html).render(
        stylesheets=[weasyprint.CSS(filename=str(printing.STYLESHEET))], pdf_variant="pdf/ua-1"
    )
    t2 = time.perf_counter()
    size = len(document.write_pdf())
    t3 = time.perf_counter()
    full = len(document.write_pdf(full_fonts=True))
    t4 = time.perf_counter()
    out(
        f"reports: the PDF's parts: template {1000 * (t1 - t0):.0f} ms, layout "
        f"{1000 * (t2 - t1):.0f} ms ({len(document.pages)} pages), writing with fonts "
        f"subset {1000 * (t3 - t2):.0f} ms ({size // 1024} KiB), with whole fonts "
        f"{1000 * (t4 - t3):.0f} ms ({full // 1024} KiB)"
    )
    met = printed <= PDF_GOAL_S
    out(f"reports: PDF goal {'met' if met else 'MISSED'}")
    return met


def run() -> bool:
    return in_test_databases(measure)


if __name__ == "__main__":
    run()
