from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.alerts.signals import alert_opened
from rapport.audit.services import audit_record

if TYPE_CHECKING:
    from rapport.care.models import Episode, Session
    from rapport.measures.models import Response


# No savepoint of its own: it runs inside a submission, which no caller keeps after a failure.
@transaction.atomic(savepoint=False)
def alert_open(
    *,
    episode: Episode,
    kind: str,
    reason: str,
    urgent: bool = False,
    session: Session | None = None,
    source_response: Response | None = None,
    actor: User | None = None,
) -> Alert:
    """Open an alert raised by a rule, audit it and tell the domains that listen (alert_opened)."""
    alert = Alert.raised(
        episode=episode,
        kind=kind,
        reason=reason,
        opened_at=timezone.now(),
        urgent=urgent,
        session=session,
        source_response=source_response,
    )
    alert.save(force_insert=True)
    audit_record(
        actor=actor,
        action="open",
        obj=alert,
        client_id=episode.client_id,
        practice_id=episode.practice_id,
        detail={"kind": kind, "urgent": urgent},
    )
    alert_opened.send(sender=Alert, alert=alert)
    return alert


@transaction.atomic
def alert_open_unless_open(
    *,
    episode: Episode,
    kind: str,
    reason: str,
    covered_by: Iterable[str] = (),
    urgent: bool = False,
    session: Session | None = None,
    source_response: Response | None = None,
    actor: User | None = None,
) -> Alert | None:
    """Open an alert unless the episode already has an unresolved one of its kind, or of a kind
    in `covered_by` that says more. Acknowledged counts as unresolved: someone is on it, and a
    second alert saying the same would only be noise until they have dealt with it."""
    waiting = Alert.objects.filter(episode=episode, kind__in={kind, *covered_by}).unresolved()
    if waiting.exists():
        return None
    return alert_open(
        episode=episode,
        kind=kind,
        reason=reason,
        urgent=urgent,
        session=session,
        source_response=source_response,
        actor=actor,
    )


@transaction.atomic
def alert_acknowledge(*, actor: User, alert: Alert, note: str) -> Alert:
    """A clinician has seen the alert and says what they did about it."""
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.status != Alert.Status.OPEN:
        raise ValidationError(_("This alert has already been acknowledged."))
    if len(note.strip()) < 5:
        raise ValidationError(_("Say what you did (a few words at least)."))
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
        raise ValidationError(_("This alert is already resolved."))
    if len(note.strip()) < 5:
        raise ValidationError(_("Say how it was resolved (a few words at least)."))
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


@transaction.atomic
def alerts_note(*, actor: User, alerts: list[Alert], note: str, resolving: bool) -> list[Alert]:
    """Acknowledge (or resolve) the alerts of one card with one note: each alert keeps its own
    acknowledgement, time and audit event. The first must still need it; an alert among the
    others that someone has just dealt with is left as they left it."""
    service = alert_resolve if resolving else alert_acknowledge
    done = [service(actor=actor, alert=alerts[0], note=note)]
    for alert in alerts[1:]:
        try:
            done.append(service(actor=actor, alert=alert, note=note))
        except ValidationError:
            continue
    return done
