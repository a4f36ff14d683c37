"""Read models for the progress chart: an episode's scores by session number, with what happened.

Session numbers count the sessions that took place (attended, or with a form completed for
them), 1 being the intake, so scores, the alliance, alerts and plan revisions share one x axis,
as the expected bands of `rapport.trajectories` do. Something dated between two sessions (a plan
accepted on a Wednesday) sits half-way between them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext
from django.utils.translation import gettext as _

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.alliance.queries import (
    DEFAULT_FEEDBACK,
    alliance_by_session,
    alliance_score_range,
)
from rapport.care.clock import took_place_numbers
from rapport.care.models import Episode
from rapport.consent import viewer_shared
from rapport.core.instruments import Instrument
from rapport.matching.queries import completion_times
from rapport.measures.models import Response
from rapport.measures.queries import MeasureHistory, score_histories
from rapport.measures.registry import get_instrument
from rapport.measures.wording import in_reader_language
from rapport.people.models import Client, GuardianLink
from rapport.plans import queries as plans
from rapport.trajectories import queries as trajectories
from rapport.trajectories.queries import ExpectedBand

ALLIANCE_FAMILY = "feedback"
# Chart order only (the commonest measures first); which families are outcome measures is the
# registry's answer (outcome_families), and a family not listed here follows these by title.
FAMILY_ORDER = ("phq9", "gad7", "checkin")
# Alerts about the alliance that no form raised go on the alliance panel.
ALLIANCE_KINDS = frozenset(
    {
        Alert.Kind.LOW_ALLIANCE,
        Alert.Kind.ALLIANCE_DROP,
        Alert.Kind.DISAGREEMENT,
        Alert.Kind.CEILING,
    }
)


@dataclass(frozen=True)
class SessionClock:
    """Session numbers by session id, and the start of each numbered session in order."""

    numbers: dict[int, int]
    starts: list[datetime]

    def number_of(self, session_id: int | None, at: datetime) -> float:
        if session_id is not None and session_id in self.numbers:
            return float(self.numbers[session_id])
        return self.at(at)

    def at(self, moment: datetime) -> float:
        """The session number of a moment: on a session's start, that session; between two,
        half-way; before the first, half a session before it."""
        before = bisect_right(self.starts, moment)
        if before and self.starts[before - 1] == moment:
            return float(before)
        return before + 0.5 if before else 0.5


def session_clock(episode: Episode) -> SessionClock:
    ordered = took_place_numbers(episode)
    return SessionClock(
        numbers={pk: n for n, (pk, _) in enumerate(ordered, start=1)},
        starts=[start for _, start in ordered],
    )


@dataclass(frozen=True)
class Point:
    x: float
    at: datetime
    total: float
    band: str
    response_id: int
    risk: bool = False  # the response carries a risk flag (Response.carries_risk_flag)


@dataclass(frozen=True)
class ScoreSeries:
    label: str
    respondent: str
    instrument: Instrument
    points: list[Point]

    @property
    def first(self) -> Point:
        return self.points[0]

    @property
    def latest(self) -> Point:
        return self.points[-1]


@dataclass(frozen=True)
class AlertMark:
    x: float
    at: datetime
    label: str
    urgent: bool


@dataclass
class FamilyProgress:
    family: str
    instrument: Instrument  # the client's form of the family: its bands, direction and range
    series: list[ScoreSeries]
    expected: ExpectedBand | None = None
    alerts: list[AlertMark] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The measure's short name in the reader's language (the chart's panels and key)."""
        said = in_reader_language(self.instrument)
        return said.short_title or said.title

    @property
    def lower_is_better(self) -> bool:
        return self.instrument.direction == "lower"

    @property
    def expected_offset(self) -> float:
        """Expected bands count sessions from the client's first score of the measure (1 =
        intake); on this chart's axis that score sits at its own session number."""
        client = next((s for s in self.series if s.respondent == "client"), None)
        return client.first.x - 1 if client is not None else 0.0


@dataclass(frozen=True)
class AlliancePoint:
    x: float
    at: datetime
    client: float | None
    therapist: float | None
    guardian: float | None


@dataclass(frozen=True)
class RevisionMark:
    x: float
    at: datetime
    label: str
    number: int


def default_alliance_range() -> tuple[float, float]:
    return get_instrument(DEFAULT_FEEDBACK).score_range


@dataclass
class EpisodeProgress:
    """What the clinician's chart shows for one episode."""

    episode: Episode
    families: list[FamilyProgress]
    alliance: list[AlliancePoint] = field(default_factory=list)
    alliance_alerts: list[AlertMark] = field(default_factory=list)
    revisions: list[RevisionMark] = field(default_factory=list)
    reviews: list[RevisionMark] = field(default_factory=list)  # stuck-case reviews completed
    # The lowest and highest total of the feedback forms, from their definitions.
    alliance_range: tuple[float, float] = field(default_factory=default_alliance_range)

    @property
    def has_data(self) -> bool:
        return bool(self.families or self.alliance)


def _respondent_label(history: MeasureHistory) -> str:
    if history.respondent == "client":
        return gettext("Client")
    person = history.rows[0].response.assignment.respondent_user
    name = person.full_name if person is not None else ""
    return gettext("Guardian (%(name)s)") % {"name": name} if name else gettext("Guardian")


def _series(history: MeasureHistory, clock: SessionClock, label: str) -> ScoreSeries:
    points = [
        Point(
            x=clock.number_of(row.response.assignment.session_id, row.response.completed_at),
            at=row.response.completed_at,
            total=float(row.total),
            band=row.band,
            response_id=row.response.pk,
            risk=row.response.carries_risk_flag,
        )
        for row in history.rows
        if row.total is not None
    ]
    return ScoreSeries(label, history.respondent, history.instrument, points)


def _by_family(
    histories: Iterable[MeasureHistory],
    clock: SessionClock,
    label: Callable[[MeasureHistory], str] = _respondent_label,
) -> list[FamilyProgress]:
    families: dict[str, FamilyProgress] = {}
    for history in histories:
        series = _series(history, clock, label(history))
        if not series.points:
            continue
        family = families.get(history.instrument.family)
        if family is None:
            families[history.instrument.family] = FamilyProgress(
                history.instrument.family, history.instrument, [series]
            )
            continue
        family.series.append(series)
        if history.respondent == "client":
            family.instrument = history.instrument
    for family in families.values():
        family.series.sort(key=lambda s: (s.respondent != "client", s.label))

    def order(family: FamilyProgress) -> tuple[int, str]:
        known = family.family in FAMILY_ORDER
        return (FAMILY_ORDER.index(family.family) if known else len(FAMILY_ORDER), family.title)

    return sorted(families.values(), key=order)


def _alert_family(alert: Alert) -> str | None:
    source = alert.source_response
    if source is None:
        return None
    plan = source.assignment.plan
    return plan.family if plan is not None else None


def plan_revision_marks(episode: Episode, clock: SessionClock) -> list[RevisionMark]:
    return [
        RevisionMark(clock.at(revision.at), revision.at, revision.label, revision.number)
        for revision in plans.plan_revisions(episode)
    ]


def case_review_marks(episode: Episode, clock: SessionClock) -> list[RevisionMark]:
    return [
        RevisionMark(clock.at(at), at, gettext("case review"), number)
        for number, at in enumerate(completion_times(episode), start=1)
    ]


def episode_progress(episode: Episode) -> EpisodeProgress:
    """Scores per family, the expected band, alerts, plan revisions and the alliance."""
    clock = session_clock(episode)
    families = _by_family(score_histories(episode, kinds=("outcome",)), clock)
    for family in families:
        family.expected = trajectories.expected_band(episode, family.family)
    by_family = {family.family: family for family in families}
    rows = alliance_by_session(episode)
    alliance = [
        AlliancePoint(
            x=clock.number_of(row.session.pk, row.session.scheduled_start),
            at=row.session.scheduled_start,
            client=_total(row.client),
            therapist=_total(row.therapist),
            guardian=_total(row.guardians[0]) if row.guardians else None,
        )
        for row in rows
    ]
    alliance_alerts: list[AlertMark] = []
    # What a handoff's consent withholds from the reader is left out (rapport.consent).
    alerts = viewer_shared(Alert.objects.filter(episode=episode), episode.client_id).select_related(
        "source_response__assignment__plan"
    )
    for alert in alerts.order_by("opened_at"):
        mark = AlertMark(
            clock.number_of(alert.session_id, alert.opened_at),
            alert.opened_at,
            alert.get_kind_display(),
            alert.urgent,
        )
        family_name = _alert_family(alert)
        about_alliance = family_name == ALLIANCE_FAMILY or (
            family_name is None and alert.kind in ALLIANCE_KINDS
        )
        if about_alliance and alliance:
            alliance_alerts.append(mark)
        elif family_name in by_family:
            by_family[family_name].alerts.append(mark)
        elif families:  # an alert of no measure on the chart (a plan review): on the first panel
            families[0].alerts.append(mark)
    return EpisodeProgress(
        episode=episode,
        families=families,
        alliance=alliance,
        alliance_alerts=alliance_alerts,
        revisions=plan_revision_marks(episode, clock),
        reviews=case_review_marks(episode, clock),
        alliance_range=alliance_score_range(episode, rows),
    )


def _total(response: Response | None) -> float | None:
    return None if response is None or response.total is None else float(response.total)


# --- The portal's simplified version ------------------------------------------------------------


@dataclass
class PortalProgress:
    """What a client, or a guardian, sees of the scores: no expected bands, no alerts, no
    therapist ratings. `whose` names the young person for a guardian, "" for the client."""

    client: Client
    whose: str
    families: list[FamilyProgress]


def current_episode(client: Client) -> Episode | None:
    return client.episodes.filter(status__in=["active", "on_hold"]).order_by("-start_date").first()


def portal_progress(
    user: User | None,
    client: Client,
    link: GuardianLink | None,
    *,
    episode: Episode | None = None,
) -> PortalProgress:
    """A client sees their own scores; a guardian their own forms, and the young person's scores
    only when the clinician allows it (GuardianLink.may_see_client_answers), as on the portal's
    home page. Of the current episode unless `episode` (one of the client's) is given; a report
    printed from the command line (no `user`) is the client's own copy."""
    episode = episode or current_episode(client)
    name = client.preferred_name or client.full_name.split(" ")[0]
    whose = "" if link is None else name
    if episode is None:
        return PortalProgress(client, whose, [])
    clock = session_clock(episode)
    if link is None or user is None:
        histories = score_histories(episode, respondents=("client",), kinds=("outcome",))
        return PortalProgress(client, whose, _by_family(histories, clock, lambda history: _("You")))
    own_key = f"guardian:{user.pk}"
    histories = [
        h
        for h in score_histories(episode, respondents=("client", "guardian"), kinds=("outcome",))
        if (h.respondent == "client" and link.may_see_client_answers)
        or (h.respondent == "guardian" and h.rows[0].response.assignment.respondent_key == own_key)
    ]

    def label(history: MeasureHistory) -> str:
        return name if history.respondent == "client" else _("Your answers")

    return PortalProgress(client, whose, _by_family(histories, clock, label))
