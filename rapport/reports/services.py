"""The writes of reports: the audit trail's record that a report was issued, and the
clinician's part of a discharge letter."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import User
from rapport.audit.models import AuditEvent
from rapport.audit.services import audit_record
from rapport.care.models import Episode
from rapport.core.tokens import hash_token
from rapport.links import absolute_url
from rapport.people.languages import language_of, writing_to
from rapport.practices.models import Practice
from rapport.reports.models import NAME_MAX, RECOMMENDATIONS_MAX, DischargeLetter, ReportLink
from rapport.reports.queries import EMAILED_KINDS, report_recipients

TOKEN_BYTES = 32  # as the links to measures


@transaction.atomic
def report_issue(
    *, actor: User | None, episode: Episode, kind: str, for_whom: str, fmt: str, via: str = "web"
) -> AuditEvent:
    """Who issued which report (its kind, audience and format) on whose record. `actor` is None
    for the command line. The load of the episode is audited on its own, as every read is."""
    return audit_record(
        actor=actor,
        action="report",
        object_type=f"reports.{kind}",
        object_id=episode.pk,
        client_id=episode.client_id,
        practice_id=episode.practice_id,
        detail={"report": kind, "for": for_whom, "format": fmt, "via": via},
    )


@transaction.atomic
def practice_report_issue(
    *, actor: User | None, practice: Practice, month: str, fmt: str, via: str = "web"
) -> AuditEvent:
    """Who issued a practice's monthly report (aggregates, of no one client)."""
    return audit_record(
        actor=actor,
        action="report",
        object_type="reports.practice",
        object_id=practice.pk,
        practice_id=practice.pk,
        detail={"report": "practice", "month": month, "format": fmt, "via": via},
    )


@transaction.atomic
def letter_write(
    *, actor: User, episode: Episode, addressee: str, organisation: str, recommendations: str
) -> DischargeLetter:
    """The clinician's part of a closed episode's discharge letter, written once: a letter may
    already have gone to the referrer and the client, so a second one is refused rather than
    silently replacing what they hold."""
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if episode.is_open:
        raise ValidationError(_("A discharge letter is written once the episode is closed."))
    if DischargeLetter.objects.filter(episode=episode).exists():
        raise ValidationError(_("This episode's discharge letter has already been written."))
    addressee, organisation = addressee.strip(), organisation.strip()
    recommendations = recommendations.strip()
    if not addressee or not recommendations:
        raise ValidationError(_("A letter needs an addressee and recommendations."))
    if len(addressee) > NAME_MAX or len(organisation) > NAME_MAX:
        raise ValidationError(_("Names are at most %(max)s characters.") % {"max": NAME_MAX})
    if len(recommendations) > RECOMMENDATIONS_MAX:
        raise ValidationError(
            _("Recommendations are at most %(max)s characters.") % {"max": RECOMMENDATIONS_MAX}
        )
    letter = DischargeLetter.objects.create(
        episode=episode,
        addressee=addressee,
        organisation=organisation,
        recommendations=recommendations,
        written_by=actor,
        written_at=timezone.now(),
    )
    # Lengths, not the words: the trail is read by people who need not see clinical text.
    audit_record(
        actor=actor,
        action="create",
        obj=letter,
        client_id=episode.client_id,
        practice_id=episode.practice_id,
        detail={"recommendations_chars": len(recommendations)},
    )
    return letter


@transaction.atomic
def report_link_send(
    *,
    actor: User,
    episode: Episode,
    kind: str,
    recipient: User,
    base_url: str | None = None,
    now: datetime | None = None,
) -> ReportLink:
    """Email `recipient` (the client, or a guardian linked to them) a single-use link to the
    client's copy of a report. The email says who sent it and nothing of the report; the token
    exists only in the email, the database keeps its hash. Run by the worker."""
    if kind not in EMAILED_KINDS:
        raise ValidationError(_("This report cannot be emailed."))
    if recipient not in report_recipients(episode, kind):
        raise ValidationError(_("This person cannot be sent this client's reports."))
    now = now or timezone.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    practice = episode.practice
    link = ReportLink.objects.create(
        episode=episode,
        kind=kind,
        recipient=recipient,
        sent_by=actor,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(hours=practice.link_valid_hours),
    )
    context = {
        "practice": practice,
        "sender": actor,
        "link": absolute_url(reverse("reports:download", args=[token]), base_url),
        "valid_hours": practice.link_valid_hours,
    }
    with writing_to(language_of(recipient)):
        subject = _("A document from %(practice)s") % {"practice": practice.name}
        body = render_to_string("reports/email/link.txt", context)
    send_mail(subject, body, None, [recipient.email])
    audit_record(
        actor=actor,
        action="report_email",
        obj=link,
        client_id=episode.client_id,
        practice_id=episode.practice_id,
        detail={"report": kind, "to": recipient.pk},
    )
    return link


@transaction.atomic
def report_link_use(*, link: ReportLink, now: datetime | None = None) -> ReportLink:
    """Spend a link as its report is downloaded: once, whoever clicks first (a second request
    finds it used). The report's issue is audited as every report's is."""
    locked = ReportLink.objects.select_for_update().select_related("episode", "recipient")
    link = locked.get(pk=link.pk)
    if link.used_at is not None:
        raise ValidationError(_("This link has already been used."))
    link.used_at = now or timezone.now()
    link.save(update_fields=["used_at"])
    is_guardian = link.episode.client.user_id != link.recipient_id
    report_issue(
        actor=link.recipient,
        episode=link.episode,
        kind=link.kind,
        for_whom="guardian" if is_guardian else "client",
        fmt="pdf",
        via="email link",
    )
    return link
