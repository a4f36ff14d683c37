"""The therapist dashboard's caseload: one row per open episode with its status flags; and the
practice dashboard's figures, computed from the database for the refresh to store.

The caseload is read live (a caseload is tens of episodes): five queries whatever its size —
episodes with their sessions, unresolved (open or acknowledged) alerts by kind, unresolved risk
alerts, and the latest on-track status from the trajectories app.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as dt_time
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.alerts.models import Alert
from rapport.alliance.models import AllianceSettings
from rapport.care.clock import last_attended, therapy_sessions
from rapport.care.models import Attendance, Episode, EpisodeStatus
from rapport.consent import consented, withheld_before_by_client
from rapport.core.instruments import Instrument
from rapport.dashboards.figures import MIN_CASELOAD, Names, practice_figures
from rapport.dashboards.reading import Month, PracticeData, data_mark, read_practice
from rapport.measures.registry import get_instrument, outcome_families
from rapport.measures.reliable import change_rule
from rapport.practices.models import Practice
from rapport.trajectories.queries import latest_status_by_episode

TRACK_LABELS = {"on_track": "On track", "at_risk": "At risk", "off_track": "Off track"}
# Most urgent first when sorted ascending; an unclassified episode sorts last.
TRACK_ORDER = {"off_track": 0, "at_risk": 1, "on_track": 2, None: 3}
ALLIANCE_KINDS = (Alert.Kind.LOW_ALLIANCE, Alert.Kind.ALLIANCE_DROP, Alert.Kind.DISAGREEMENT)


@dataclass(frozen=True)
class DashboardRow:
    episode_id: int
    client_id: int
    client_name: str
    clinician_name: str
    status: str  # "active" | "on_hold"
    track: str | None  # "on_track" | "at_risk" | "off_track"; None when not classified
    track_family: str
    risk: bool  # an unresolved risk alert
    alliance: bool  # an unresolved low-alliance, alliance-drop or disagreement alert
    plan_review: bool  # an unresolved plan-review alert
    last_session: datetime | None
    next_session: datetime | None

    @property
    def track_label(self) -> str:
        return TRACK_LABELS.get(self.track or "", "Not yet classified")


def _far(value: datetime | None, *, future: bool) -> datetime:
    return value or (datetime.max if future else datetime.min).replace(tzinfo=UTC)


# Each sort key puts what needs attention first; ties fall back to the client's name.
SORTS: dict[str, tuple[str, Callable[[DashboardRow], Any]]] = {
    "priority": (
        "Needs attention",
        lambda r: (not r.risk, TRACK_ORDER[r.track], not r.alliance, not r.plan_review),
    ),
    "client": ("Client", lambda r: r.client_name.casefold()),
    "therapist": ("Therapist", lambda r: r.clinician_name.casefold()),
    "track": ("Progress", lambda r: TRACK_ORDER[r.track]),
    "alliance": ("Alliance", lambda r: not r.alliance),
    "risk": ("Risk", lambda r: not r.risk),
    "review": ("Plan review", lambda r: not r.plan_review),
    "last": ("Last session", lambda r: -_far(r.last_session, future=False).timestamp()),
    "next": ("Next session", lambda r: _far(r.next_session, future=True)),
}
DEFAULT_SORT = "priority"


def track_statuses(episode_ids: list[int]) -> dict[int, tuple[str, str]]:
    """(status, family) per episode from the trajectories app."""
    return {pk: (s.status, s.family) for pk, s in latest_status_by_episode(episode_ids).items()}


def _consented_tracks(
    tracks: dict[int, tuple[str, str]], episodes: dict[int, int], viewer: User
) -> dict[int, tuple[str, str]]:
    """`tracks` (by episode) without the scores a handoff's consent withholds from `viewer`:
    for the episodes (and their clients, `episodes`) of a client brought to them without the
    measures, the latest of the scores given since."""
    withheld = withheld_before_by_client(viewer, "measures")
    handed = [pk for pk, client_id in episodes.items() if client_id in withheld]
    if not handed:
        return tracks
    seen = latest_status_by_episode(handed, viewer=viewer)
    kept = {pk: track for pk, track in tracks.items() if pk not in handed}
    return kept | {pk: (s.status, s.family) for pk, s in seen.items()}


OPEN = (EpisodeStatus.ACTIVE, EpisodeStatus.ON_HOLD)


def open_episode_candidates(user: User) -> set[int]:
    """Open episodes the user is on or supervises, found by four indexed lookups.

    A superset hint only: rapport.access decides what the user may see. Its querysets join
    episodes to team members and teams under one OR, which a database answers by scanning every
    episode; narrowing to these ids first keeps the dashboard fast in a large practice.
    """
    lookups = [{"primary_clinician": user}, {"team_members": user}]
    if user.role == Role.SUPERVISOR:
        lookups += [
            {"primary_clinician__team__supervisor": user},
            {"team_members__team__supervisor": user},
        ]
    ids: set[int] = set()
    for lookup in lookups:
        ids.update(Episode.objects.filter(**lookup, status__in=OPEN).values_list("pk", flat=True))
    return ids


def dashboard_rows(
    episodes: QuerySet[Episode],
    *,
    within: set[int] | None = None,
    sort: str = DEFAULT_SORT,
    viewer: User | None = None,
) -> list[DashboardRow]:
    """Rows for the open episodes among `episodes` (narrowed to `within` when given); with
    `viewer`, without the alerts and scores a handoff's consent withholds from them."""
    now = timezone.now()
    # A consultation with a possible new therapist is not the next session of this therapy.
    upcoming = (
        therapy_sessions()
        .filter(episode=OuterRef("pk"), attendance=Attendance.SCHEDULED, scheduled_start__gte=now)
        .order_by("scheduled_start")
    )
    past = last_attended(OuterRef("pk"), before=now)
    if within is not None:
        episodes = episodes.filter(pk__in=within)
    open_episodes = list(
        episodes.filter(status__in=OPEN)
        .distinct()
        .annotate(
            next_at=Subquery(upcoming.values("scheduled_start")[:1]),
            last_at=Subquery(past.values("scheduled_start")[:1]),
        )
        .values(
            "pk",
            "client_id",
            "client__full_name",
            "client__preferred_name",
            "primary_clinician__full_name",
            "status",
            "next_at",
            "last_at",
        )
    )
    ids = [e["pk"] for e in open_episodes]
    kinds: dict[int, set[str]] = defaultdict(set)
    # Acknowledged is not resolved: a risk seen but not yet dealt with still needs attention.
    alerts = Alert.objects.all() if viewer is None else consented(viewer, Alert.objects.all())
    unresolved = alerts.filter(episode_id__in=ids).exclude(status=Alert.Status.RESOLVED)
    for episode_id, kind in unresolved.values_list("episode_id", "kind"):
        kinds[episode_id].add(kind)
    # The same definition as the caseload's "Risk" flag.
    at_risk = set(unresolved.filter(kind=Alert.Kind.RISK).values_list("episode_id", flat=True))
    tracks = track_statuses(ids)
    if viewer is not None:
        tracks = _consented_tracks(tracks, {e["pk"]: e["client_id"] for e in open_episodes}, viewer)
    rows = []
    for e in open_episodes:
        open_kinds = kinds.get(e["pk"], set())
        track, family = tracks.get(e["pk"], (None, ""))
        preferred = (e["client__preferred_name"] or "").strip()
        full = e["client__full_name"]
        rows.append(
            DashboardRow(
                episode_id=e["pk"],
                client_id=e["client_id"],
                client_name=(
                    f"{full} ({preferred})"
                    if preferred and preferred not in full.split(" ")
                    else full
                ),
                clinician_name=e["primary_clinician__full_name"],
                status=e["status"],
                track=track,
                track_family=family,
                risk=e["pk"] in at_risk,
                alliance=any(kind in open_kinds for kind in ALLIANCE_KINDS),
                plan_review=Alert.Kind.PLAN_REVIEW in open_kinds,
                last_session=e["last_at"],
                next_session=e["next_at"],
            )
        )
    return sort_rows(rows, sort)


def sort_rows(rows: list[DashboardRow], sort: str) -> list[DashboardRow]:
    """Sort by a key of SORTS; "-key" reverses it. The client's name breaks ties."""
    descending = sort.startswith("-")
    key = SORTS.get(sort.lstrip("-"), SORTS[DEFAULT_SORT])[1]
    by_name = sorted(rows, key=lambda r: r.client_name.casefold())
    return sorted(by_name, key=key, reverse=descending)


# --- The practice dashboard's figures, computed from the database ---------------------------------

ALLIANCE_INSTRUMENT = "feedback-client"


def min_caseload() -> int:
    return int(getattr(settings, "RAPPORT_DASHBOARD_MIN_CASELOAD", MIN_CASELOAD))


def outcome_instruments(practice_id: int) -> list[Instrument]:
    """Client-rated outcome measures with a published reliability: those change can be judged on."""
    return [
        instrument
        for found in outcome_families(practice_id).values()
        for instrument in found
        if instrument.reliability is not None
    ]


def _alliance_instrument(practice_id: int) -> Instrument | None:
    try:
        return get_instrument(ALLIANCE_INSTRUMENT, practice_id=practice_id)
    except LookupError:
        return None


def _alliance_cutoff(practice_id: int) -> float:
    """The practice's low-alliance cut-off."""
    return float(AllianceSettings.for_practice(practice_id).low_total_cutoff)


def _figures(practice: Practice, month: Month | None = None) -> tuple[dict[str, Any], PracticeData]:
    outcomes = outcome_instruments(practice.pk)
    alliance = _alliance_instrument(practice.pk)
    data = read_practice(
        practice.pk, [i.id for i in outcomes], alliance.id if alliance else None, month=month
    )
    names = Names(
        therapists=dict(
            User.objects.filter(
                practice=practice, role__in=[Role.CLINICIAN, Role.SUPERVISOR]
            ).values_list("pk", "full_name")
        )
    )
    figures = practice_figures(
        data,
        outcome_instruments=outcomes,
        alliance_instrument=alliance,
        alliance_cutoff=_alliance_cutoff(practice.pk),
        names=names,
        min_caseload=min_caseload(),
        rules={i.id: change_rule(i, practice_id=practice.pk) for i in outcomes},
    )
    return figures, data


def snapshot_values(practice: Practice) -> dict[str, Any]:
    """Every practice-dashboard figure, read and computed from the database, with how long that
    took and the mark of the data it was computed from: the fields of a DashboardSnapshot."""
    started = time.perf_counter()
    mark = data_mark(practice.pk)
    figures, data = _figures(practice)
    return {
        "computed_at": timezone.now(),
        "seconds": time.perf_counter() - started,
        "figures": figures,
        "clients": len(set(data.client_ids.tolist())),
        "episodes": data.n_episodes,
        "closed_episodes": int(data.closed.sum()),
        "administrations": int(data.response_total.shape[0] + data.rating_counts.sum()),
        "data_mark": mark,
    }


def month_of(practice: Practice, first: date) -> Month:
    """The calendar month beginning on `first`, in the practice's time zone."""
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    zone = practice.zone
    return Month(
        first=first,
        after=after,
        start=datetime.combine(first, dt_time.min, tzinfo=zone),
        end=datetime.combine(after, dt_time.min, tzinfo=zone),
    )


def month_figures(practice: Practice, month: Month) -> dict[str, Any]:
    """The practice dashboard's figures for one month, computed as the dashboard computes them
    (see read_practice for what a month counts); never stored: a month's report reads them."""
    figures, _ = _figures(practice, month)
    return figures
