"""How a report is laid out and printed: the body template of each report and audience, the
page it sits in on screen or alone in a document, and the document printed to PDF by WeasyPrint
with the same stylesheet, tagged (PDF/UA-1) with the page's language and title so that a screen
reader can read it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import weasyprint
from django.template.loader import render_to_string

STYLESHEET = Path(__file__).parent / "static" / "reports" / "report.css"

BODIES = {
    ("progress", "client"): "reports/progress_client.html",
    ("progress", "clinician"): "reports/progress_clinician.html",
    ("plan", "client"): "reports/plan.html",
    ("plan", "clinician"): "reports/plan.html",
    ("discharge", "client"): "reports/discharge.html",
    ("discharge", "clinician"): "reports/discharge.html",
    ("practice", "clinician"): "reports/practice.html",
}


def report_context(kind: str, audience: str, report: object) -> dict[str, Any]:
    return {"report": report, "kind": kind, "body": BODIES[kind, audience]}


class _NothingFetched(weasyprint.URLFetcher):  # type: ignore[misc]
    """The document is whole (its charts are data: URIs, its stylesheet is given): fetching
    anything else, from the network or the server's files, would be a way out of the report."""

    def fetch(self, url: str, headers: Any = None) -> Any:
        if not url.startswith("data:"):
            raise ValueError("a report fetches nothing")
        return super().fetch(url, headers)


def pdf_of(html: str) -> bytes:
    document = weasyprint.HTML(string=html, url_fetcher=_NothingFetched())
    pdf: bytes = document.write_pdf(
        stylesheets=[weasyprint.CSS(filename=str(STYLESHEET))],
        pdf_variant="pdf/ua-1",
    )
    return pdf


def report_pdf(kind: str, audience: str, report: object) -> bytes:
    """The report alone in a document (no site navigation), printed."""
    return pdf_of(render_to_string("reports/document.html", report_context(kind, audience, report)))
