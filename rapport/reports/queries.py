"""What each report shows, composed from the reads of the apps that own its figures.

A report works out no figure of its own: scores, bands, reliable change and subscales come from
rapport.progress and rapport.measures, goals and their benchmarks from rapport.plans, ruptures
from rapport.alliance, trajectory statuses from rapport.trajectories. Its chart is the progress
page's own drawing, embedded in the document so that printing it fetches nothing. Access is the
caller's: the episode is loaded through rapport.access first.

Two audiences. The clinician's report is the record's (for the file, a referrer or an insurer).
The client's holds what the portal shows its reader — a client their own scores; a guardian
their own forms, and the young person's scores and goal progress only where the link shares
them, with the expected band beside the client's own scores explained in plain words — and
never alerts, risk items, therapist ratings or a clinician's notes.
No report carries the private formulation notes: a report leaves the practice.
"""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.alliance.models import Rupture
from rapport.alliance.queries import (
    HelpedWords,
    RuptureCounts,
    SessionAlliance,
    alliance_by_session,
    rupture_counts,
    status_of,
    what_helped,
)
from rapport.care.clock import attended_sessions
from rapport.care.models import Episode, EpisodeStatus
from rapport.charts.layout import NARROW, WIDE, Layout
from rapport.charts.progress import ProgressChart, chart_size, render_progress_svg
from rapport.consent import viewer_shared
from rapport.core.alliance import RuptureStatus
from rapport.core.tokens import hash_token
from rapport.dashboards.queries import month_figures, month_of
from rapport.dashboards.reading import Month
from rapport.measures.queries import MeasureHistory, SubscaleRow, score_histories, subscale_rows
from rapport.people.languages import client_language, language_of, writing_to
from rapport.people.models import Client, GuardianLink
from rapport.plans.goal_status import GoalProgress, goals_progress
from rapport.plans.models import PlanDecision, PlanVersion
from rapport.plans.queries import (
    Sharing,
    VersionComparison,
    compare_versions,
    episode_goals,
    latest_version,
    sharing_for,
)
from rapport.practices.models import Practice
from rapport.progress.charts import (
    TableRow,
    clinician_chart,
    direction_words,
    family_table,
    plain_summary,
    portal_chart,
    unplaced_alerts,
)
from rapport.progress.queries import (
    AlertMark,
    AlliancePoint,
    FamilyProgress,
    episode_progress,
    portal_progress,
)
from rapport.reports.models import DischargeLetter, ReportLink
from rapport.trajectories.models import ScoreStatus
from rapport.trajectories.queries import episode_statuses, expected_band

CLIENT = "client"
CLINICIAN = "clinician"
AUDIENCES = (CLIENT, CLINICIAN)
KINDS = ("progress", "plan", "discharge")


@dataclass(frozen=True)
class Reader:
    """Whom a report is for. `user` is None for the command line, which prints a client's own
    copy or the clinician's; `link` is a guardian's link to the young person."""

    audience: str
    user: User | None = None
    link: GuardianLink | None = None
    # On a screen the chart comes in a second, narrow drawing for phones, as on the pages.
    on_screen: bool = False

    @property
    def for_whom(self) -> str:
        if self.audience == CLINICIAN:
            return CLINICIAN
        return "guardian" if self.link is not None else CLIENT


@dataclass(frozen=True)
class Heading:
    """What every page of a report carries, and its first lines."""

    title: str
    practice: str
    episode_id: int
    client_id: int
    client: str
    clinician: str
    episode: str  # "since 3 February 2026" or "3 February – 1 June 2026"
    issued: date
    audience: str
    # The language the report is written in: its words, dates and numbers, and its tag.
    lang: str = "en"

    @property
    def for_client(self) -> bool:
        return self.audience == CLIENT


@dataclass(frozen=True)
class Drawing:
    src: str  # a data: URI, so that neither the page nor the PDF fetches anything
    width: int
    height: int


@dataclass(frozen=True)
class Chart:
    wide: Drawing
    narrow: Drawing | None  # for phones, on screen only
    alt: str


def _month(first: date) -> str:
    """A month written out in the active language: "March 2026", "marzo de 2026"."""
    return date_format(first, _("F Y"))


def _day(day: date) -> str:
    """A date written out in the active language: "3 February 2026", "3 de febrero de 2026"."""
    return date_format(day, _("j F Y"))


def _heading(episode: Episode, title: str, reader: Reader) -> Heading:
    client = episode.client
    practice = episode.practice
    start = _day(episode.start_date)
    if episode.end_date:
        dates = _("%(start)s – %(end)s") % {"start": start, "end": _day(episode.end_date)}
    else:
        dates = _("since %(start)s") % {"start": start}
    return Heading(
        title=title,
        practice=practice.name,
        episode_id=episode.pk,
        client_id=client.pk,
        client=client.full_name if reader.audience == CLINICIAN else _first_name(episode),
        clinician=episode.primary_clinician.full_name,
        episode=dates,
        issued=timezone.localdate(timezone.now(), practice.zone),
        audience=reader.audience,
        lang=translation.get_language() or settings.LANGUAGE_CODE,
    )


def _first_name(episode: Episode) -> str:
    client = episode.client
    return client.preferred_name or client.full_name.split(" ")[0]


def _drawing(chart: ProgressChart, layout: Layout) -> Drawing:
    svg = render_progress_svg(chart, layout=layout)
    width, height = chart_size(chart, layout)
    src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    return Drawing(src, width, height)


def _chart(chart: ProgressChart, alt: str, reader: Reader) -> Chart | None:
    if not chart.panels:
        return None
    narrow = _drawing(chart, NARROW) if reader.on_screen else None
    return Chart(wide=_drawing(chart, WIDE), narrow=narrow, alt=alt)


# --- The client's progress report ---------------------------------------------------------------


@dataclass(frozen=True)
class ClientFamily:
    family: FamilyProgress
    rows: list[TableRow]
    summaries: list[str]


@dataclass(frozen=True)
class ClientProgressReport:
    heading: Heading
    whose: str  # the young person's name for a guardian, "" for the client
    chart: Chart | None
    families: list[ClientFamily]
    # None: the plan is not shared with this reader (a guardian's link may keep it back).
    goals: list[GoalProgress] | None
    sharing: Sharing
    # What the reader said helped, in their own words: the client's, or a guardian's own.
    helped: list[HelpedWords] = field(default_factory=list)
    # A guardian's copy: what the young person said helped, None where the link keeps it back.
    their_helped: list[HelpedWords] | None = None

    @property
    def has_expected(self) -> bool:
        return any(f.family.expected is not None for f in self.families)


def _sharing(reader: Reader, episode: Episode) -> Sharing:
    return sharing_for(reader.user, episode.client) if reader.user is not None else Sharing()


def _plan_shared(reader: Reader) -> bool:
    return reader.link is None or reader.link.may_see_plan_summary


def _helped(
    episode: Episode, reader: Reader, sharing: Sharing
) -> tuple[list[HelpedWords], list[HelpedWords] | None]:
    """The reader's own words on what helped, and, on a guardian's copy, the young person's:
    their words are their answers, so the link must share both (as an export's rule)."""
    if reader.link is None:
        return what_helped(episode), None
    own = what_helped(episode, respondent="guardian", respondent_user=reader.link.guardian)
    shared = sharing.answers and sharing.free_text
    return own, what_helped(episode) if shared else None


def client_progress_report(episode: Episode, reader: Reader) -> ClientProgressReport:
    """The portal's own view of the scores (rapport.progress.queries.portal_progress), in plain
    words, with the goals of the plan in force as the plan page shows them."""
    progress = portal_progress(reader.user, episode.client, reader.link, episode=episode)
    for family in progress.families:
        # The expected band follows the client's own scores: where this reader sees them (a
        # guardian only when the link shares them), the band is drawn and explained with them.
        if any(series.respondent == "client" for series in family.series):
            family.expected = expected_band(episode, family.family)
    families = [
        ClientFamily(
            family=family,
            rows=family_table(family, simplified=True),
            summaries=[plain_summary(series, family) for series in family.series],
        )
        for family in progress.families
    ]
    sharing = _sharing(reader, episode)
    goals = None
    if _plan_shared(reader):
        version = latest_version(episode)
        goals = goals_progress(episode, episode_goals(version), withhold=not sharing.answers)
    name = progress.whose
    helped, their_helped = _helped(episode, reader, sharing)
    return ClientProgressReport(
        heading=_heading(
            episode,
            _("%(name)s’s progress") % {"name": name} if name else _("Your progress"),
            reader,
        ),
        whose=name,
        chart=_chart(
            portal_chart(progress, expected=True),
            _(
                "Chart of the scores over sessions, one panel per questionnaire, with the "
                "questionnaire's ranges shaded. The same scores are in the tables below."
            ),
            reader,
        ),
        families=families,
        goals=goals,
        sharing=sharing,
        helped=helped,
        their_helped=their_helped,
    )


# --- The clinician's progress report -------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One respondent's change on one measure, from the first score of the episode to the
    latest, judged by the instrument's reliable-change rule (named in `explained`)."""

    who: str
    first: float
    latest: float
    sessions: int
    explained: str


@dataclass(frozen=True)
class ClinicianFamily:
    family: FamilyProgress
    direction: str
    rows: list[TableRow]
    subscales: list[SubscaleRow]
    unplaced_alerts: list[AlertMark]
    changes: list[Change]
    statuses: list[ScoreStatus]  # each classified score against the expected trajectory


@dataclass(frozen=True)
class VersionEntry:
    version: PlanVersion
    decisions: list[PlanDecision]


@dataclass(frozen=True)
class ClinicianProgressReport:
    heading: Heading
    chart: Chart | None
    families: list[ClinicianFamily]
    alerts: list[Alert]
    alliance: list[AlliancePoint]
    alliance_high: float
    ruptures: list[tuple[Rupture, RuptureStatus]]
    versions: list[VersionEntry]
    goals: list[GoalProgress] = field(default_factory=list)
    helped: list[HelpedWords] = field(default_factory=list)  # the client's and the guardians'


def _who(history: MeasureHistory) -> str:
    if history.respondent == "client":
        return _("Client")
    person = history.rows[0].response.assignment.respondent_user
    if person is None:
        return _("Guardian")
    return _("Guardian (%(name)s)") % {"name": person.full_name}


def _changes(histories: list[MeasureHistory]) -> dict[str, list[Change]]:
    by_family: dict[str, list[Change]] = defaultdict(list)
    for history in histories:
        scored = [row for row in history.rows if row.total is not None]
        if not scored:
            continue
        first, latest = scored[0], scored[-1]
        assert first.total is not None and latest.total is not None
        by_family[history.instrument.family].append(
            Change(
                who=_who(history),
                first=float(first.total),
                latest=float(latest.total),
                sessions=len(scored),
                explained=history.category_explained or _("change is not judged for this measure"),
            )
        )
    return by_family


def plan_versions(episode: Episode) -> list[VersionEntry]:
    """Every version that reached the client, oldest first, with each party's answer."""
    versions = (
        viewer_shared(PlanVersion.objects.filter(episode=episode), episode.client_id)
        .exclude(status=PlanVersion.Status.DRAFT)
        .order_by("number")
        .prefetch_related("decisions__by")
    )
    return [VersionEntry(v, list(v.decisions.all())) for v in versions]


def clinician_progress_report(episode: Episode, reader: Reader) -> ClinicianProgressReport:
    """The progress page's figures (rapport.progress), with each measure's change and its rule,
    the trajectory statuses, the alerts and how each was closed, the alliance with its ruptures,
    and the plan's versions with who accepted them."""
    progress = episode_progress(episode)
    changes = _changes(score_histories(episode, kinds=("outcome",)))
    statuses: dict[str, list[ScoreStatus]] = defaultdict(list)
    for status in episode_statuses(episode):
        statuses[status.family].append(status)
    families = [
        ClinicianFamily(
            family=family,
            direction=direction_words(family),
            rows=family_table(family),
            subscales=subscale_rows(family.instrument, family.series),
            unplaced_alerts=unplaced_alerts(family),
            changes=changes.get(family.family, []),
            statuses=statuses.get(family.family, []),
        )
        for family in progress.families
    ]
    rows = alliance_by_session(episode)
    # What a handoff's consent withholds from the reader is left out (rapport.consent).
    ruptures = list(
        viewer_shared(episode.ruptures.all(), episode.client_id)
        .select_related("session", "episode")
        .prefetch_related("actions")
    )
    alerts = viewer_shared(Alert.objects.filter(episode=episode), episode.client_id)
    alerts = alerts.select_related("acknowledged_by", "resolved_by")
    return ClinicianProgressReport(
        heading=_heading(
            episode, _("Progress report: %(name)s") % {"name": episode.client.full_name}, reader
        ),
        chart=_chart(
            clinician_chart(progress),
            _(
                "Chart of this episode's scores by session, one panel per measure, with severity "
                "ranges shaded, the expected range where there is one, alerts, plan revisions and "
                "case reviews marked, and session feedback beneath. The same figures are in the "
                "tables below."
            ),
            reader,
        ),
        families=families,
        alerts=list(alerts.order_by("opened_at", "pk")),
        alliance=progress.alliance,
        alliance_high=progress.alliance_range[1],
        ruptures=[(r, status_of(r, rows)) for r in ruptures],
        versions=plan_versions(episode),
        goals=goals_progress(episode, episode_goals(latest_version(episode))),
        helped=sorted(
            what_helped(episode) + what_helped(episode, respondent="guardian"),
            key=lambda said: said.session.scheduled_start,
            reverse=True,
        ),
    )


# --- The plan summary --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanSummary:
    heading: Heading
    version: PlanVersion | None  # None: no plan has been proposed yet
    goals: list[GoalProgress]
    decisions: list[PlanDecision]
    changes: VersionComparison | None  # since the version it revised
    sharing: Sharing


def plan_summary(episode: Episode, reader: Reader) -> PlanSummary:
    """The newest version the client has seen (never a draft), its goals with their benchmarks
    and where each stands, who accepted it and when, and what changed since the last version.
    A guardian whose link keeps the plan back is refused by the caller (PlanVersion's portal
    rule), never shown an empty summary."""
    version = latest_version(episode)
    sharing = _sharing(reader, episode)
    if reader.audience == CLINICIAN:
        title = _("Plan summary: %(name)s") % {"name": episode.client.full_name}
    else:
        title = _("%(name)s’s plan") % {"name": _first_name(episode)}
    goals = goals_progress(episode, episode_goals(version), withhold=not sharing.answers)
    previous = version.based_on if version is not None else None
    return PlanSummary(
        heading=_heading(episode, title, reader),
        version=version,
        goals=goals,
        decisions=list(version.decisions.select_related("by")) if version else [],
        changes=compare_versions(previous, version, private=False)
        if version is not None and previous is not None
        else None,
        sharing=sharing,
    )


# --- The discharge letter ----------------------------------------------------------------------


class EpisodeStillOpen(Exception):
    """A discharge letter summarises a closed episode; this one is still open."""


@dataclass(frozen=True)
class Outcome:
    """One client-rated measure from the episode's first score to its last, classified by the
    measure's one reliable-change rule (rapport.measures.queries.score_histories), the same the
    progress page, the alerts and the practice dashboard use."""

    measure: str
    first: float
    last: float
    scores: int
    words: str  # plain: "reliably better, and now in the healthy range"
    explained: str  # with the rule: "recovered (NHS Talking Therapies criterion: ...)"


@dataclass(frozen=True)
class DischargeLetterReport:
    heading: Heading
    letter: DischargeLetter | None  # None: the clinician has not written it yet
    reason: str
    note: str  # the closure note: the clinician's copy only
    sessions_attended: int
    # None: a guardian whose link keeps the young person's answers back sees no outcome.
    outcomes: list[Outcome] | None
    goals: list[GoalProgress] | None  # None: the plan is not shared with this reader

    @property
    def goals_met(self) -> int:
        return sum(1 for g in self.goals or [] if g.progress.status.value == "met")


def _outcomes(episode: Episode) -> list[Outcome]:
    outcomes = []
    for history in score_histories(episode, respondents=("client",), kinds=("outcome",)):
        scored = [row for row in history.rows if row.total is not None]
        if len(scored) < 2 or history.rule is None:
            continue  # one score is counted on the dashboard, never classified: so here
        first, last = scored[0].total, scored[-1].total
        assert first is not None and last is not None
        outcomes.append(
            Outcome(
                measure=history.instrument.short_title or history.instrument.title,
                first=float(first),
                last=float(last),
                scores=len(scored),
                words=history.category_words,
                explained=history.category_explained,
            )
        )
    return outcomes


# The reasons' words in the catalogue (the model keeps them in English, the record's language).
CLOSURE_REASONS = (
    gettext_noop("Completed"),
    gettext_noop("Dropped out"),
    gettext_noop("Referred out"),
    gettext_noop("Transferred"),
)


def discharge_letter(episode: Episode, reader: Reader) -> DischargeLetterReport:
    """The summary of a closed episode for its referrer, the client keeping a copy: why and when
    care ended, the sessions attended, each outcome measure's category with the rule it was
    judged by, the goals met, and the clinician's recommendations. The client's copy leaves out
    the closure note; a guardian's follows their link's sharing, as the progress report does."""
    if episode.is_open:
        raise EpisodeStillOpen
    sharing = _sharing(reader, episode)
    goals = None
    if _plan_shared(reader):
        version = latest_version(episode)
        goals = goals_progress(episode, episode_goals(version), withhold=not sharing.answers)
    title = (
        _("Treatment summary: %(name)s") % {"name": episode.client.full_name}
        if reader.audience == CLINICIAN
        else _("%(name)s’s treatment summary") % {"name": _first_name(episode)}
    )
    return DischargeLetterReport(
        heading=_heading(episode, title, reader),
        letter=DischargeLetter.objects.filter(episode=episode).select_related("written_by").first(),
        reason=_(episode.get_closure_reason_display()),  # see CLOSURE_REASONS
        note=episode.closure_note if reader.audience == CLINICIAN else "",
        sessions_attended=attended_sessions(episode=episode).count(),
        outcomes=_outcomes(episode) if sharing.answers else None,
        goals=goals,
    )


# --- The supervisor’s monthly practice report ----------------------------------------------

# An alert still unresolved this long after it opened is listed as open too long. Urgent alerts
# have the practice's own, much shorter, escalation time: those escalated are counted apart.
OPEN_TOO_LONG = timedelta(days=14)


@dataclass(frozen=True)
class PracticeHeading:
    title: str
    practice: str
    month: str  # "March 2026"
    issued: date
    audience: str = CLINICIAN
    lang: str = "en"


@dataclass(frozen=True)
class AlertsOfMonth:
    opened: int
    urgent: int
    escalated: int  # urgent, still unacknowledged past the practice's escalation time
    open_too_long: dict[str, int]  # by kind: unresolved at the month's end after OPEN_TOO_LONG
    too_long_days: int

    @property
    def open_too_long_total(self) -> int:
        return sum(self.open_too_long.values())


@dataclass(frozen=True)
class PracticeReport:
    """Aggregates only, as on the practice dashboard: no client is named, and a therapist only
    with the dashboard's minimum caseload."""

    heading: PracticeHeading
    figures: dict[str, Any]  # rapport.dashboards' figures for the month
    ruptures: RuptureCounts
    alerts: AlertsOfMonth

    @property
    def stayed(self) -> int:
        """Closed episodes that did not end by dropping out."""
        closed = self.figures["closed"]
        return int(closed["n"]) - int(closed["dropout"]["count"])


def _alerts_of_month(practice: Practice, month: Month) -> AlertsOfMonth:
    alerts = Alert.objects.filter(practice=practice)
    opened = alerts.filter(opened_at__gte=month.start, opened_at__lt=month.end)
    late = (
        alerts.filter(opened_at__lt=month.end - OPEN_TOO_LONG)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=month.end))
        .values_list("kind", flat=True)
    )
    labels = {kind: str(label) for kind, label in Alert.Kind.choices}
    by_kind: dict[str, int] = defaultdict(int)
    for kind in late:
        by_kind[labels.get(kind, kind)] += 1
    return AlertsOfMonth(
        opened=opened.count(),
        urgent=opened.filter(urgent=True).count(),
        escalated=alerts.filter(escalated_at__gte=month.start, escalated_at__lt=month.end).count(),
        open_too_long=dict(sorted(by_kind.items())),
        too_long_days=OPEN_TOO_LONG.days,
    )


def _ruptures_of_month(practice: Practice, month: Month) -> RuptureCounts:
    """Ruptures opened in the month, each with the status the alliance pages give it now."""
    ruptures = Rupture.objects.filter(
        episode__practice=practice, opened_at__gte=month.start, opened_at__lt=month.end
    ).select_related("episode", "session")
    rows: dict[int, list[SessionAlliance]] = {}
    statuses = []
    for rupture in ruptures:
        if rupture.episode_id not in rows:
            rows[rupture.episode_id] = alliance_by_session(rupture.episode)
        statuses.append(status_of(rupture, rows[rupture.episode_id]))
    return rupture_counts(statuses)


def month_asked(month: str, today: date) -> date:
    """The first day of a month "YYYY-MM" that has begun; ValueError with the reason otherwise."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}", month):
            raise ValueError
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise ValueError(
            _("“%(month)s” is not a month: write it as YYYY-MM, e.g. 2026-03.") % {"month": month}
        ) from None
    if first > today:
        raise ValueError(_("%(month)s has not begun yet.") % {"month": _month(first)})
    return first


def practice_report(practice: Practice, first: date) -> PracticeReport:
    """The practice dashboard's figures for the month beginning on `first`
    (rapport.dashboards.queries.month_figures), the ruptures opened in it and their repair, and
    the alerts opened in it or left open too long."""
    month = month_of(practice, first)
    return PracticeReport(
        heading=PracticeHeading(
            title=_("Practice report: %(month)s") % {"month": _month(first)},
            practice=practice.name,
            month=_month(first),
            issued=timezone.localdate(timezone.now(), practice.zone),
            lang=translation.get_language() or settings.LANGUAGE_CODE,
        ),
        figures=month_figures(practice, month),
        ruptures=_ruptures_of_month(practice, month),
        alerts=_alerts_of_month(practice, month),
    )


# --- Reports emailed as a single-use link --------------------------------------------------------

SEND_KINDS = (
    ("progress", "Progress report"),
    ("plan", "Plan summary"),
    ("discharge", "Discharge letter"),
)
EMAILED_KINDS = tuple(kind for kind, _ in SEND_KINDS)


class ReportLinkUnusable(Exception):
    """A link that opens no report; the message is safe to show to anyone. It is the English
    message id: the page shows it in `language`, the language of the person the link was sent
    to when the link is known (empty: nobody is known, the request's own language)."""

    def __init__(self, message: str, *, language: str = "") -> None:
        super().__init__(message)
        self.language = language


def report_recipients(episode: Episode, kind: str) -> list[User]:
    """Who may be emailed the client's copy of a report: the client with a portal account, and
    the guardians linked to them (not for the plan, where their link keeps it back)."""
    client = episode.client
    people = [client.user] if client.user is not None and client.user.is_active else []
    for link in client.guardian_links.filter(is_active=True).select_related("guardian"):
        if link.guardian.is_active and (kind != "plan" or link.may_see_plan_summary):
            people.append(link.guardian)
    return people


def report_link_opened(token: str, *, now: datetime) -> ReportLink:
    """The link a token opens, or ReportLinkUnusable with the reason."""
    link = (
        ReportLink.objects.filter(token_hash=hash_token(token))
        .select_related("episode__client", "episode__practice", "recipient")
        .first()
    )
    if link is None:
        raise ReportLinkUnusable(
            gettext_noop("This link is not valid. Please use the link you were sent.")
        )
    reader = language_of(link.recipient)
    if link.used_at is not None:
        raise ReportLinkUnusable(
            gettext_noop(
                "This link has already been used: each link downloads its report once. "
                "Please ask your therapist to send it again."
            ),
            language=reader,
        )
    if link.expires_at <= now:
        raise ReportLinkUnusable(
            gettext_noop("This link has expired. Please ask your therapist for a new one."),
            language=reader,
        )
    if link.recipient not in report_recipients(link.episode, link.kind):
        raise ReportLinkUnusable(gettext_noop("This link is no longer active."), language=reader)
    return link


def link_reader(link: ReportLink) -> Reader:
    """The client's copy, as the person the link was sent to sees it in the portal."""
    guardian = link.episode.client.guardian_link_for(link.recipient)
    return Reader(CLIENT, link.recipient, guardian)


def closed_episodes(client: Client) -> list[tuple[Episode, bool]]:
    """The client's closed episodes, latest first, each with whether its letter is written."""
    episodes = client.episodes.filter(status=EpisodeStatus.CLOSED).order_by("-end_date", "-pk")
    written = set(
        DischargeLetter.objects.filter(episode__in=episodes).values_list("episode_id", flat=True)
    )
    return [(episode, episode.pk in written) for episode in episodes]


Report = (
    ClientProgressReport
    | ClinicianProgressReport
    | PlanSummary
    | DischargeLetterReport
    | PracticeReport
)


def report_language(episode: Episode, reader: Reader) -> str:
    """The client's copy of a report (progress, plan summary, discharge letter) is written in
    its reader's language: a guardian's own (their account's), otherwise the client's (their
    record's), whoever prints it. The clinician's copies are written in the language of the
    staff member who reads them (their account's), as their pages are."""
    if reader.audience != CLIENT:
        return language_of(reader.user)
    if reader.link is not None:
        return language_of(reader.link.guardian)
    return client_language(episode.client)


def report_of(kind: str, episode: Episode, reader: Reader) -> Report:
    """The report, its words (those worked out here, as the template's) in its language."""
    with writing_to(report_language(episode, reader)):
        return _report_of(kind, episode, reader)


def _report_of(kind: str, episode: Episode, reader: Reader) -> Report:
    if kind == "plan":
        return plan_summary(episode, reader)
    if kind == "discharge":
        return discharge_letter(episode, reader)
    if reader.audience == CLINICIAN:
        return clinician_progress_report(episode, reader)
    return client_progress_report(episode, reader)
