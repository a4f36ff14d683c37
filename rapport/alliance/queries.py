"""Alliance feedback read back: each session's ratings by perspective, what people wrote,
rupture status, a therapist's ruptures and paired ratings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext

from rapport.accounts.models import User
from rapport.alliance.models import AllianceSettings, Rupture
from rapport.care.models import Episode, Session
from rapport.consent import consented, viewer_shared, viewer_shared_each
from rapport.core import alliance as rules
from rapport.measures.models import Response
from rapport.measures.registry import get_instrument

FEEDBACK_FAMILY = "feedback"
# The scale a chart of an episode without any feedback yet is drawn on.
DEFAULT_FEEDBACK = "feedback-client"
ITEMS = ("bond", "goals", "approach", "overall")
# The two written answers of the feedback forms (the therapist's form asks only the second).
HELPED = "feedback-helped"
BETTER = "feedback-better"


def rules_settings(practice_id: int) -> rules.AllianceSettings:
    stored = AllianceSettings.for_practice(practice_id)
    return rules.AllianceSettings(
        low_total_cutoff=stored.low_total_cutoff,
        low_item_value=stored.low_item_value,
        drop_from_previous=stored.drop_from_previous,
        drop_from_recent_mean=stored.drop_from_recent_mean,
        disagreement_total=stored.disagreement_total,
        disagreement_item=stored.disagreement_item,
        child_guardian_discrepancy=stored.child_guardian_discrepancy,
        goals_item_low=stored.goals_item_low,
        ceiling_sessions=stored.ceiling_sessions,
        repair_window_sessions=stored.repair_window_sessions,
    )


def rating_of(response: Response, index: int) -> rules.AllianceRating:
    items = {name: float(response.answers.get(f"feedback-{name}") or 0) for name in ITEMS}
    return rules.AllianceRating(session_index=index, total=float(response.total or 0), items=items)


@dataclass
class SessionAlliance:
    session: Session
    client: Response | None = None
    therapist: Response | None = None
    guardians: list[Response] = field(default_factory=list)

    @property
    def gap(self) -> float | None:
        """Therapist minus client: positive when the therapist sees it rosier."""
        if self.client is None or self.therapist is None:
            return None
        return float(self.therapist.total or 0) - float(self.client.total or 0)

    @property
    def client_words(self) -> str:
        """What the client wrote could have been better."""
        return written(self.client, BETTER)

    @property
    def client_helped(self) -> str:
        return written(self.client, HELPED)


def written(response: Response | None, item: str) -> str:
    """One written answer of a feedback form, "" where there is none."""
    return str(response.answers.get(item) or "").strip() if response is not None else ""


def _feedback(responses: QuerySet[Response]) -> QuerySet[Response]:
    """The feedback among `responses` that belongs to a session, in the sessions' order."""
    return responses.filter(
        assignment__plan__family=FEEDBACK_FAMILY, assignment__session__isnull=False
    ).order_by("assignment__session__scheduled_start", "pk")


def _by_session(responses: Iterable[Response]) -> list[SessionAlliance]:
    rows: dict[int, SessionAlliance] = {}
    for response in responses:
        session = response.assignment.session
        assert session is not None
        row = rows.setdefault(session.pk, SessionAlliance(session))
        if response.respondent == "client":
            row.client = response
        elif response.respondent == "therapist":
            row.therapist = response
        else:
            row.guardians.append(response)
    return list(rows.values())


def alliance_by_session(episode: Episode) -> list[SessionAlliance]:
    """Every session with any feedback, in order, with each perspective's response."""
    # What a handoff's consent withholds from the reader is left out (rapport.access).
    responses = viewer_shared(Response.objects.all(), episode.client_id).filter(episode=episode)
    return _by_session(
        _feedback(responses).select_related("assignment__session", "assignment__respondent_user")
    )


SUMMARY_FIELDS = (
    "episode",
    "respondent",
    "total",
    "answers",
    "assignment",
    "assignment__session__scheduled_start",
    "assignment__session__clinician",
)


def alliance_by_episode(episodes: Sequence[Episode]) -> dict[int, list[SessionAlliance]]:
    """`alliance_by_session` of several episodes, by episode id, read in one query (a therapist's
    overview covers all their episodes: a query each made it the slowest of the alliance pages),
    for summaries: each response holds only SUMMARY_FIELDS."""
    responses = viewer_shared_each(
        Response.objects.filter(episode__in=[episode.pk for episode in episodes]),
        {episode.client_id for episode in episodes},
    )
    grouped: dict[int, list[Response]] = {episode.pk: [] for episode in episodes}
    # Only what the summaries read (totals, the client's item answers, each session's time and
    # therapist): a therapist's thousands of responses are otherwise most of the page's time.
    summarised = _feedback(responses).select_related("assignment__session").only(*SUMMARY_FIELDS)
    for response in summarised:
        grouped[response.episode_id].append(response)
    return {pk: _by_session(found) for pk, found in grouped.items()}


@dataclass(frozen=True)
class HelpedWords:
    """What one person wrote under "what helped" after one session."""

    session: Session
    words: str
    who: str  # "Client", or the guardian's name


def what_helped(
    episode: Episode, *, respondent: str = "client", respondent_user: User | None = None
) -> list[HelpedWords]:
    """What a respondent said helped, session by session, newest first: the client's, or the
    guardians' (one guardian's own with `respondent_user`). Whether a reader may see them is the
    caller's rule to apply (a guardian sees a young person's words only where the link allows).
    """
    responses = viewer_shared(Response.objects.all(), episode.client_id).filter(
        episode=episode,
        respondent=respondent,
        assignment__plan__family=FEEDBACK_FAMILY,
        assignment__session__isnull=False,
    )
    if respondent_user is not None:
        responses = responses.filter(assignment__respondent_user=respondent_user)
    found = []
    for response in responses.select_related(
        "assignment__session", "assignment__respondent_user"
    ).order_by("-assignment__session__scheduled_start", "-pk"):
        if words := written(response, HELPED):
            session = response.assignment.session
            person = response.assignment.respondent_user
            assert session is not None
            who = (
                gettext("Client") if respondent == "client" or person is None else person.full_name
            )
            found.append(HelpedWords(session, words, who))
    return found


def alliance_score_range(episode: Episode, rows: list[SessionAlliance]) -> tuple[float, float]:
    """The lowest and highest total the feedback forms of these sessions can have, from their
    instrument definitions, so that a chart's axis shows the whole scale: ratings crowd its
    top, and an axis cut to the points given makes a fall from 39 to 37 look like a collapse."""
    used = {
        response.instrument_id
        for row in rows
        for response in (row.client, row.therapist, *row.guardians)
        if response is not None
    } or {DEFAULT_FEEDBACK}
    ranges = [
        get_instrument(instrument_id, practice_id=episode.practice_id).score_range
        for instrument_id in sorted(used)
    ]
    return min(low for low, _ in ranges), max(high for _, high in ranges)


def client_ratings(rows: list[SessionAlliance]) -> list[rules.AllianceRating]:
    rated = [row for row in rows if row.client is not None]
    return [rating_of(row.client, i) for i, row in enumerate(rated) if row.client is not None]


def status_of(
    rupture: Rupture,
    rows: list[SessionAlliance] | None = None,
    settings: rules.AllianceSettings | None = None,
) -> rules.RuptureStatus:
    """Repaired / unresolved / open, computed from the client's ratings around the rupture
    (`rows`: its episode's, `settings`: its practice's, when the caller has already read them)."""
    rows = alliance_by_session(rupture.episode) if rows is None else rows
    rated = [row for row in rows if row.client is not None]
    start = rupture.session.scheduled_start if rupture.session else rupture.opened_at
    before = [row for row in rated if row.session.scheduled_start < start]
    # The rupture session itself is the low point, not yet the repair.
    after = [row for row in rated if row.session.scheduled_start > start]
    index = {row.session.pk: i for i, row in enumerate(rated)}
    return rules.rupture_status(
        before=[rating_of(row.client, index[row.session.pk]) for row in before if row.client],
        after=[rating_of(row.client, index[row.session.pk]) for row in after if row.client],
        settings=rules_settings(rupture.episode.practice_id) if settings is None else settings,
    )


@dataclass(frozen=True)
class RuptureCounts:
    opened: int
    repaired: int
    unresolved: int
    still_open: int
    median_sessions_to_repair: float | None


def rupture_counts(statuses: list[rules.RuptureStatus]) -> RuptureCounts:
    """Ruptures opened, repaired and unresolved, and the median sessions to repair."""
    opened, repaired, unresolved, median = rules.repair_summary(statuses)
    return RuptureCounts(opened, repaired, unresolved, opened - repaired - unresolved, median)


@dataclass(frozen=True)
class TherapistAlliance:
    clinician: User
    statuses: list[rules.RuptureStatus]
    pairs: list[tuple[float, float]]  # (therapist total, client total) at the same session

    @property
    def counts(self) -> RuptureCounts:
        return rupture_counts(self.statuses)


def therapist_alliance(clinician: User, *, viewer: User | None = None) -> TherapistAlliance:
    """A therapist's ruptures with their computed status, and their paired ratings with clients.
    With `viewer`, without the ruptures a handoff's consent withholds from them.

    All their episodes' feedback is read at once and serves both.
    """
    ruptures = Rupture.objects.all() if viewer is None else consented(viewer, Rupture.objects.all())
    statuses: list[rules.RuptureStatus] = []
    pairs: list[tuple[float, float]] = []
    episodes = list(
        Episode.objects.filter(primary_clinician=clinician).prefetch_related(
            Prefetch("ruptures", queryset=ruptures.select_related("session"))
        )
    )
    feedback = alliance_by_episode(episodes)
    settings = {pk: rules_settings(pk) for pk in {episode.practice_id for episode in episodes}}
    for episode in episodes:
        rows = feedback[episode.pk]
        statuses += [
            status_of(rupture, rows, settings[episode.practice_id])
            for rupture in episode.ruptures.all()
        ]
        # Their own ratings only: after a transfer the sessions before it were another
        # therapist's (and may be withheld from this one by the handoff's consent).
        pairs += [
            (float(row.therapist.total or 0), float(row.client.total or 0))
            for row in rows
            if row.client is not None
            and row.therapist is not None
            and row.session.clinician_id == clinician.pk
        ]
    return TherapistAlliance(clinician, statuses, pairs)
