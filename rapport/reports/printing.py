"""How a report is laid out and printed: the body template of each report and audience, the
page it sits in on screen or alone in a document, and the document printed to PDF by WeasyPrint
with the same stylesheet, tagged (PDF/UA-1) with the page's language and title so that a screen
reader can read it."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from rapport.people.languages import writing_to

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


@functools.cache
def _nothing_fetched() -> type[Any]:
    """A URL fetcher that refuses everything but data: URIs. The document is whole (its charts
    are data: URIs, its stylesheet is given): fetching anything else, from the network or the
    server's files, would be a way out of the report.

    WeasyPrint is imported here, at the first print, not with the pages' code: it is two thirds
    of a second of every process's start (each command's system checks, each server worker), and
    most never print."""
    import weasyprint  # noqa: PLC0415 -- heavy: for a print only

    class NothingFetched(weasyprint.URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                raise ValueError("a report fetches nothing")
            return super().fetch(url, headers)

    return NothingFetched


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def page_words() -> str:
    """The words of every page's margins in the active language, after the stylesheet's
    English ones: "Report date: …" at the top, "Page 2 of 3" at the foot."""
    page = _css_string(_("Page %(page)s of %(pages)s"))
    numbers = page.replace("%(page)s", '" counter(page) "').replace(
        "%(pages)s", '" counter(pages) "'
    )
    issued = _css_string(_("Report date:") + " ")
    return (
        f"@page {{ @top-right {{ content: {issued} string(issued); }}"
        f" @bottom-right {{ content: {numbers}; }} }}"
    )


def pdf_of(html: str, language: str = "en") -> bytes:
    import weasyprint  # noqa: PLC0415 -- heavy: for a print only

    document = weasyprint.HTML(string=html, url_fetcher=_nothing_fetched()())
    with writing_to(language):
        words = weasyprint.CSS(string=page_words())
    pdf: bytes = document.write_pdf(
        stylesheets=[weasyprint.CSS(filename=str(STYLESHEET)), words],
        pdf_variant="pdf/ua-1",
    )
    return pdf


def report_pdf(kind: str, audience: str, report: Any) -> bytes:
    """The report alone in a document (no site navigation), printed in its language."""
    html = render_to_string("reports/document.html", report_context(kind, audience, report))
    return pdf_of(html, report.heading.lang)
