from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from rapport.accounts.decorators import role_required
from rapport.accounts.models import Role
from rapport.audit.forms import AuditFilterForm
from rapport.audit.models import AuditEvent
from rapport.audit.services import audit_record
from rapport.http import AuthenticatedHttpRequest
from rapport.people.models import Client


@role_required(Role.ADMIN)
def audit_trail(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.filter(practice_id=request.user.staff_practice_id).order_by("-id")
    client = None
    if form.is_valid():
        data = form.cleaned_data
        if data["client"]:
            client = Client.objects.filter(
                pk=data["client"], practice_id=request.user.staff_practice_id
            ).first()
            events = events.filter(client_id=data["client"])
        if data["actor"]:
            events = events.filter(actor_email__iexact=data["actor"])
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["outcome"]:
            events = events.filter(outcome=data["outcome"])
        zone = timezone.get_current_timezone()
        if data["since"]:
            events = events.filter(
                occurred_at__gte=datetime.combine(data["since"], time.min, tzinfo=zone)
            )
        if data["until"]:
            end = datetime.combine(data["until"] + timedelta(days=1), time.min, tzinfo=zone)
            events = events.filter(occurred_at__lt=end)
    # Looking at who looked at a record is itself worth recording. Recorded before the page is
    # counted and fetched, so the page does not shift by one between the two queries.
    audit_record(
        actor=request.user,
        action="audit_view",
        object_type="audit.auditevent",
        client_id=client.pk if client else None,
        detail={
            "filters": {
                k: str(v) for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v
            }
        },
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/trail.html",
        {"form": form, "page": page, "client": client, "query": query.urlencode()},
    )
