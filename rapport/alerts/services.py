from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.audit.services import audit_record


@transaction.atomic
def alert_acknowledge(*, actor: User, alert: Alert, note: str) -> Alert:
    """A clinician has seen the alert and says what they did about it."""
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.status != Alert.Status.OPEN:
        raise ValidationError("This alert has already been acknowledged.")
    if len(note.strip()) < 5:
        raise ValidationError("Say what you did (a few words at least).")
    locked.status = Alert.Status.ACKNOWLEDGED
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by = actor
    locked.acknowledgement_note = note.strip()
    locked.save()
    audit_record(actor=actor, action="acknowledge", obj=locked, client_id=locked.client_id)
    return locked


@transaction.atomic
def alert_resolve(*, actor: User, alert: Alert, note: str) -> Alert:
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.status == Alert.Status.RESOLVED:
        raise ValidationError("This alert is already resolved.")
    if len(note.strip()) < 5:
        raise ValidationError("Say how it was resolved (a few words at least).")
    if locked.status == Alert.Status.OPEN:
        # Resolving implies having seen it; the same note serves both.
        locked.acknowledged_at = timezone.now()
        locked.acknowledged_by = actor
        locked.acknowledgement_note = note.strip()
    locked.status = Alert.Status.RESOLVED
    locked.resolved_at = timezone.now()
    locked.resolved_by = actor
    locked.resolution_note = note.strip()
    locked.save()
    audit_record(actor=actor, action="resolve", obj=locked, client_id=locked.client_id)
    return locked
