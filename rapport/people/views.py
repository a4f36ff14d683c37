from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from rapport import access, consent
from rapport.accounts.decorators import clinical_staff_required, role_required
from rapport.accounts.models import Role, User
from rapport.accounts.services import submission_once
from rapport.alliance.queries import alliance_by_session
from rapport.audit.services import break_glass_grant
from rapport.care.forms import SessionScheduleForm
from rapport.care.models import SessionKind
from rapport.care.queries import unrecorded
from rapport.core.ages import BAND_WORDS
from rapport.core.reminders import reply_keyword
from rapport.http import AuthenticatedHttpRequest
from rapport.measures.queries import score_histories
from rapport.people.forms import (
    BreakGlassForm,
    CaseloadFilterForm,
    CaseloadSearchForm,
    ClientForm,
    GuardianAddForm,
    GuardianLinkForm,
    NewClientForm,
    TextReplyForm,
)
from rapport.people.models import Client, GuardianLink
from rapport.people.queries import caseload_filter, caseload_page
from rapport.people.services import (
    client_create,
    client_portal_invite,
    client_update,
    guardian_add,
    guardian_link_update,
    text_reply_record,
)
from rapport.web import run_form


@clinical_staff_required
def caseload(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CaseloadFilterForm(request.GET)
    filters = form.filters()
    shown = caseload_page(
        caseload_filter(access.caseload_episodes(request.user), **filters),
        page=request.GET.get("page"),
        viewer=request.user,
    )
    access.audit_page(request.user, Client, shown.page, view="caseload", **filters)
    context = {"form": form, "rows": shown.rows, "page": shown.page, "search": filters["search"]}
    if request.htmx:
        return render(request, "people/caseload.html#caseload-table", context)
    return render(request, "people/caseload.html", context)


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def client_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = NewClientForm(
        request.POST if request.method == "POST" else None,
        practice_id=request.user.staff_practice_id,
        initial={"primary_clinician": request.user, "start_date": timezone.localdate()},
    )
    saved = run_form(
        request,
        form,
        lambda data: client_create(
            actor=request.user,
            details=form.cleaned_data,
            primary_clinician=data["primary_clinician"],
            start_date=data["start_date"],
            referral_reason=data["referral_reason"],
        ),
        then=lambda client: reverse("people:client_detail", args=[client.pk]),
        done=lambda data: gettext("%(name)s is registered.") % {"name": data["full_name"]},
        once=True,
    )
    if saved is not None:
        return saved
    return render(request, "people/client_form.html", {"form": form, "creating": True})


@role_required(Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN)
def client_detail(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    client = access.load(request.user, Client, client_id)
    episodes = list(
        client.episodes.select_related("primary_clinician").prefetch_related(
            "team_members", "transfers__from_clinician", "transfers__to_clinician"
        )
    )
    current = next((e for e in episodes if e.is_open), None)
    sessions = (
        # Consultations with possible new therapists are the fit check's, shown on its page:
        # listed here they would tell the current therapist of a private request.
        list(
            current.sessions.filter(kind=SessionKind.THERAPY)
            .select_related("clinician")
            .order_by("-scheduled_start")
        )
        if current
        else []
    )
    can_write = access.can_write(request.user, client)
    context = {
        "client": client,
        "age_band": gettext(BAND_WORDS[client.age_band()]),
        "episodes": episodes,
        "current": current,
        "sessions": sessions,
        "unrecorded": unrecorded(sessions),
        "guardian_links": client.guardian_links.select_related("guardian"),
        "can_write": can_write,
        "read_only": not can_write,
        "schedule_form": SessionScheduleForm(episode=current) if current and can_write else None,
        "alerts": consent.viewer_shared(client.alerts.all(), client.pk)
        .exclude(status="resolved")
        .select_related("acknowledged_by", "session"),
        "risk_alerts": list(
            consent.viewer_shared(client.alerts.risk_unresolved(), client.pk).order_by("opened_at")
        ),
        "histories": score_histories(current) if current else [],
        "alliance_rows": alliance_by_session(current) if current else [],
        "today": timezone.localdate(),
        "handed_to_me": _handed_to(request.user, client),
    }
    return render(request, "people/client_detail.html", context)


def _handed_to(user: User, client: Client) -> dict[str, Any] | None:
    """For the therapist a handoff brought the client to: when, and what of the time before
    the client did not agree to share (the pages leave it out; this says why)."""
    withheld = consent.handoff_withheld(user, client.pk)
    if withheld is None:
        return None
    items = [item for item in consent.HANDOFF_ITEMS if item in withheld.items]
    return {"on": withheld.before, "withheld": [consent.ITEM_WORDS[item] for item in items]}


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def client_edit(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    client = access.load(request.user, Client, client_id, write=request.method == "POST")
    form = ClientForm(
        request.POST if request.method == "POST" else None,
        instance=access.fresh(client),
    )
    saved = run_form(
        request,
        form,
        lambda data: client_update(actor=request.user, client=client, details=data),
        then=reverse("people:client_detail", args=[client.pk]),
        done=gettext("Details saved."),
    )
    if saved is not None:
        return saved
    return render(request, "people/client_form.html", {"form": form, "client": client})


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def guardian_link_edit(request: AuthenticatedHttpRequest, link_id: int) -> HttpResponse:
    link = access.load(request.user, GuardianLink, link_id, write=request.method == "POST")
    form = GuardianLinkForm(
        request.POST if request.method == "POST" else None,
        instance=access.fresh(link),
    )
    saved = run_form(
        request,
        form,
        lambda data: guardian_link_update(actor=request.user, link=link, settings=data),
        then=reverse("people:client_detail", args=[link.client_id]),
        done=gettext("Guardian settings saved."),
    )
    if saved is not None:
        return saved
    return render(request, "people/guardian_link_form.html", {"form": form, "link": link})


@role_required(Role.ADMIN)
def client_directory(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Admins see who is registered (to manage accounts), never clinical content."""
    form = CaseloadSearchForm(request.GET)
    search = form.cleaned_data["q"].strip() if form.is_valid() else ""
    clients = Client.objects.filter(practice_id=request.user.staff_practice_id)
    if search:
        clients = clients.filter(Client.matching(search))
    clients = clients.only("id", "full_name", "preferred_name", "status")[:200]
    access.audit_list(request.user, Client, view="directory", search=bool(search))
    return render(request, "people/client_directory.html", {"form": form, "clients": clients})


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def break_glass(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    client = access.break_glass_client(request.user, client_id)
    form = BreakGlassForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():

        def grant() -> str:
            break_glass_grant(actor=request.user, client=client, reason=form.cleaned_data["reason"])
            return reverse("people:client_detail", args=[client.pk])

        try:
            url, first = submission_once(
                user=request.user, key=form.cleaned_data["submission_key"], perform=grant
            )
        except ValidationError as error:
            form.add_error("reason", error)
        else:
            if first:
                messages.warning(
                    request, gettext("Break-glass access granted for 60 minutes. It is audited.")
                )
            return redirect(url)
    return render(request, "people/break_glass.html", {"form": form, "client": client})


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def guardian_new(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    client = access.load(request.user, Client, client_id, write=request.method == "POST")
    form = GuardianAddForm(request.POST if request.method == "POST" else None)
    saved = run_form(
        request,
        form,
        lambda data: guardian_add(actor=request.user, client=client, **data),
        then=reverse("people:client_detail", args=[client.pk]),
        done=gettext("Guardian linked. New accounts get an email invitation."),
        once=True,
    )
    if saved is not None:
        return saved
    return render(request, "people/guardian_new.html", {"form": form, "client": client})


@clinical_staff_required
@require_POST
def portal_invite(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    client = access.load(request.user, Client, client_id, write=True)
    try:
        user = client_portal_invite(actor=request.user, client=client)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, gettext("Portal invitation emailed to %(email)s.") % {"email": user.email}
        )
    return redirect("people:client_detail", client_id=client.pk)


@csrf_exempt  # the SMS gateway posts here with its bearer token, not a browser with a cookie
@require_POST
def text_reply(request: HttpRequest) -> HttpResponse:
    """A reply to one of our texts, posted by the SMS gateway: STOP and START are recorded;
    anything else is not read. Refused without the gateway's token (403), so replies cannot be
    forged; a well-formed post is answered 204 whether or not a client was found."""
    expected = settings.RAPPORT_SMS_REPLY_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return HttpResponse("A gateway token is needed.", status=403, content_type="text/plain")
    form = TextReplyForm(request.POST)
    if not form.is_valid():
        return HttpResponse(
            "Send 'from' and 'body' as form fields.", status=400, content_type="text/plain"
        )
    reply = reply_keyword(form.cleaned_data["body"])
    if reply is not None:
        text_reply_record(sender=form.cleaned_data["from"], reply=reply)
    return HttpResponse(status=204)
