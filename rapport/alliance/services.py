"""Alliance feedback: asking for it at every session, alerts after each rating, ruptures and
repair. Reading it back is in alliance.queries."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open, alert_open_unless_open
from rapport.alliance.models import AllianceSettings, RepairAction, Rupture
from rapport.alliance.queries import (
    FEEDBACK_FAMILY,
    alliance_by_session,
    client_ratings,
    rating_of,
    rules_settings,
    status_of,
)
from rapport.audit.services import audit_record
from rapport.care.models import Episode, Session
from rapport.core import alliance as rules
from rapport.measures.models import Assignment, MeasurePlan, Response

# Low or falling alliance is what a rupture is; the other alerts ask for a conversation.
RUPTURE_KINDS = frozenset({"low_alliance", "alliance_drop"})


@transaction.atomic
def alliance_settings_update(*, actor: User, settings: AllianceSettings) -> AllianceSettings:
    """Store a practice's alliance thresholds; a value outside its range is refused, not saved."""
    settings.full_clean()
    settings.save()
    audit_record(actor=actor, action="update", obj=settings)
    return settings


# --- Plans: feedback is asked for at every session unless a clinician stops it ----------------


def feedback_plans_ensure(*, episode: Episode) -> None:
    """Session feedback from the client and the therapist (and guardians of young clients).

    A plan that a clinician stopped stays stopped: only a perspective never planned is added.
    """
    wanted = ["client", "therapist"]
    if episode.client.is_minor and episode.client.guardian_links.filter(is_active=True).exists():
        wanted.append("guardian")
    planned = set(
        MeasurePlan.objects.filter(episode=episode, family=FEEDBACK_FAMILY).values_list(
            "respondent", flat=True
        )
    )
    for respondent in wanted:
        if respondent not in planned:
            MeasurePlan.objects.create(
                episode=episode,
                family=FEEDBACK_FAMILY,
                respondent=respondent,
                schedule="every_session",
            )


# --- Alerts after each rating ------------------------------------------------------------------


# No savepoint: it runs inside every submission, and mostly finds nothing to do.
@transaction.atomic(savepoint=False)
def alliance_evaluate(*, response: Response) -> list[Alert]:
    """Run the practice's alliance rules for the session this response belongs to."""
    assignment: Assignment = response.assignment
    session = assignment.session
    if session is None or assignment.plan is None or assignment.plan.family != FEEDBACK_FAMILY:
        return []
    episode = response.episode
    rows = alliance_by_session(episode)
    upto = [row for row in rows if row.session.scheduled_start <= session.scheduled_start]
    current = next((row for row in upto if row.session.pk == session.pk), None)
    if current is None or current.client is None:
        return []  # the client's rating is the anchor; the other side is checked when it comes
    history = client_ratings(upto)
    latest_index = history[-1].session_index
    therapist = rating_of(current.therapist, latest_index) if current.therapist else None
    guardian = rating_of(current.guardians[0], latest_index) if current.guardians else None
    findings = rules.evaluate_session(
        client_history=history,
        therapist=therapist,
        guardian=guardian,
        settings=rules_settings(episode.practice_id),
    )
    created = []
    now = timezone.now()
    for finding in findings:
        if Alert.objects.filter(episode=episode, session=session, kind=finding.kind).exists():
            continue
        # Patterns wait one at a time; events (a low or falling rating) open every session.
        opener = alert_open_unless_open if finding.kind in rules.PATTERN_KINDS else alert_open
        alert = opener(
            episode=episode,
            session=session,
            kind=finding.kind,
            # One reason a line, so the alert card lists them.
            reason="\n".join(finding.reasons) or finding.reason,
            source_response=response,
        )
        if alert is None:
            continue
        created.append(alert)
        if finding.kind in RUPTURE_KINDS and not _open_rupture_exists(episode):
            rupture = Rupture.objects.create(
                episode=episode,
                session=session,
                alert=alert,
                opened_at=now,
                client_words=current.client_words,
            )
            audit_record(
                actor=None,
                action="open",
                obj=rupture,
                client_id=episode.client_id,
                practice_id=episode.practice_id,
            )
    return created


def _open_rupture_exists(episode: Episode) -> bool:
    return any(status_of(r).state == "open" for r in episode.ruptures.all())


# --- Ruptures ----------------------------------------------------------------------------------


@transaction.atomic
def rupture_open(
    *,
    actor: User,
    episode: Episode,
    session: Session | None,
    kind: str,
    client_words: str,
    understanding: str,
) -> Rupture:
    if kind not in Rupture.Kind.values:
        raise ValidationError(_("Choose what kind of rupture this was."))
    if session is not None and session.episode_id != episode.pk:
        raise ValidationError(_("That session belongs to another episode."))
    rupture = Rupture.objects.create(
        episode=episode,
        session=session,
        opened_at=timezone.now(),
        opened_by=actor,
        kind=kind,
        client_words=client_words.strip(),
        understanding=understanding.strip(),
    )
    audit_record(actor=actor, action="create", obj=rupture, client_id=episode.client_id)
    return rupture


@transaction.atomic
def rupture_update(
    *, actor: User, rupture: Rupture, kind: str, client_words: str, understanding: str
) -> Rupture:
    if kind not in Rupture.Kind.values:
        raise ValidationError(_("Choose what kind of rupture this was."))
    rupture.kind = kind
    rupture.client_words = client_words.strip()
    rupture.understanding = understanding.strip()
    rupture.save(update_fields=["kind", "client_words", "understanding"])
    audit_record(actor=actor, action="update", obj=rupture, client_id=rupture.episode.client_id)
    return rupture


@transaction.atomic
def repair_log(*, actor: User, rupture: Rupture, kind: str, note: str) -> RepairAction:
    if kind not in RepairAction.Kind.values:
        raise ValidationError(_("Choose what you did."))
    action = RepairAction.objects.create(
        rupture=rupture, kind=kind, note=note.strip(), taken_at=timezone.now(), taken_by=actor
    )
    audit_record(
        actor=actor,
        action="repair",
        obj=rupture,
        client_id=rupture.episode.client_id,
        detail={"kind": kind},
    )
    return action
