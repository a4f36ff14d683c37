"""Read models for pages that list many clients: a fixed number of queries per page, whatever
the size of the caseload."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypedDict

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from rapport.accounts.models import Role, User
from rapport.alerts.models import Alert
from rapport.care.clock import last_attended, therapy_sessions
from rapport.care.models import Attendance, Episode, EpisodeStatus, Modality
from rapport.care.queries import unrecorded_counts
from rapport.consent import consented
from rapport.core.completion import MISSED_IN_A_ROW
from rapport.core.text import search_key
from rapport.measures.queries import stopped_answering_episodes
from rapport.people.models import Client, GuardianLink, GuardianPhone

PAGE_SIZE = 50
OPEN_STATUSES = (EpisodeStatus.ACTIVE, EpisodeStatus.ON_HOLD)
# Which episodes a caseload lists: the open ones unless asked otherwise.
STATUS_FILTERS = {
    "open": Q(status__in=OPEN_STATUSES),
    "closed": Q(status=EpisodeStatus.CLOSED),
    "all": Q(),
}
# Clients at risk first, then those with an open alert, then by name: with a caseload a page at
# a time, a client at risk must be on the first page, not wherever their name falls. A team's
# page groups by clinician first, the same order within each clinician.
ATTENTION_FIRST = ("-risk_first", "-alert_first")
BY_CLIENT = (*ATTENTION_FIRST, "client__full_name", "pk")
BY_CLINICIAN = ("primary_clinician__full_name", "primary_clinician_id", *BY_CLIENT)


def _with_attention(episodes: QuerySet[Episode], alerts: QuerySet[Alert]) -> QuerySet[Episode]:
    """The keys the orders above sort on, in SQL (the same risk definition as the flags)."""
    return episodes.annotate(
        risk_first=Exists(_risk_unresolved(alerts).filter(episode=OuterRef("pk"))),
        alert_first=Exists(alerts.filter(episode=OuterRef("pk"), status=Alert.Status.OPEN)),
    )


def _risk_unresolved(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    return alerts.filter(kind=Alert.Kind.RISK).exclude(status=Alert.Status.RESOLVED)


def _alerts_seen_by(viewer: User | None) -> QuerySet[Alert]:
    """The alerts a caseload's flags and order count: for a therapist a handoff brought a client
    to, without those the client's consent withholds (a risk alert from before, say)."""
    return consented(viewer, Alert.objects.all()) if viewer is not None else Alert.objects.all()


class CaseloadFilters(TypedDict):
    search: str
    status: str
    started_since: date | None


@dataclass(frozen=True)
class CaseloadRow:
    episode: Episode
    next_session: datetime | None
    next_modality: str | None
    last_session: datetime | None
    last_modality: str | None
    flags: tuple[str, ...]  # filled in by later features (alerts, off-track, plan review due)


@dataclass(frozen=True)
class CaseloadPage:
    """One page of a caseload: its rows, the paginator's page, and how many episodes match."""

    rows: list[CaseloadRow]
    page: Page[int]

    @property
    def count(self) -> int:
        return self.page.paginator.count


def _label(modality: str | None) -> str | None:
    return str(Modality(modality).label) if modality else None


def _flags(episode: Episode, *, stopped_answering: bool = False) -> tuple[str, ...]:
    flags = []
    if episode.at_risk:  # type: ignore[attr-defined]
        flags.append(gettext("Risk"))
    if episode.open_alerts:  # type: ignore[attr-defined]
        count = episode.open_alerts  # type: ignore[attr-defined]
        flags.append(
            ngettext("%(count)d open alert", "%(count)d open alerts", count) % {"count": count}
        )
    if episode.plan_changes:  # type: ignore[attr-defined]
        flags.append(gettext("Plan: changes asked for"))
    if stopped_answering and episode.status != EpisodeStatus.CLOSED:  # closed: nothing to ask
        flags.append(gettext("Last %(count)d forms not completed") % {"count": MISSED_IN_A_ROW})
    if episode.status == EpisodeStatus.ON_HOLD:
        flags.append(gettext("On hold"))
    elif episode.status == EpisodeStatus.CLOSED:
        flags.append(gettext("Closed"))
    elif episode.next_at is None:  # type: ignore[attr-defined]
        flags.append(gettext("No session booked"))
    return tuple(flags)


def caseload_filter(
    episodes: QuerySet[Episode],
    *,
    search: str = "",
    status: str = "open",
    started_since: date | None = None,
) -> QuerySet[Episode]:
    """The episodes of a caseload that match its filters, all in SQL."""
    episodes = episodes.filter(STATUS_FILTERS.get(status, STATUS_FILTERS["open"]))
    if search:
        episodes = episodes.filter(client__search_name__contains=search_key(search))
    if started_since is not None:
        episodes = episodes.filter(start_date__gte=started_since)
    return episodes


def caseload_page(
    episodes: QuerySet[Episode],
    *,
    page: int | str | None = 1,
    per_page: int = PAGE_SIZE,
    order: Sequence[str] = BY_CLIENT,
    viewer: User | None = None,
) -> CaseloadPage:
    """One page of (already filtered) episodes with their figures: a count, the page's ids, and
    the figures of those ids alone — the same few queries for 20 episodes or 20,000."""
    alerts = _alerts_seen_by(viewer)
    ids = _with_attention(episodes, alerts).order_by(*order).values_list("pk", flat=True)
    shown = Paginator(ids, per_page).get_page(page)
    rows = caseload_rows(list(shown.object_list), order=order, alerts=alerts, viewer=viewer)
    return CaseloadPage(rows=rows, page=shown)


def caseload_rows(
    episode_ids: list[int],
    *,
    order: Sequence[str] = BY_CLIENT,
    alerts: QuerySet[Alert] | None = None,
    viewer: User | None = None,
) -> list[CaseloadRow]:
    """The caseload rows of the given episodes: next and last session, alerts, plan changes,
    unrecorded sessions and clients who stopped answering their forms, in three queries.
    `alerts` are those the reader may see (all of them by default)."""
    if not episode_ids:
        return []
    alerts = Alert.objects.all() if alerts is None else alerts
    open_alerts = (
        alerts.filter(episode=OuterRef("pk"), status=Alert.Status.OPEN)
        .order_by()
        .values("episode")
        .annotate(n=Count("pk"))
        .values("n")
    )
    now = timezone.now()
    # A consultation with a possible new therapist is not the next session of this therapy.
    upcoming = (
        therapy_sessions()
        .filter(episode=OuterRef("pk"), attendance=Attendance.SCHEDULED, scheduled_start__gte=now)
        .order_by("scheduled_start")
    )
    past = last_attended(OuterRef("pk"), before=now)
    episodes = (
        _with_attention(Episode.objects.filter(pk__in=episode_ids), alerts)
        .select_related("client", "primary_clinician")
        .annotate(
            next_at=Subquery(upcoming.values("scheduled_start")[:1]),
            next_mod=Subquery(upcoming.values("modality")[:1]),
            last_at=Subquery(past.values("scheduled_start")[:1]),
            last_mod=Subquery(past.values("modality")[:1]),
            # The same definition as the therapist dashboard's risk column.
            at_risk=Exists(_risk_unresolved(alerts).filter(episode=OuterRef("pk"))),
            open_alerts=Coalesce(Subquery(open_alerts), 0),
            plan_changes=Exists(
                alerts.filter(episode=OuterRef("pk"), kind=Alert.Kind.PLAN_CHANGES).exclude(
                    status=Alert.Status.RESOLVED
                )
            ),
        )
        .order_by(*order)
    )
    counts = unrecorded_counts(episode_ids)
    quiet = stopped_answering_episodes(episode_ids, now=now, viewer=viewer)
    rows = []
    for e in episodes:
        e.unrecorded = counts.get(e.pk, 0)  # type: ignore[attr-defined]
        rows.append(
            CaseloadRow(
                episode=e,
                next_session=e.next_at,
                next_modality=_label(e.next_mod),
                last_session=e.last_at,
                last_modality=_label(e.last_mod),
                flags=_flags(e, stopped_answering=e.pk in quiet),
            )
        )
    return rows


def clinician_totals(episodes: QuerySet[Episode], clinician_ids: list[int]) -> dict[int, int]:
    """How many of the (filtered) episodes each of these clinicians holds as primary clinician:
    one grouped count, for the headings of a team's page."""
    counts = (
        episodes.filter(primary_clinician_id__in=clinician_ids)
        .order_by()
        .values("primary_clinician_id")
        .annotate(n=Count("pk"))
    )
    return {row["primary_clinician_id"]: row["n"] for row in counts}


def own_text_record(user: User) -> Client | GuardianPhone | None:
    """Where a portal user's own yes to texts and number are kept: a client's record, or a
    guardian's GuardianPhone (a new, unsaved one until their first yes or number). None for a
    client account without a record."""
    if user.role == Role.GUARDIAN:
        return GuardianPhone.objects.filter(guardian=user).first() or GuardianPhone(guardian=user)
    if user.role == Role.CLIENT:
        return Client.objects.filter(user=user).first()
    return None


@dataclass(frozen=True)
class GuardianReach:
    """How forms reach one linked guardian: by email (with their link's leave to contact them)
    and by text (with their own yes, at their own number)."""

    link: GuardianLink
    texts: GuardianPhone | None

    @property
    def may_text(self) -> bool:
        return self.link.consent_to_contact and self.texts is not None and self.texts.may_text


def guardian_reach(client: Client) -> list[GuardianReach]:
    """The client's active guardian links with each guardian's texts record, in two queries."""
    links = list(client.guardian_links.filter(is_active=True).select_related("guardian"))
    phones = {
        p.guardian_id: p
        for p in GuardianPhone.objects.filter(guardian_id__in=[link.guardian_id for link in links])
    }
    return [GuardianReach(link, phones.get(link.guardian_id)) for link in links]
