"""Reads of form completion: the funnel by measure, modality, week and clinician, the monthly rate
with its trend, and the clients who have stopped answering (rules in rapport.core.completion).

Three queries for a period whatever its size: the forms due in it, the ones sent by email, and
the ones opened (the audit trail holds every opening of a form, by link or in the portal).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from rapport.audit.models import AuditEvent
from rapport.care.models import Episode, Modality
from rapport.core.completion import Funnel, MonthTrend, month_trend
from rapport.dashboards.queries import month_of
from rapport.measures.models import AccessLink, Assignment
from rapport.measures.registry import get_instrument
from rapport.practices.models import Practice

# Openings of a form that the audit trail records: a link opened from home, a portal page read.
OPENING_ACTIONS = ("link_open", "portal_read")
ASSIGNMENT_TYPE = "measures.assignment"
BETWEEN_SESSIONS = "Between sessions"
WEEKS = 12  # a quarter: enough weeks to see a pattern, few enough to read on a phone
MONTHS = 6
# What the client and their guardians are asked; a clinician's own ratings are not theirs to miss.
ANSWERED_BY_CLIENT_SIDE = ("client", "guardian")


@dataclass
class CompletionFigures:
    """A period's funnel, whole and broken down; each breakdown's rows sorted by label."""

    start: date
    end: date
    whole: Funnel = field(default_factory=Funnel)
    by_measure: dict[str, Funnel] = field(default_factory=dict)
    by_modality: dict[str, Funnel] = field(default_factory=dict)
    by_week: dict[date, Funnel] = field(default_factory=dict)
    by_clinician: dict[str, Funnel] = field(default_factory=dict)


def _asked(episodes: QuerySet[Episode]) -> QuerySet[Assignment]:
    return Assignment.objects.filter(
        episode__in=episodes, respondent__in=ANSWERED_BY_CLIENT_SIDE
    ).exclude(status=Assignment.Status.CANCELLED)


def _measure_name(instrument_id: str, practice_id: int) -> str:
    try:
        return get_instrument(instrument_id, practice_id=practice_id).short_title
    except LookupError:
        return instrument_id


def completion_figures(
    practice: Practice, episodes: QuerySet[Episode], *, today: date | None = None
) -> CompletionFigures:
    """The last WEEKS weeks (Monday to Sunday, in the practice's time zone) of these episodes'
    forms."""
    zone = practice.zone
    today = today or timezone.localdate(timezone=zone)
    end = today - timedelta(days=today.weekday()) + timedelta(days=7)
    start = end - timedelta(weeks=WEEKS)
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end, time.min, tzinfo=zone)
    asked = _asked(episodes).filter(due_at__gte=since, due_at__lt=until)
    rows = asked.values_list(
        "pk",
        "instrument_id",
        "session__modality",
        "due_at",
        "status",
        "episode__primary_clinician__full_name",
    )
    sent = set(
        AccessLink.objects.filter(assignment__in=asked, sent_at__isnull=False).values_list(
            "assignment_id", flat=True
        )
    )
    opened = {
        int(pk)
        for pk in AuditEvent.objects.filter(
            practice_id=practice.pk,
            object_type=ASSIGNMENT_TYPE,
            action__in=OPENING_ACTIONS,
            occurred_at__gte=since,
        ).values_list("object_id", flat=True)
        if pk.isdigit()
    }
    figures = CompletionFigures(start=start, end=end - timedelta(days=1))
    counts: dict[tuple[str, object], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    names: dict[str, str] = {}
    for pk, instrument_id, modality, due_at, status, clinician in rows:
        completed = status == Assignment.Status.COMPLETED
        one = (
            1,
            int(pk in sent),
            int(pk in opened or completed),
            int(completed),
            int(status == Assignment.Status.EXPIRED),
        )
        if instrument_id not in names:
            names[instrument_id] = _measure_name(instrument_id, practice.pk)
        local = timezone.localtime(due_at, zone).date()
        week = local - timedelta(days=local.weekday())
        keys = (
            ("measure", names[instrument_id]),
            ("modality", Modality(modality).label if modality else BETWEEN_SESSIONS),
            ("week", week),
            ("clinician", clinician),
            ("whole", ""),
        )
        for key in keys:
            tally = counts[key]
            for i, n in enumerate(one):
                tally[i] += n
    for (kind, label), tally in sorted(counts.items(), key=lambda item: str(item[0][1])):
        funnel = Funnel(*tally)
        if kind == "whole":
            figures.whole = funnel
        elif kind == "week":
            figures.by_week[label] = funnel  # type: ignore[index]  # weeks are dates
        else:
            getattr(figures, f"by_{kind}")[str(label)] = funnel
    return figures


@dataclass(frozen=True)
class MonthRate:
    month: date
    funnel: Funnel


def monthly_completion(
    practice: Practice, episodes: QuerySet[Episode], *, today: date | None = None
) -> tuple[list[MonthRate], MonthTrend]:
    """The completion rate of each of the last MONTHS months (this one last), and the trend of
    this month against the three before it: one grouped query."""
    zone = practice.zone
    today = today or timezone.localdate(timezone=zone)
    months = [_month_back(today.replace(day=1), n) for n in range(MONTHS - 1, -1, -1)]
    since = month_of(practice, months[0]).start
    grouped = (
        _asked(episodes)
        .filter(due_at__gte=since)
        .annotate(month=TruncMonth("due_at", tzinfo=zone))
        .values("month")
        .annotate(
            asked=Count("pk"),
            completed=Count("pk", filter=Q(status=Assignment.Status.COMPLETED)),
            expired=Count("pk", filter=Q(status=Assignment.Status.EXPIRED)),
        )
        .order_by("month")
    )
    found = {
        _as_date(row["month"]): Funnel(
            asked=row["asked"], completed=row["completed"], expired=row["expired"]
        )
        for row in grouped
    }
    rates = [MonthRate(month, found.get(month, Funnel())) for month in months]
    return rates, month_trend([rate.funnel.rate for rate in rates])


def _month_back(first: date, n: int) -> date:
    year, month = divmod(first.year * 12 + first.month - 1 - n, 12)
    return date(year, month + 1, 1)


def _as_date(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment
