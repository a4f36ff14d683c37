"""Reports: each a page, printable on screen, and the same page as a PDF at its address with
".pdf". Staff reach them from the client's pages, clients and guardians from the portal."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_noop
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from rapport import access
from rapport.accounts.decorators import clinical_staff_required, role_required
from rapport.accounts.models import Role
from rapport.accounts.services import submission_once
from rapport.care.models import Episode
from rapport.http import AuthenticatedHttpRequest
from rapport.measures.services import link_failure_record
from rapport.people.languages import language_of, writing_to
from rapport.plans.models import PlanVersion
from rapport.plans.queries import latest_version
from rapport.reports.forms import LetterForm
from rapport.reports.models import DischargeLetter
from rapport.reports.printing import report_context, report_pdf
from rapport.reports.queries import (
    CLIENT,
    CLINICIAN,
    EMAILED_KINDS,
    DischargeLetterReport,
    EpisodeStillOpen,
    PracticeReport,
    Reader,
    Report,
    ReportLinkUnusable,
    link_reader,
    month_asked,
    practice_report,
    report_link_opened,
    report_of,
    report_recipients,
)
from rapport.reports.services import (
    letter_write,
    practice_report_issue,
    report_issue,
    report_link_use,
)
from rapport.reports.tasks import email_report_link
from rapport.web import client_ip, run_form

PORTAL = (Role.CLIENT, Role.GUARDIAN)
READERS = (Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN, *PORTAL)


class Unavailable(Exception):
    """A report of a record this reader may open, which does not exist (yet): said, with 409.
    Not 404: the episode was found and its read audited; what is missing is the letter."""

    def __init__(self, title: str, reason: str) -> None:
        super().__init__(reason)
        self.title, self.reason = title, reason


def _still_open() -> Unavailable:
    return Unavailable(
        gettext("No discharge letter yet"),
        gettext("A discharge letter summarises a closed episode, and this episode is still open."),
    )


def _unavailable(request: AuthenticatedHttpRequest, problem: Unavailable) -> HttpResponse:
    portal = request.user.role in PORTAL
    context = {
        "title": problem.title,
        "reason": problem.reason,
        "back_url": reverse("portal:home") if portal else reverse("home"),
        "back_label": gettext("← Home"),
    }
    return render(request, "reports/unavailable.html", context, status=409)


def _episode_and_reader(
    request: AuthenticatedHttpRequest, episode_id: int, kind: str, fmt: str
) -> tuple[Episode, Reader]:
    """The episode through the access rules of the reader's side (staff or portal), and the
    audience they may have."""
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
    return episode, reader


def _report(request: AuthenticatedHttpRequest, episode_id: int, kind: str, fmt: str) -> Report:
    """The report for the reader, and its issue on the audit trail. A discharge letter is of a
    closed episode, and reaches the client and the PDF only once the clinician has written it."""
    episode, reader = _episode_and_reader(request, episode_id, kind, fmt)
    try:
        report = report_of(kind, episode, reader)
    except EpisodeStillOpen:
        raise _still_open() from None
    if isinstance(report, DischargeLetterReport) and report.letter is None:
        if fmt == "pdf" or request.user.role in PORTAL:
            raise Unavailable(
                gettext("No discharge letter yet"),
                gettext("The clinician has not written this episode's discharge letter yet."),
            )
        return report  # staff see the form, with the letter as it will read: not yet issued
    report_issue(actor=request.user, episode=episode, kind=kind, for_whom=reader.for_whom, fmt=fmt)
    return report


def _page(request: AuthenticatedHttpRequest, episode_id: int, kind: str) -> HttpResponse:
    try:
        report = _report(request, episode_id, kind, "html")
    except Unavailable as problem:
        return _unavailable(request, problem)
    context = report_context(kind, report.heading.audience, report)
    if isinstance(report, DischargeLetterReport) and report.letter is None:
        context["form"] = LetterForm()
        context["may_write"] = access.can_write(request.user, report.heading.client_id)
        return render(request, "reports/letter_form.html", context)
    query = request.GET.urlencode()
    context["pdf_url"] = f"{request.path.rstrip('/')}.pdf" + (f"?{query}" if query else "")
    return render(request, "reports/page.html", context)


def _pdf(request: AuthenticatedHttpRequest, episode_id: int, kind: str) -> HttpResponse:
    try:
        report = _report(request, episode_id, kind, "pdf")
    except Unavailable as problem:
        return _unavailable(request, problem)
    pdf = report_pdf(kind, report.heading.audience, report)
    return _pdf_response(pdf, f"{kind}-report-{report.heading.issued:%Y-%m-%d}.pdf")


def _pdf_response(pdf: bytes, name: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    # One person's record: kept by no cache, shared or private.
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(*READERS)
@require_safe
def progress_page(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    return _page(request, episode_id, "progress")


@role_required(*READERS)
@require_safe
def progress_pdf(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    return _pdf(request, episode_id, "progress")


@role_required(*READERS)
@require_safe
def plan_page(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    return _page(request, episode_id, "plan")


@role_required(*READERS)
@require_safe
def plan_pdf(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    return _pdf(request, episode_id, "plan")


@role_required(*READERS)
@require_safe
def discharge_page(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    return _page(request, episode_id, "discharge")


@role_required(*READERS)
@require_safe
def discharge_pdf(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    return _pdf(request, episode_id, "discharge")


@clinical_staff_required
@require_POST
def discharge_write(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(request.user, Episode, episode_id, write=True)
    page = reverse("reports:discharge", args=[episode.pk])
    form = LetterForm(request.POST)
    saved = run_form(
        request,
        form,
        lambda data: letter_write(actor=request.user, episode=episode, **data),
        then=page,
        done=gettext("Discharge letter saved."),
        once=True,
    )
    if saved is not None:
        return saved
    try:
        report = report_of("discharge", episode, Reader("clinician", request.user, on_screen=True))
    except EpisodeStillOpen:
        return _unavailable(request, _still_open())
    context = report_context("discharge", "clinician", report)
    context |= {"form": form, "may_write": True}
    return render(request, "reports/letter_form.html", context, status=400)


# --- The supervisor's monthly practice report ----------------------------------------------------

practice_staff_required = role_required(Role.SUPERVISOR, Role.ADMIN)


def _practice_report(request: AuthenticatedHttpRequest, month: str, fmt: str) -> PracticeReport:
    practice = request.user.practice
    assert practice is not None  # staff always belong to a practice (User.staff_practice_id)
    first = month_asked(month, timezone.localdate(timezone.now(), practice.zone))
    report = practice_report(practice, first)
    practice_report_issue(actor=request.user, practice=practice, month=month, fmt=fmt)
    return report


def _bad_month(request: AuthenticatedHttpRequest, problem: ValueError) -> HttpResponse:
    context = {
        "title": gettext("No such month"),
        "reason": str(problem),
        "back_url": reverse("dashboards:practice"),
        "back_label": gettext("← Practice dashboard"),
    }
    return render(request, "reports/unavailable.html", context, status=400)


@practice_staff_required
@require_safe
def practice_page(request: AuthenticatedHttpRequest, month: str) -> HttpResponse:
    try:
        report = _practice_report(request, month, "html")
    except ValueError as problem:
        return _bad_month(request, problem)
    context = report_context("practice", CLINICIAN, report)
    context["pdf_url"] = reverse("reports:practice_pdf", args=[month])
    return render(request, "reports/page.html", context)


@practice_staff_required
@require_safe
def practice_pdf(request: AuthenticatedHttpRequest, month: str) -> HttpResponse:
    try:
        report = _practice_report(request, month, "pdf")
    except ValueError as problem:
        return _bad_month(request, problem)
    return _pdf_response(report_pdf("practice", CLINICIAN, report), f"practice-report-{month}.pdf")


# --- A report emailed as a single-use link --------------------------------------------------------


@clinical_staff_required
@require_POST
def report_send(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    """Queue an email to the client or a guardian with a link to the client's copy; the worker
    makes the token and sends it."""
    episode = access.load(request.user, Episode, episode_id, write=True)
    kind = str(request.POST.get("kind", ""))
    recipients = {str(p.pk): p for p in report_recipients(episode, kind)}
    recipient = recipients.get(str(request.POST.get("recipient", "")))
    back = redirect("people:client_detail", episode.client_id)
    if kind not in EMAILED_KINDS or recipient is None:
        messages.error(request, gettext("Choose a report and someone who may receive it."))
        return back
    if kind == "discharge" and not DischargeLetter.objects.filter(episode=episode).exists():
        messages.error(request, gettext("The discharge letter is not written yet."))
        return back
    try:
        key = uuid.UUID(str(request.POST.get("submission_key", "")))
    except ValueError:
        messages.error(request, gettext("The form was out of date: please send it again."))
        return back

    def enqueue() -> str:
        email_report_link.enqueue(
            episode_id=episode.pk, kind=kind, recipient_id=recipient.pk, sender_id=request.user.pk
        )
        return back.url

    # A double click or a retry sends one email, not two.
    _, first = submission_once(user=request.user, key=key, perform=enqueue)
    if first:
        messages.success(
            request,
            gettext("A link to download it is on its way to %(name)s.")
            % {"name": recipient.full_name},
        )
    return back


@require_http_methods(["GET", "POST"])
def report_download(request: HttpRequest, token: str) -> HttpResponse:
    """The page a link opens (nothing is spent by opening it: mail scanners fetch links), and
    its button, which prints the client's copy and spends the link."""
    try:
        link = report_link_opened(token, now=timezone.now())
    except ReportLinkUnusable as problem:
        return _link_refused(request, str(problem), language=problem.language)
    if request.method == "GET":
        context = {"practice": link.episode.practice, "sender": link.sent_by}
        # Nobody is signed in: the page speaks the language of the person it was sent to.
        with writing_to(language_of(link.recipient)):
            return render(request, "reports/download.html", context)
    try:
        report = report_of(link.kind, link.episode, link_reader(link))
    except EpisodeStillOpen:
        return _link_refused(
            request,
            gettext_noop("This document is no longer available."),
            language=language_of(link.recipient),
        )
    pdf = report_pdf(link.kind, CLIENT, report)
    try:
        report_link_use(link=link)
    except ValidationError as problem:  # the same link, spent a moment ago
        return _link_refused(request, " ".join(problem.messages))
    return _pdf_response(pdf, f"{link.kind}-report-{report.heading.issued:%Y-%m-%d}.pdf")


def _link_refused(request: HttpRequest, reason: str, *, language: str = "") -> HttpResponse:
    """The refusal in the language of the person the link was for, when known (the reason is
    an English message id, translated here)."""
    link_failure_record(ip_address=client_ip(request))
    with writing_to(language or get_language()):
        return render(request, "reports/download.html", {"reason": gettext(reason)}, status=410)
