from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from rapport import access
from rapport.accounts.decorators import clinical_staff_required
from rapport.alerts.models import Alert
from rapport.alerts.services import alert_acknowledge, alert_resolve
from rapport.audit.services import audit_record
from rapport.measures.forms import AcknowledgeForm


@clinical_staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Alerts for the clients on the user's caseload (and, for supervisors, their teams')."""
    show_all = request.GET.get("show") == "all"
    alerts = Alert.objects.filter(client__in=access.clients_in_care_of(request.user))
    if not show_all:
        alerts = alerts.exclude(status=Alert.Status.RESOLVED)
    alerts = alerts.select_related("client", "acknowledged_by")[:200]
    audit_record(
        actor=request.user,
        action="list",
        object_type="alerts.alert",
        detail={"view": "inbox", "alerts": [a.pk for a in alerts]},
    )
    return render(request, "alerts/inbox.html", {"alerts": alerts, "show_all": show_all})


def _note_view(request: HttpRequest, alert_id: int, *, resolving: bool) -> HttpResponse:
    alert = access.get_alert_for_user(request.user, alert_id, write=request.method == "POST")
    form = AcknowledgeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        service = alert_resolve if resolving else alert_acknowledge
        try:
            service(actor=request.user, alert=alert, note=form.cleaned_data["note"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Alert resolved." if resolving else "Alert acknowledged.")
            return redirect("people:client_detail", client_id=alert.client_id)
    return render(
        request, "alerts/note.html", {"alert": alert, "form": form, "resolving": resolving}
    )


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _note_view(request, alert_id, resolving=False)


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _note_view(request, alert_id, resolving=True)
