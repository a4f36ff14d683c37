"""Reads for the stuck-case review: what the data say about an episode (from the other apps' own
queries, so no figure is computed a second way), the latest review of an episode, and the
reviews that are overdue for a supervisor."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from rapport import access
from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.alliance.models import Rupture
from rapport.alliance.queries import alliance_by_session, alliance_score_range, status_of
from rapport.care.models import Attendance, Episode, EpisodeStatus
from rapport.core import case_review as rules
from rapport.matching.models import StuckCaseReview
from rapport.plans import queries as plans
from rapport.plans.goal_status import goals_progress, measure_families
from rapport.trajectories.queries import episode_statuses

RECENT_SESSIONS = 3  # the alliance rows the review shows: the last few sessions, not the whole


def _number(value: object) -> float | None:
    return None if value is None else round(float(str(value)), 1)


def review_facts(episode: Episode, *, today: date | None = None) -> dict[str, Any]:
    """What the data say about the episode up to `today`, as plain JSON: stored with a
    completed review so the record keeps what the clinician saw. (Goals at risk are judged on
    all the data there is: the plans app has no view of them as of an earlier day.)"""
    today = today or timezone.localdate(timezone.now(), episode.practice.zone)
    families = measure_families(episode.practice_id)
    latest: dict[str, Any] = {}
    for status in episode_statuses(episode):  # oldest first: the last one of a family wins
        if status.at.date() > today:
            continue
        instrument = families.get(status.family)
        latest[status.family] = {
            "measure": instrument.short_title if instrument else status.family,
            "status": status.get_status_display(),
            "on": status.at.date().isoformat(),
            "score": _number(status.response.total),
            "worse_than_start": status.reliable_deterioration,
        }
    rows = [r for r in alliance_by_session(episode) if r.session.scheduled_start.date() <= today]
    low, high = alliance_score_range(episode, rows)
    alliance = [
        {
            "on": row.session.scheduled_start.date().isoformat(),
            "client": _number(row.client.total) if row.client else None,
            "therapist": _number(row.therapist.total) if row.therapist else None,
            "parents": [_number(g.total) for g in row.guardians],
        }
        for row in rows[-RECENT_SESSIONS:]
    ]
    ruptures = []
    for rupture in episode.ruptures.filter(opened_at__date__lte=today).select_related(
        "session", "episode"
    ):
        state = status_of(rupture, rows).state
        if rules.rupture_may_start_review(state):
            ruptures.append(
                {"id": rupture.pk, "on": rupture.opened_at.date().isoformat(), "state": state}
            )
    version = plans.latest_version(episode)
    goals = [
        {"goal": progress.goal.title, "now": progress.current_words}
        for progress in goals_progress(episode, plans.episode_goals(version), today=today)
        if progress.progress.status.value == "at_risk"
    ]
    past = episode.sessions.filter(scheduled_start__date__lte=today)
    counts = Counter(past.values_list("attendance", flat=True))
    return {
        "as_of": today.isoformat(),
        "trajectory": list(latest.values()),
        "alliance": alliance,
        "alliance_range": [_number(low), _number(high)],
        "ruptures": ruptures,
        "goals_at_risk": goals,
        "attendance": {
            "attended": counts[Attendance.ATTENDED],
            "cancelled_by_client": counts[Attendance.CANCELLED_CLIENT],
            "cancelled_by_clinician": counts[Attendance.CANCELLED_CLINICIAN],
            "did_not_attend": counts[Attendance.NO_SHOW],
            "not_recorded": counts[Attendance.SCHEDULED],
        },
    }


def trigger_of_alert(episode: Episode, alert_id: int) -> Alert | None:
    """The episode's unresolved alert of this id, if it is one a review may start from."""
    alert = Alert.objects.filter(pk=alert_id, episode=episode).unresolved().first()
    if alert is None or rules.trigger_for_alert(alert.kind) is None:
        return None
    return alert


def trigger_of_rupture(episode: Episode, rupture_id: int) -> Rupture | None:
    """The episode's rupture of this id, if it is not repaired."""
    rupture = episode.ruptures.select_related("session", "episode").filter(pk=rupture_id).first()
    if rupture is None or not rules.rupture_may_start_review(status_of(rupture).state):
        return None
    return rupture


def completion_times(episode: Episode) -> list[datetime]:
    """When each of the episode's reviews was completed, oldest first (the progress chart marks
    them)."""
    done = episode.case_reviews.filter(
        status=StuckCaseReview.Status.DONE, completed_at__isnull=False
    )
    times = done.order_by("completed_at", "pk").values_list("completed_at", flat=True)
    return [at for at in times if at is not None]


def open_review(episode: Episode) -> StuckCaseReview | None:
    return episode.case_reviews.filter(status=StuckCaseReview.Status.OPEN).first()


def latest_review(episode: Episode) -> StuckCaseReview | None:
    """The episode's most recent completed review, with who decided."""
    return (
        episode.case_reviews.filter(status=StuckCaseReview.Status.DONE)
        .select_related("decided_by")
        .order_by("-completed_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class OverdueReview:
    review: StuckCaseReview
    reason: str


def overdue_reviews(user: User, *, today: date | None = None) -> list[OverdueReview]:
    """The reviews of open episodes in the user's care (a supervisor's include their teams')
    that are overdue: open and unfinished too long, or past their follow-up with no later
    review. Only each episode's latest review counts: a later one answers the earlier."""
    episodes = access.caseload_episodes(user) | access.team_episodes(user)
    reviews: QuerySet[StuckCaseReview] = (
        StuckCaseReview.objects.filter(episode__in=episodes)
        .exclude(episode__status=EpisodeStatus.CLOSED)
        .select_related("episode__client", "episode__primary_clinician", "decided_by")
        .order_by("episode_id", "-opened_at", "-pk")
    )
    # The active time zone is the practice's (set for every signed-in request).
    day = today or timezone.localdate()
    found = []
    seen: set[int] = set()
    for review in reviews:
        if review.episode_id in seen:
            continue
        seen.add(review.episode_id)
        reason = rules.overdue_reason(
            done=not review.is_open,
            opened_on=timezone.localdate(review.opened_at),
            follow_up=review.follow_up_on,
            later_review=False,  # the latest review of its episode, by construction
            today=day,
        )
        if reason is not None:
            found.append(OverdueReview(review, reason))
    return found
