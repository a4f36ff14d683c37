from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from rapport import access
from rapport.accounts.decorators import role_required
from rapport.accounts.models import Role
from rapport.audit.services import audit_record
from rapport.care.models import Attendance, Session


@role_required(Role.CLIENT, Role.GUARDIAN)
def home(request: HttpRequest) -> HttpResponse:
    """What is waiting for a client or guardian: upcoming sessions now, forms and plans later."""
    user = request.user
    cards = []
    for client in access.portal_clients_for(user).select_related("practice"):
        link = access.guardian_link_of(user, client)
        show_schedule = link is None or link.may_see_schedule
        upcoming = (
            Session.objects.filter(
                episode__client=client,
                attendance=Attendance.SCHEDULED,
                scheduled_start__gte=timezone.now(),
            )
            .select_related("clinician")
            .order_by("scheduled_start")[:3]
            if show_schedule
            else []
        )
        audit_record(actor=user, action="portal_read", obj=client)
        cards.append({"client": client, "link": link, "upcoming": list(upcoming), "waiting": []})
    return render(request, "portal/home.html", {"cards": cards})
