"""The writes of reports: the audit trail's record that a report was issued, and the
clinician's part of a discharge letter."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import User
from rapport.audit.models import AuditEvent
from rapport.audit.services import audit_record
from rapport.care.models import Episode
from rapport.practices.models import Practice
from rapport.reports.models import NAME_MAX, RECOMMENDATIONS_MAX, DischargeLetter


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
        raise ValidationError("A discharge letter is written once the episode is closed.")
    if DischargeLetter.objects.filter(episode=episode).exists():
        raise ValidationError("This episode's discharge letter has already been written.")
    addressee, organisation = addressee.strip(), organisation.strip()
    recommendations = recommendations.strip()
    if not addressee or not recommendations:
        raise ValidationError("A letter needs an addressee and recommendations.")
    if len(addressee) > NAME_MAX or len(organisation) > NAME_MAX:
        raise ValidationError(f"Names are at most {NAME_MAX} characters.")
    if len(recommendations) > RECOMMENDATIONS_MAX:
        raise ValidationError(f"Recommendations are at most {RECOMMENDATIONS_MAX} characters.")
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
