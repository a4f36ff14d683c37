from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods

from rapport import access
from rapport.accounts.decorators import clinical_staff_required
from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.alerts.queries import reason_lines, same_card
from rapport.alerts.services import alerts_note
from rapport.consent import consented
from rapport.http import AuthenticatedHttpRequest
from rapport.measures.forms import AcknowledgeForm


@clinical_staff_required
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Alerts for the clients on the user's caseload (and, for supervisors, their teams')."""
    show_all = request.GET.get("show") == "all"
    alerts = consented(
        request.user, Alert.objects.filter(client__in=access.clients_in_care_of(request.user))
    )
    if not show_all:
        alerts = alerts.exclude(status=Alert.Status.RESOLVED)
    alerts = alerts.select_related("client", "acknowledged_by", "session")[:200]
    access.audit_list(request.user, alerts, view="inbox")
    return render(request, "alerts/inbox.html", {"alerts": alerts, "show_all": show_all})


def _card_others(user: User, alert: Alert, *, resolving: bool) -> list[Alert]:
    """The other alerts of the same card still waiting for this step (that `user` may see)."""
    pending = consented(
        user, Alert.objects.filter(episode_id=alert.episode_id, session=alert.session_id)
    )
    if resolving:
        pending = pending.exclude(status=Alert.Status.RESOLVED)
    else:
        pending = pending.filter(status=Alert.Status.OPEN)
    return same_card(alert, pending.select_related("session"))


def _note_view(
    request: AuthenticatedHttpRequest, alert_id: int, *, resolving: bool
) -> HttpResponse:
    alert = access.load(request.user, Alert, alert_id, write=request.method == "POST")
    others = _card_others(request.user, alert, resolving=resolving)
    form = AcknowledgeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        chosen = set(request.POST.getlist("also"))
        # Each one through the access layer, as if opened on its own.
        also = [
            access.load(request.user, Alert, other.pk, write=True)
            for other in others
            if str(other.pk) in chosen
        ]
        try:
            alerts_note(
                actor=request.user,
                alerts=[alert, *also],
                note=form.cleaned_data["note"],
                resolving=resolving,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            count = 1 + len(also)
            if count == 1:
                said = gettext("Alert resolved.") if resolving else gettext("Alert acknowledged.")
            elif resolving:
                said = ngettext("%(n)s alert resolved.", "%(n)s alerts resolved.", count)
            else:
                said = ngettext("%(n)s alert acknowledged.", "%(n)s alerts acknowledged.", count)
            messages.success(request, said % {"n": count})
            return redirect("people:client_detail", client_id=alert.client_id)
    return render(
        request,
        "alerts/note.html",
        {
            "alert": alert,
            "lines": reason_lines(alert),
            "others": [(other, reason_lines(other)) for other in others],
            "form": form,
            "resolving": resolving,
        },
    )


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def acknowledge(request: AuthenticatedHttpRequest, alert_id: int) -> HttpResponse:
    return _note_view(request, alert_id, resolving=False)


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def resolve(request: AuthenticatedHttpRequest, alert_id: int) -> HttpResponse:
    return _note_view(request, alert_id, resolving=True)
