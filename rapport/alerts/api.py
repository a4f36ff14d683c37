"""API: the alerts of the clients in one's care, and acknowledging one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router
from ninja.params import functions as params
from pydantic import Field

from rapport import access
from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.alerts.services import alert_acknowledge
from rapport.api.auth import caller
from rapport.api.schemas import REFUSALS, Strict
from rapport.consent import consented

router = Router(tags=["alerts"])


class AlertOut(Strict):
    id: int
    client_id: int
    episode_id: int
    session_id: int | None
    kind: str
    urgent: bool
    reason: str
    status: str
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledgement_note: str
    resolved_at: datetime | None


class AcknowledgeIn(Strict):
    note: str = Field(min_length=5, max_length=2000, description="What you did about it.")


def _clinician(request: HttpRequest, needs: str) -> User:
    """Alerts are the working list of the clinicians in a client's care, as on the pages."""
    user = caller(request, needs)
    if not user.is_clinical_staff:
        raise PermissionDenied("Alerts are for the clinicians in a client's care.")
    return user


@router.get("/alerts", response={200: list[AlertOut], **REFUSALS})
def alert_list(
    request: HttpRequest,
    status: Annotated[Literal["open", "unresolved", "all"], params.Query()] = "unresolved",
) -> list[AlertOut]:
    """The alerts of the clients in your care (and your teams', for a supervisor), newest
    first: the unresolved ones unless asked otherwise; at most 200, as in the inbox."""
    user = _clinician(request, "read")
    alerts = consented(user, Alert.objects.filter(client__in=access.clients_in_care_of(user)))
    if status == "open":
        alerts = alerts.filter(status=Alert.Status.OPEN)
    elif status == "unresolved":
        alerts = alerts.exclude(status=Alert.Status.RESOLVED)
    shown = list(alerts.order_by("-opened_at", "-pk")[:200])
    access.audit_list(user, Alert, [a.pk for a in shown], view="api:alert_list")
    return [AlertOut.model_validate(a, from_attributes=True) for a in shown]


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response={200: AlertOut, **REFUSALS},
    url_name="alert_acknowledge",
)
def alert_acknowledge_api(request: HttpRequest, alert_id: int, body: AcknowledgeIn) -> AlertOut:
    """Say you have seen an open alert and what you did about it (once: an alert already
    acknowledged is refused, 422)."""
    user = _clinician(request, "write")
    alert = access.load(user, Alert, alert_id, write=True)
    done = alert_acknowledge(actor=user, alert=alert, note=body.note)
    return AlertOut.model_validate(done, from_attributes=True)
