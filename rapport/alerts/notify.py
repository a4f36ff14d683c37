"""Telling people about urgent alerts by email: when one opens from a form completed away from
the clinician (a link from home, the portal), and when nobody acknowledges it in time.

The emails carry no clinical content — no client name, score or answer — only that an urgent
alert needs attention and a link that needs signing in. Each alert is notified once and escalated
once: the time is stored on the alert under a row lock, so two workers never both send.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.audit.services import audit_record
from rapport.links import absolute_url
from rapport.people.languages import language_of, writing_to

logger = logging.getLogger(__name__)

# A form completed with the clinician present is seen there and then; these are not.
AWAY_MODES = frozenset({"link", "portal"})


def needs_notice(alert: Alert) -> bool:
    """An urgent alert opened by a form the client completed away from the clinician."""
    source = alert.source_response
    return bool(alert.urgent and source is not None and source.mode in AWAY_MODES)


def _clinicians(alert: Alert) -> list[User]:
    episode = alert.episode
    people = [episode.primary_clinician, *episode.team_members.all()]
    return [person for person in people if person.is_active]


def _supervisors(clinicians: list[User]) -> list[User]:
    found = []
    for clinician in clinicians:
        team = clinician.team
        supervisor = team.supervisor if team is not None else None
        if supervisor is not None and supervisor.is_active:
            found.append(supervisor)
    return found


def recipients(alert: Alert, *, escalation: bool) -> list[str]:
    """The episode's clinicians (not on escalation: they have already been told and did not
    answer), the supervisors of their teams, and the practice's duty contact; each once."""
    return list(_readers(alert, escalation=escalation))


def _readers(alert: Alert, *, escalation: bool) -> dict[str, str]:
    """`recipients`, each with the language they read Rapport in: a colleague's own, the
    practice's default for the duty contact (an address, not an account)."""
    clinicians = _clinicians(alert)
    people = [*([] if escalation else clinicians), *_supervisors(clinicians)]
    addresses = [(person.email, language_of(person)) for person in people if person.email]
    if alert.practice.duty_contact_email:
        addresses.append((alert.practice.duty_contact_email, language_of(None)))
    unique: dict[str, tuple[str, str]] = {}
    for address, language in addresses:
        unique.setdefault(address.lower(), (address, language))
    return dict(unique.values())


def _link(alert: Alert, base_url: str) -> str:
    path = reverse("people:client_detail", args=[alert.client_id])
    return absolute_url(f"{path}#alerts-head", base_url)


def _send(alert: Alert, *, to: dict[str, str], escalation: bool, base_url: str) -> None:
    """One message per person, in their language: nobody learns who else was told."""
    practice = alert.practice
    context = {
        "practice": practice,
        "link": _link(alert, base_url),
        "opened_at": timezone.localtime(alert.opened_at, practice.zone),
        "escalation": escalation,
        "minutes": practice.urgent_escalation_minutes,
    }
    for address, language in to.items():
        with writing_to(language):
            subject = (
                _("Not yet acknowledged: an urgent alert needs attention")
                if escalation
                else _("An urgent alert needs your attention")
            )
            body = render_to_string("alerts/email/urgent.txt", context)
        send_mail(subject, body, None, [address])


def _locked(alert_id: int) -> Alert:
    return (
        Alert.objects.select_for_update(of=("self",))
        .select_related("practice", "episode__primary_clinician", "source_response")
        .get(pk=alert_id)
    )


@transaction.atomic
def alert_notify(*, alert_id: int, base_url: str | None = None) -> bool:
    """Email the clinicians, their supervisors and the duty contact that an urgent alert opened
    from a form done away from the clinician; once per alert. True when sent now."""
    base_url = settings.RAPPORT_BASE_URL if base_url is None else base_url
    alert = _locked(alert_id)
    if alert.notified_at is not None or not needs_notice(alert):
        return False
    if not base_url:
        logger.warning("RAPPORT_BASE_URL is not set: urgent alert %s not emailed", alert.pk)
        return False
    to = _readers(alert, escalation=False)
    _send(alert, to=to, escalation=False, base_url=base_url)
    alert.notified_at = timezone.now()
    alert.save(update_fields=["notified_at"])
    audit_record(
        actor=None,
        action="notify",
        obj=alert,
        client_id=alert.client_id,
        practice_id=alert.practice_id,
        detail={"recipients": len(to)},
    )
    return True


def notify_on_commit(alert: Alert) -> None:
    """Receiver of alert_opened: send once the opening transaction has committed (never for a
    rolled-back one). A failing mail server must not undo the client's answers: the worker's
    sweep (`urgent_alerts_sweep`) sends what was missed."""
    if not needs_notice(alert):
        return
    alert_id = alert.pk
    transaction.on_commit(lambda: alert_notify(alert_id=alert_id), robust=True)


@transaction.atomic
def alert_escalate(*, alert_id: int, now: datetime, base_url: str) -> bool:
    """Mark an urgent alert still open after the practice's time as escalated and email the
    supervisors and the duty contact; once per alert. True when escalated now."""
    alert = _locked(alert_id)
    due = alert.opened_at + timedelta(minutes=alert.practice.urgent_escalation_minutes)
    if not alert.urgent or alert.status != Alert.Status.OPEN or alert.escalated_at or due > now:
        return False
    to = _readers(alert, escalation=True)
    _send(alert, to=to, escalation=True, base_url=base_url)
    alert.escalated_at = now
    alert.save(update_fields=["escalated_at"])
    audit_record(
        actor=None,
        action="escalate",
        obj=alert,
        client_id=alert.client_id,
        practice_id=alert.practice_id,
        detail={"recipients": len(to), "after_minutes": alert.practice.urgent_escalation_minutes},
    )
    return True


def urgent_alerts_sweep(*, now: datetime | None = None, base_url: str) -> tuple[int, int]:
    """The worker's round: notices missed at opening (mail server down), then escalations.
    Returns (notified, escalated)."""
    now = now or timezone.now()
    unnotified = Alert.objects.filter(
        urgent=True,
        notified_at__isnull=True,
        source_response__mode__in=AWAY_MODES,
        status=Alert.Status.OPEN,
    ).values_list("pk", flat=True)
    notified = sum(alert_notify(alert_id=pk, base_url=base_url) for pk in list(unnotified))
    # The shortest allowed time in SQL, each practice's own here; checked again under the lock.
    candidates = Alert.objects.filter(
        urgent=True,
        status=Alert.Status.OPEN,
        escalated_at__isnull=True,
        opened_at__lte=now - timedelta(minutes=5),
    ).values_list("pk", "opened_at", "practice__urgent_escalation_minutes")
    due = [pk for pk, opened, minutes in candidates if opened + timedelta(minutes=minutes) <= now]
    escalated = sum(alert_escalate(alert_id=pk, now=now, base_url=base_url) for pk in due)
    return notified, escalated
