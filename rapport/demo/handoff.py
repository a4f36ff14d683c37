"""The demo's completed handoff: an adult client who asked privately for a change of therapist
five weeks ago, agreed to share their questionnaires and plan (not their session feedback nor
risk alerts), read their old therapist's summary, and moved to another clinician 25 days
ago; the sessions since are with the new therapist.

Stored directly, unaudited, like the rest of the demo: a trail of invented people is noise."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from rapport.accounts.models import Role, User
from rapport.care.models import Episode, EpisodeStatus, EpisodeTransfer
from rapport.core import handoff as rules
from rapport.matching.handoff_models import Handoff
from rapport.matching.models import FitCheck, StuckCaseReview
from rapport.measures.models import Assignment

ASKED_AGO = timedelta(days=35)
COMPLETED_AGO = timedelta(days=25)
WORDS = "I find it hard to open up with him; I think I would do better with someone else."
SUMMARY = (
    "We met for twelve weeks about low mood after your move. You found the evening walks and "
    "the worry time most useful, and you asked for someone with more experience of grief. "
    "Your plan's first two goals are met; the third, going back to the choir, is still open."
)


def build_demo_handoff(*, episodes: list[Episode], today: date) -> dict[str, int]:
    taken = set(StuckCaseReview.objects.values_list("episode_id", flat=True)) | set(
        FitCheck.objects.values_list("episode_id", flat=True)
    )
    candidates = sorted(
        (
            e
            for e in episodes
            if e.status != EpisodeStatus.CLOSED
            and e.pk not in taken
            and not e.client.is_minor
            and e.primary_clinician.role == Role.CLINICIAN  # the coordinator is not a party
            and e.start_date < today - ASKED_AGO
        ),
        key=lambda e: -e.pk,
    )
    if not candidates:
        return {"handoffs": 0}
    episode = candidates[0]
    zone = episode.practice.zone
    new = (
        User.objects.filter(practice_id=episode.practice_id, role=Role.CLINICIAN, is_active=True)
        .exclude(pk=episode.primary_clinician_id)
        .order_by("pk")
        .first()
    )
    coordinator = User.objects.filter(practice_id=episode.practice_id, role=Role.SUPERVISOR).first()
    if new is None or coordinator is None:
        return {"handoffs": 0}
    asked = datetime.combine(today - ASKED_AGO, time(21, 5), tzinfo=zone)
    done = datetime.combine(today - COMPLETED_AGO, time(16, 30), tzinfo=zone)
    requester = episode.client.user or coordinator
    fit_check = FitCheck.objects.create(
        episode=episode,
        starter=FitCheck.Starter.CLIENT,
        requested_by=requester,
        requested_at=asked,
        status=FitCheck.Status.CLOSED,
        words=WORDS,
        share_reason=True,
        sent_to_coordinator_at=asked,
        closed_by=coordinator,
        closed_at=done,
        closing_note="Moved to a new therapist (warm handoff).",
    )
    old = episode.primary_clinician
    transfer = EpisodeTransfer.objects.create(
        episode=episode,
        from_clinician=old,
        to_clinician=new,
        reason="Warm handoff after a fit check.",
        transferred_at=done,
        transferred_by=coordinator,
    )
    Handoff.objects.create(
        fit_check=fit_check,
        episode=episode,
        from_clinician=old,
        to_clinician=new,
        status=rules.Status.COMPLETED.value,
        started_by=coordinator,
        started_at=asked + timedelta(days=2),
        share_measures=True,
        share_plan=True,
        shared_list=["Questionnaires about how you have been", "Your plan and its goals"],
        consented_by=requester,
        consented_at=asked + timedelta(days=3),
        consent_expires_at=asked + timedelta(days=3 + rules.CONSENT_DAYS),
        summary=SUMMARY,
        summary_written_at=asked + timedelta(days=5),
        summary_read_at=asked + timedelta(days=6),
        transfer=transfer,
        completed_by=coordinator,
        completed_at=done,
    )
    episode.primary_clinician = new
    episode.save(update_fields=["primary_clinician"])
    episode.team_members.remove(old, new)
    # The sessions since the transfer are the new therapist's: the handoff page shows the new
    # alliance at sessions 2 to 4.
    since = episode.sessions.filter(scheduled_start__gte=done)
    since.update(clinician=new)
    # And the therapist's own ratings of those sessions are the new therapist's.
    Assignment.objects.filter(session__in=since, respondent_key=f"therapist:{old.pk}").update(
        respondent_key=f"therapist:{new.pk}"
    )
    return {"handoffs": 1}
