"""The demo's stuck-case review: one, completed by the primary clinician of an open episode that
went off track, from the alert the trajectories' demo resolved (the review is what resolved it).
Its follow-up date has passed, so the supervisor's dashboard lists it as overdue.

Stored directly, unaudited, like the rest of the demo: a trail of invented people is noise."""

from __future__ import annotations

from datetime import date, timedelta

from rapport.alerts.models import Alert
from rapport.care.models import Episode, EpisodeStatus
from rapport.core import case_review as rules
from rapport.matching.models import StuckCaseReview
from rapport.matching.queries import review_facts

FOLLOW_UP_AFTER = timedelta(days=21)
DECISION = (
    "Talk with the client about how our sessions feel, then revise the plan together; "
    "bring the case to supervision first."
)
ANSWERS = {
    "alliance": ("concern", "Quieter in sessions since the homework was set."),
    "agreement": ("concern", "The plan's goals are mine more than theirs."),
    "motivation": ("fine", ""),
    "life_events": ("unsure", "Exams this month; ask."),
    "support": ("fine", ""),
    "approach": ("unsure", ""),
}


def build_demo_review(*, episodes: list[Episode], today: date) -> dict[str, int]:
    open_ids = [e.pk for e in episodes if e.status != EpisodeStatus.CLOSED]
    candidates = (
        Alert.objects.filter(episode_id__in=open_ids, kind__in=rules.OFF_TRACK_ALERT_KINDS)
        # A clinician with a supervisor, whose dashboard then lists the review when overdue.
        .filter(episode__primary_clinician__team__supervisor__isnull=False)
        .select_related("episode__practice", "episode__primary_clinician")
        .order_by("-opened_at", "-pk")
    )
    # The latest alert whose review's follow-up has just passed, so the review shows as overdue
    # for a few days, not for months; else the latest alert of all.
    recent_enough = today - FOLLOW_UP_AFTER - timedelta(days=3)
    alert = candidates.filter(opened_at__date__lte=recent_enough).first() or candidates.first()
    if alert is None:
        return {"case_reviews": 0}
    episode = alert.episode
    clinician = episode.primary_clinician
    # Completed two days after the alert, whether or not the demo had already resolved it:
    # the review is what resolves it.
    done_at = alert.opened_at + timedelta(days=2)
    StuckCaseReview.objects.create(
        episode=episode,
        opened_by=clinician,
        opened_at=done_at - timedelta(hours=1),
        trigger=rules.Trigger.OFF_TRACK.value,
        alert=alert,
        facts=review_facts(episode, today=today),
        answers={key: {"answer": a, "note": note} for key, (a, note) in ANSWERS.items()},
        options=[
            rules.Option.RUPTURE_CONVERSATION.value,
            rules.Option.PLAN_REVISION.value,
            rules.Option.SUPERVISION.value,
        ],
        decision=DECISION,
        decided_by=clinician,
        follow_up_on=done_at.date() + FOLLOW_UP_AFTER,
        completed_at=done_at,
        status=StuckCaseReview.Status.DONE,
    )
    note = f"Reviewed the case (stuck-case review): {DECISION}"
    Alert.objects.filter(pk=alert.pk).update(
        status=Alert.Status.RESOLVED,
        acknowledged_at=alert.acknowledged_at or done_at,
        acknowledged_by=alert.acknowledged_by or clinician,
        acknowledgement_note=alert.acknowledgement_note or note,
        resolved_at=done_at,
        resolved_by=clinician,
        resolution_note=note,
    )
    return {"case_reviews": 1}
