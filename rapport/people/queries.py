"""Read models for pages that list many clients: one query per list, no N+1."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.care.clock import last_attended
from rapport.care.models import Attendance, Episode, EpisodeStatus, Modality, Session
from rapport.core.text import search_key


@dataclass(frozen=True)
class CaseloadRow:
    episode: Episode
    next_session: datetime | None
    next_modality: str | None
    last_session: datetime | None
    last_modality: str | None
    flags: tuple[str, ...]  # filled in by later features (alerts, off-track, plan review due)


def _label(modality: str | None) -> str | None:
    return Modality(modality).label if modality else None


def _flags(episode: Episode) -> tuple[str, ...]:
    flags = []
    if episode.at_risk:  # type: ignore[attr-defined]
        flags.append("Risk")
    if episode.open_alerts:  # type: ignore[attr-defined]
        count = episode.open_alerts  # type: ignore[attr-defined]
        flags.append(f"{count} open alert{'s' if count != 1 else ''}")
    if episode.plan_changes:  # type: ignore[attr-defined]
        flags.append("Plan: changes asked for")
    if episode.status == EpisodeStatus.ON_HOLD:
        flags.append("On hold")
    elif episode.next_at is None:  # type: ignore[attr-defined]
        flags.append("No session booked")
    return tuple(flags)


def caseload_rows(episodes: QuerySet[Episode], *, search: str = "") -> list[CaseloadRow]:
    now = timezone.now()
    upcoming = Session.objects.filter(
        episode=OuterRef("pk"), attendance=Attendance.SCHEDULED, scheduled_start__gte=now
    ).order_by("scheduled_start")
    past = last_attended(OuterRef("pk"), before=now)
    episodes = episodes.filter(status__in=[EpisodeStatus.ACTIVE, EpisodeStatus.ON_HOLD])
    if search:
        episodes = episodes.filter(client__search_name__contains=search_key(search))
    episodes = (
        episodes.select_related("client", "primary_clinician")
        .annotate(
            next_at=Subquery(upcoming.values("scheduled_start")[:1]),
            next_mod=Subquery(upcoming.values("modality")[:1]),
            last_at=Subquery(past.values("scheduled_start")[:1]),
            last_mod=Subquery(past.values("modality")[:1]),
            # The same definition as the therapist dashboard's risk column.
            at_risk=Exists(Alert.objects.risk_unresolved().filter(episode=OuterRef("pk"))),
            open_alerts=Count("alerts", filter=Q(alerts__status=Alert.Status.OPEN), distinct=True),
            plan_changes=Exists(
                Alert.objects.filter(episode=OuterRef("pk"), kind=Alert.Kind.PLAN_CHANGES).exclude(
                    status=Alert.Status.RESOLVED
                )
            ),
        )
        .order_by("client__full_name")
        .distinct()
    )
    return [
        CaseloadRow(
            episode=e,
            next_session=e.next_at,
            next_modality=_label(e.next_mod),
            last_session=e.last_at,
            last_modality=_label(e.last_mod),
            flags=_flags(e),
        )
        for e in episodes
    ]
