"""Reads of the warm handoff: what exactly would be shared (in the client's words and
language), the coordinator's list with its flags, the new alliance at sessions 2–4, and the
supervisor's counts of re-matching outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.db.models import Min, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.alerts.models import Alert
from rapport.care.models import Attendance, ClosureReason, Session
from rapport.core import handoff as rules
from rapport.matching.handoff_models import Handoff, HandoffSettings
from rapport.matching.models import FitCheck, StuckCaseReview
from rapport.measures.models import Response
from rapport.plans.models import PlanVersion

FEEDBACK = "feedback"  # the session feedback family: the alliance's measure
# Medians and shares of fewer handoffs than this are not shown: with a handful of clients a
# median is one person's story, and a share of 1 in 3 can point at a client.
MIN_SHOWN = 5


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), _("j M Y"))


def shared_things(handoff: Handoff) -> list[tuple[str, str]]:
    """Each item the client may agree to share, with exactly what it holds now, in the active
    language: [(item, words)], in the order of rules.ITEMS."""
    episode = handoff.episode
    responses = Response.objects.filter(episode=episode, total__isnull=False)
    words: dict[str, str] = {}
    measures = responses.exclude(assignment__plan__family=FEEDBACK).order_by("completed_at")
    words["measures"] = _span(
        measures,
        lambda n: ngettext(
            "%(n)d questionnaire about how you have been, from %(first)s to %(last)s",
            "%(n)d questionnaires about how you have been, from %(first)s to %(last)s",
            n,
        ),
        _("No questionnaires yet."),
    )
    version = (
        PlanVersion.objects.filter(episode=episode).exclude(status="draft").order_by("-number")
    ).first()
    if version is None:
        words["plan"] = _("No plan has been agreed yet.")
    else:
        goals = version.goals.count()
        words["plan"] = ngettext(
            "Your plan (version %(v)d) and its %(n)d goal",
            "Your plan (version %(v)d) and its %(n)d goals",
            goals,
        ) % {"v": version.number, "n": goals}
    feedback = responses.filter(assignment__plan__family=FEEDBACK).order_by("completed_at")
    words["alliance"] = _span(
        feedback,
        lambda n: ngettext(
            "%(n)d session feedback form about how sessions went, from %(first)s to %(last)s",
            "%(n)d session feedback forms about how sessions went, from %(first)s to %(last)s",
            n,
        ),
        _("No session feedback yet."),
    )
    risks = Alert.objects.filter(episode=episode, kind=Alert.Kind.RISK).count()
    words["risk_alerts"] = (
        ngettext(
            "%(n)d time an answer about your safety was flagged to your therapist",
            "%(n)d times an answer about your safety was flagged to your therapist",
            risks,
        )
        % {"n": risks}
        if risks
        else _("No answer about your safety has been flagged.")
    )
    return [(item.value, words[item.value]) for item in rules.ITEMS]


def _span(rows: QuerySet[Response], phrase: Any, none: str) -> str:
    times = list(rows.values_list("completed_at", flat=True))
    if not times:
        return none
    text: str = phrase(len(times)) % {
        "n": len(times),
        "first": _when(times[0]),
        "last": _when(times[-1]),
    }
    return text


def first_session_after(handoff: Handoff) -> datetime | None:
    if handoff.completed_at is None:
        return None
    found: datetime | None = Session.objects.filter(
        episode_id=handoff.episode_id,
        clinician_id=handoff.to_clinician_id,
        attendance=Attendance.ATTENDED,
        scheduled_start__gte=handoff.completed_at,
    ).aggregate(first=Min("scheduled_start"))["first"]
    return found


@dataclass(frozen=True)
class HandoffRow:
    handoff: Handoff
    not_started: bool
    consent_expired: bool


def coordinator_rows(practice_id: int, now: datetime | None = None) -> list[HandoffRow]:
    """The practice's handoffs under way and those completed in the last 60 days, each flagged
    when consent has run out or the client has not started with the new therapist."""
    now = now or timezone.now()
    days = HandoffSettings.for_practice(practice_id).not_started_days
    handoffs = (
        Handoff.objects.filter(episode__practice_id=practice_id)
        .exclude(status=rules.Status.CANCELLED.value)
        .exclude(status=rules.Status.COMPLETED.value, completed_at__lt=now - timedelta(days=60))
        .select_related("episode__client", "from_clinician", "to_clinician")
    )
    rows = []
    for handoff in handoffs:
        completed = handoff.completed_at
        not_started = completed is not None and rules.not_started(
            transferred_at=completed,
            now=now,
            started=first_session_after(handoff) is not None,
            days=days,
        )
        expired = (
            handoff.rule_status in rules.AGREED
            and handoff.consent_expires_at is not None
            and handoff.consent_expires_at <= now
        )
        rows.append(HandoffRow(handoff, not_started, expired))
    return rows


@dataclass(frozen=True)
class WatchedSession:
    number: int  # the session's number with the new therapist
    session: Session
    alliance: float | None  # the client's feedback total
    low: bool  # a low-alliance alert was opened at this session (rapport.alerts' rules)


def alliance_watch(handoff: Handoff) -> list[WatchedSession]:
    """The new alliance at sessions 2–4 with the new therapist."""
    if handoff.completed_at is None:
        return []
    sessions = list(
        Session.objects.filter(
            episode_id=handoff.episode_id,
            clinician_id=handoff.to_clinician_id,
            attendance=Attendance.ATTENDED,
            scheduled_start__gte=handoff.completed_at,
        ).order_by("scheduled_start")[: max(rules.WATCHED_SESSIONS)]
    )
    rows = []
    for number, session in enumerate(sessions, start=1):
        if number not in rules.WATCHED_SESSIONS:
            continue
        total = (
            Response.objects.filter(
                assignment__session=session,
                assignment__plan__family=FEEDBACK,
                respondent="client",
            )
            .values_list("total", flat=True)
            .first()
        )
        low = Alert.objects.filter(
            session=session, kind__in=[Alert.Kind.LOW_ALLIANCE, Alert.Kind.ALLIANCE_DROP]
        ).exists()
        rows.append(WatchedSession(number, session, total, low))
    return rows


@dataclass(frozen=True)
class Outcomes:
    fit_checks: int
    reviews: int
    handoffs: int
    rematches: int
    started: int
    median_days_to_first: float | None
    dropped: int
    dropout_shown: bool
    alliance_before: float | None
    alliance_after: float | None
    alliance_pairs: int
    min_shown: int = MIN_SHOWN


def _client_alliance(handoff: Handoff, *, after: bool) -> float | None:
    assert handoff.completed_at is not None
    rows = Response.objects.filter(
        episode_id=handoff.episode_id,
        assignment__plan__family=FEEDBACK,
        respondent="client",
        total__isnull=False,
    )
    if after:
        totals = rows.filter(completed_at__gte=handoff.completed_at).order_by("completed_at")
    else:
        totals = rows.filter(completed_at__lt=handoff.completed_at).order_by("-completed_at")
    values = [float(t) for t in totals.values_list("total", flat=True)[:3] if t is not None]
    return sum(values) / len(values) if values else None


def outcomes(practice_id: int, now: datetime | None = None) -> Outcomes:
    """Counts of the practice's stuck-case reviews, fit checks and re-matches, and how the
    re-matched clients fared: time to a first session with the new therapist, dropout after the
    transfer (no session within the practice's "not started" days, or the episode closed as a
    dropout), and the client's alliance (mean of up to three ratings) before and after."""
    now = now or timezone.now()
    days = HandoffSettings.for_practice(practice_id).not_started_days
    handoffs = Handoff.objects.filter(episode__practice_id=practice_id)
    completed = list(handoffs.filter(status=rules.Status.COMPLETED.value).select_related("episode"))
    waits, dropped, started = [], 0, 0
    before, after = [], []
    for handoff in completed:
        assert handoff.completed_at is not None
        first = first_session_after(handoff)
        if first is not None:
            started += 1
            waits.append((first - handoff.completed_at).total_seconds() / 86400)
        closed_as_dropout = handoff.episode.closure_reason == ClosureReason.DROPPED_OUT
        late = first is None or first > handoff.completed_at + timedelta(days=days)
        if closed_as_dropout or (late and now >= handoff.completed_at + timedelta(days=days)):
            dropped += 1
        pair = (_client_alliance(handoff, after=False), _client_alliance(handoff, after=True))
        if pair[0] is not None and pair[1] is not None:
            before.append(pair[0])
            after.append(pair[1])
    enough_waits = len(waits) >= MIN_SHOWN
    enough_pairs = len(before) >= MIN_SHOWN
    return Outcomes(
        fit_checks=FitCheck.objects.filter(episode__practice_id=practice_id).count(),
        reviews=StuckCaseReview.objects.filter(episode__practice_id=practice_id).count(),
        handoffs=handoffs.count(),
        rematches=len(completed),
        started=started,
        median_days_to_first=round(median(waits), 1) if enough_waits else None,
        dropped=dropped,
        dropout_shown=len(completed) >= MIN_SHOWN,
        alliance_before=round(median(before), 1) if enough_pairs else None,
        alliance_after=round(median(after), 1) if enough_pairs else None,
        alliance_pairs=len(before),
    )
