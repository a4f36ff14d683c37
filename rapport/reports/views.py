"""Reports: each a page, printable on screen, and the same page as a PDF at its address with
".pdf". Staff reach them from the client's pages, clients and guardians from the portal."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from rapport import access
from rapport.accounts.decorators import role_required
from rapport.accounts.models import Role
from rapport.care.models import Episode
from rapport.http import AuthenticatedHttpRequest
from rapport.plans.models import PlanVersion
from rapport.plans.queries import latest_version
from rapport.reports.printing import report_context, report_pdf
from rapport.reports.queries import CLIENT, Reader, Report, report_of
from rapport.reports.services import report_issue

PORTAL = (Role.CLIENT, Role.GUARDIAN)
READERS = (Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN, *PORTAL)


def _report(request: AuthenticatedHttpRequest, episode_id: int, kind: str, fmt: str) -> Report:
    """The episode through the access rules of the reader's side (staff or portal), the report
    for the audience they may have, and its issue on the audit trail."""
    user = request.user
    audience = access.report_audience(user, request.GET.get("audience", ""))
    if user.role in PORTAL:
        episode = access.portal_episode(user, episode_id)
        reader = Reader(CLIENT, user, episode.client.guardian_link_for(user), fmt == "html")
        version = latest_version(episode) if kind == "plan" else None
        if version is not None:  # a guardian's link may keep the plan back: 404, as on the portal
            access.portal_load(user, PlanVersion, version.pk)
    else:
        episode = access.load(user, Episode, episode_id)
        reader = Reader(audience, user, on_screen=fmt == "html")
    report = report_of(kind, episode, reader)
    report_issue(actor=user, episode=episode, kind=kind, for_whom=reader.for_whom, fmt=fmt)
    return report


def _page(request: AuthenticatedHttpRequest, episode_id: int, kind: str) -> HttpResponse:
    report = _report(request, episode_id, kind, "html")
    context = report_context(kind, report.heading.audience, report)
    query = request.GET.urlencode()
    context["pdf_url"] = f"{request.path.rstrip('/')}.pdf" + (f"?{query}" if query else "")
    return render(request, "reports/page.html", context)


def _pdf(request: AuthenticatedHttpRequest, episode_id: int, kind: str) -> HttpResponse:
    report = _report(request, episode_id, kind, "pdf")
    pdf = report_pdf(kind, report.heading.audience, report)
    name = f"{kind}-report-{report.heading.issued:%Y-%m-%d}.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    # One person's record: kept by no cache, shared or private.
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(*READERS)
def progress_page(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    return _page(request, episode_id, "progress")


@role_required(*READERS)
def progress_pdf(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    return _pdf(request, episode_id, "progress")


@role_required(*READERS)
def plan_page(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    return _page(request, episode_id, "plan")


@role_required(*READERS)
def plan_pdf(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    return _pdf(request, episode_id, "plan")
