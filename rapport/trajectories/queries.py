"""Reads of expected trajectories: which measures are tracked, each client score numbered by
session, the reliability and SD a fit uses, the validation against final outcomes, and read
models for other domains (the expected band for a client chart, the latest status per episode
for dashboards). Access control is the caller's: load the episode through rapport.access first.

A score's session number counts the episode's sessions that took place — attended, or with a
form completed for them — up to the score: its own session, or, for a score given from home, the
next session (links go out ahead of sessions). The episode's first score of a measure is its
intake, session 1, and the rest are counted from there. No-shows and sessions never recorded are
no treatment received. The rule is the session clock's "took place" (rapport.care.clock), which
the progress chart counts by too, so a score's expected band on the chart is the one it was
classified by.
"""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, gettext_noop, ngettext

from rapport.accounts.models import User
from rapport.audit.services import audit_record
from rapport.care.clock import sessions_that_took_place
from rapport.care.models import Episode, EpisodeStatus
from rapport.consent import consented, viewer_shared, viewer_withholds
from rapport.core import trajectory as core
from rapport.core.instruments import Instrument
from rapport.core.instruments.model import family_title
from rapport.core.reliable import JACOBSON_TRUAX, ReliableChangeRule
from rapport.core.text import said_again
from rapport.core.validation import ValidationReport, holdout_validation
from rapport.figures import figure_said
from rapport.measures.models import Response
from rapport.measures.registry import outcome_families
from rapport.measures.reliable import change_rule, change_size_words, rule_name
from rapport.trajectories.models import ExpectedTrajectory, Method, ScoreStatus, TrajectorySettings

MIN_BAND_SESSIONS = 12  # the band reaches at least this far, and two sessions past the last score
MAX_BAND_SESSIONS = 40


@dataclass(frozen=True)
class ExpectedBand:
    family: str
    method: str  # "model" | "rule"
    label: str
    sessions: list[int]  # 1 = intake
    p10: list[float]
    p25: list[float]
    p50: list[float]
    p75: list[float]
    p90: list[float]
    higher_is_worse: bool


@dataclass(frozen=True)
class TrackStatus:
    status: str  # "on_track" | "at_risk" | "off_track"
    family: str
    method: str  # "model" | "rule"
    at: datetime
    reliable_deterioration: bool


def expected_band(episode: Episode, family: str) -> ExpectedBand | None:
    """The expected score distribution for this client by session, given their intake score.

    None when the practice has no model for the measure (the rule has no band) or the client has
    no intake score of it yet, and for a therapist a handoff brought in without the measures: the
    band is drawn from the intake score, which is theirs to see only with the measures.
    """
    if viewer_withholds(episode.client_id, "measures"):
        return None
    expected = ExpectedTrajectory.objects.filter(
        practice_id=episode.practice_id, family=family, method=Method.MODEL
    ).first()
    instruments = client_outcome_families(episode.practice_id).get(family)
    if expected is None or instruments is None:
        return None
    model = expected.model
    rows = score_rows(episode.practice_id, instruments, episode_ids=[episode.pk])
    if model is None or not rows:
        return None
    intake = rows[0].total
    last = max(r.session for r in rows)
    sessions = list(range(1, min(MAX_BAND_SESSIONS, max(MIN_BAND_SESSIONS, last + 2)) + 1))
    instrument = instruments[0]
    band = core.expected_band(
        model, intake=intake, sessions=sessions, score_range=instrument.score_range
    )
    return ExpectedBand(
        family=family,
        method=Method.MODEL.value,
        label=(
            f"Expected for clients starting at {intake:g} "
            f"({expected.n_clients} clients of this practice)"
        ),
        sessions=band.sessions,
        p10=band.percentiles[10],
        p25=band.percentiles[25],
        p50=band.percentiles[50],
        p75=band.percentiles[75],
        p90=band.percentiles[90],
        higher_is_worse=instrument.direction == "lower",
    )


def expected_and_settings(
    practice_id: int, family: str
) -> tuple[ExpectedTrajectory | None, TrajectorySettings]:
    """A family's fitted expected trajectory (None before its first fit) and the practice's
    settings in effect, in one query once the family is fitted: classifying a score runs inside
    the submitting transaction, where every query counts."""
    expected = (
        ExpectedTrajectory.objects.filter(practice_id=practice_id, family=family)
        .select_related("practice__trajectory_settings")
        .first()
    )
    if expected is None:
        return None, TrajectorySettings.for_practice(practice_id)
    try:
        settings = expected.practice.trajectory_settings
    except TrajectorySettings.DoesNotExist:
        # As for_practice: the defaults, unsaved, when the practice never changed them.
        settings = TrajectorySettings(practice_id=practice_id)
    return expected, settings


def latest_status_by_episode(
    episode_ids: Iterable[int], *, viewer: User | None = None
) -> dict[int, TrackStatus]:
    """Each episode's most recent classified score (any measure); episodes without are absent.
    With `viewer`, of the scores a handoff's consent lets them see (rapport.consent)."""
    found: dict[int, TrackStatus] = {}
    statuses = (
        ScoreStatus.objects.all()
        if viewer is None
        else consented(viewer, ScoreStatus.objects.all())
    )
    rows = (
        statuses.filter(episode_id__in=list(episode_ids))
        .order_by("episode_id", "-at", "-pk")
        .values_list("episode_id", "status", "family", "method", "at", "reliable_deterioration")
    )
    for episode_id, status, family, method, at, deteriorated in rows:
        if episode_id not in found:
            found[episode_id] = TrackStatus(status, family, method, at, deteriorated)
    return found


def episode_statuses(episode: Episode) -> list[ScoreStatus]:
    """Every classified score of an episode, oldest first."""
    # What a handoff's consent withholds from the reader is left out (rapport.consent).
    return list(
        viewer_shared(ScoreStatus.objects.filter(episode=episode), episode.client_id)
        .select_related("response")
        .order_by("family", "at", "pk")
    )


def rule_words(instrument: Instrument, practice_id: int) -> str:
    """The reliable-change rule behind "reliably worse", named where it is said."""
    rule = change_rule(instrument, practice_id=practice_id)
    if rule is None:
        return ""
    return f"{rule_name(rule.name)}: {change_size_words(rule, better=False)}"


# --- Which measures, and their scores numbered by session -----------------------------------------


MIN_INTAKES_FOR_SD = 10  # the practice's intake SD stands in for a published one from here
MIN_INTAKES_FOR_ALPHA = 20  # likewise Cronbach's alpha for a scale without a published r


def client_outcome_families(practice_id: int | None) -> dict[str, list[Instrument]]:
    """Measure families with a client-rated numeric total that tracks outcome (PHQ-9, GAD-7,
    check-in); session feedback and goal ratings are not outcome measures."""
    families = outcome_families(practice_id)
    return {family: sorted(found, key=lambda i: i.id) for family, found in families.items()}


@dataclass(frozen=True)
class ScoreRow:
    response_id: int
    episode_id: int
    client_id: int
    closed: bool
    at: datetime
    total: float
    session: int  # 1 = the intake
    session_id: int | None  # the care session it was given at, if any


def score_rows(
    practice_id: int, instruments: list[Instrument], *, episode_ids: list[int] | None = None
) -> list[ScoreRow]:
    """Client scores of one family, numbered by session from each episode's intake."""
    family = instruments[0].family
    return score_rows_by_family(practice_id, {family: instruments}, episode_ids=episode_ids)[family]


def score_rows_by_family(
    practice_id: int,
    families: dict[str, list[Instrument]],
    *,
    episode_ids: list[int] | None = None,
) -> dict[str, list[ScoreRow]]:
    """Client scores of several families, numbered per family and episode: in two queries for a
    practice, in one for given episodes (a client's own scores, read while a new one is being
    classified inside the submitting transaction)."""
    family_of = {i.id: family for family, found in families.items() for i in found}
    responses = Response.objects.filter(
        episode__practice_id=practice_id,
        respondent="client",
        total__isnull=False,
        instrument_id__in=list(family_of),
    ).order_by("episode_id", "completed_at", "pk")
    found: list[tuple[_ScoreFields, int]]
    if episode_ids is None:
        scores = list(responses.values_list(*SCORE_FIELDS))
        starts: dict[int, list[datetime]] = defaultdict(list)
        # The practice's sessions, not a list of its episodes' ids: tens of thousands of
        # parameters cost more than the sessions of the few episodes without a score.
        took_place = sessions_that_took_place(episode__practice_id=practice_id).values_list(
            "pk", "episode_id", "scheduled_start"
        )
        for _, episode_id, start in took_place:
            starts[episode_id].append(start)
        found = [(row, _took_place_before(starts[row[1]], row)) for row in scores]
    else:
        # The sessions that took place before each score, counted by the database alongside it
        # (as _took_place_before counts them): before its own session, else by when it was given.
        counted = responses.filter(episode_id__in=episode_ids).annotate(
            before_session=_took_place_count(
                scheduled_start__lt=OuterRef("assignment__session__scheduled_start")
            ),
            by_then=_took_place_count(scheduled_start__lte=OuterRef("completed_at")),
        )
        found = [
            (row[:-2], row[-2] if row[7] is not None else row[-1])
            for row in counted.values_list(*SCORE_FIELDS, "before_session", "by_then")
        ]
    rows: dict[str, list[ScoreRow]] = {family: [] for family in families}
    first: dict[tuple[str, int], int] = {}
    for (pk, episode_id, client_id, status, at, total, session_id, _, iid), before in found:
        assert total is not None  # filtered above: total__isnull=False
        family = family_of[iid]
        ordinal = before + 1
        key = (family, episode_id)
        if key not in first:
            first[key] = ordinal
            number = 1
        else:
            number = max(2, ordinal - first[key] + 1)
        rows[family].append(
            ScoreRow(
                response_id=pk,
                episode_id=episode_id,
                client_id=client_id,
                closed=status == EpisodeStatus.CLOSED,
                at=at,
                total=float(total),
                session=number,
                session_id=session_id,
            )
        )
    return rows


@dataclass(frozen=True)
class PracticeScores:
    """What a refit reads: the practice's outcome families and their client scores."""

    families: dict[str, list[Instrument]]
    rows_by_family: dict[str, list[ScoreRow]]
    # Set when read before the refit's transaction: scores classified on arrival from this moment
    # on may be missing from the rows, so the refit keeps their statuses.
    as_of: datetime | None = None


def practice_scores(practice_id: int, *, as_of: datetime | None = None) -> PracticeScores:
    families = client_outcome_families(practice_id)
    return PracticeScores(families, score_rows_by_family(practice_id, families), as_of)


SCORE_FIELDS = (
    "pk",
    "episode_id",
    "episode__client_id",
    "episode__status",
    "completed_at",
    "total",
    "assignment__session_id",
    "assignment__session__scheduled_start",
    "instrument_id",
)
_ScoreFields = tuple[Any, ...]


def _took_place_before(held: list[datetime], row: _ScoreFields) -> int:
    """How many of the episode's sessions that took place (start times in order) come before a
    score: before its own session, or, for a score given from home, up to when it was given."""
    at, session_start = row[4], row[7]
    if session_start is not None:
        return bisect.bisect_left(held, session_start)
    return bisect.bisect_right(held, at)


def _took_place_count(**bound: Any) -> Coalesce:
    """The number of the outer score's episode's sessions that took place within `bound`."""
    counted = (
        sessions_that_took_place(episode_id=OuterRef("episode_id"), **bound)
        .order_by()
        .values("episode_id")
        .annotate(n=Count("pk", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def series_of(rows: list[ScoreRow]) -> core.Series:
    return core.series(
        [r.episode_id for r in rows], [r.session for r in rows], [r.total for r in rows]
    )


# Where a fit's reliability and SD came from, stored with it in English (and said again in the
# reader's language by `stored_said`).
PUBLISHED = gettext_noop("published with the instrument")
NO_ALPHA_YET = gettext_noop(
    "none published, and fewer than %(n)s intake answers to estimate it from"
)
NO_ALPHA = gettext_noop("none published, and the practice's intake answers give no usable estimate")
ALPHA_OF = gettext_noop("Cronbach's alpha of %(n)s intake answers in this practice")
SD_PUBLISHED = gettext_noop("clinical SD published with the instrument")
NO_SD_YET = gettext_noop("fewer than %(n)s intake scores in this practice")
SD_FLAT = gettext_noop("the practice's intake scores do not vary")
SD_OF = gettext_noop("SD of %(n)s intake scores in this practice")
SOURCES = (PUBLISHED, NO_ALPHA_YET, NO_ALPHA, ALPHA_OF, SD_PUBLISHED, NO_SD_YET, SD_FLAT, SD_OF)


def stored_said(stored: str) -> str:
    """A source or a reason stored with a fit, in the reader's language."""
    return said_again(stored, (*SOURCES, *core.FIT_REASONS), gettext, ngettext, figure_said)


def practice_reliability(
    instrument: Instrument, practice_id: int, rows: list[ScoreRow]
) -> tuple[float | None, str]:
    if instrument.reliability is not None:
        return instrument.reliability, PUBLISHED
    intake_ids = [r.response_id for r in rows if r.session == 1]
    if len(intake_ids) < MIN_INTAKES_FOR_ALPHA:
        return None, NO_ALPHA_YET % {"n": MIN_INTAKES_FOR_ALPHA}
    answers = Response.objects.filter(pk__in=intake_ids).values_list("answers", flat=True)
    matrix = [[_number(a.get(link)) for link in instrument.total_items] for a in answers]
    alpha = core.cronbach_alpha(matrix)
    if alpha is None or not 0 < alpha < 1:
        return None, NO_ALPHA
    return alpha, ALPHA_OF % {"n": len(matrix)}


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else float("nan")


def practice_sd(instrument: Instrument, rows: list[ScoreRow]) -> tuple[float | None, str]:
    if instrument.clinical_sd is not None and instrument.clinical_sd > 0:
        return instrument.clinical_sd, SD_PUBLISHED
    intakes = [r.total for r in rows if r.session == 1]
    if len(intakes) < MIN_INTAKES_FOR_SD:
        return None, NO_SD_YET % {"n": MIN_INTAKES_FOR_SD}
    sd = statistics.stdev(intakes)
    if not sd > 0:
        return None, SD_FLAT
    return sd, SD_OF % {"n": len(intakes)}


def expected_rule(
    instrument: Instrument, expected: ExpectedTrajectory
) -> ReliableChangeRule | None:
    """The instrument's one reliable-change rule, with this fit's SD and reliability where it
    has no published figures (the same rule the client page and dashboard use)."""
    return change_rule(
        instrument,
        practice_id=expected.practice_id,
        sd=expected.sd,
        reliability=expected.reliability,
    )


@dataclass(frozen=True)
class FamilyValidation:
    family: str
    title: str
    report: ValidationReport | None
    reason: str  # why there is no report, when there is none
    n_closed: int
    reliability_source: str
    sd_source: str
    rule: str = ""  # the reliable-change rule the outcome is judged by, in words
    # Judged by Jacobson–Truax: the reliability and SD it was worked out from are said.
    jacobson_truax: bool = False


def trajectory_validation(*, practice_id: int, family: str, actor: User | None) -> FamilyValidation:
    """Early flags against final outcomes on the practice's closed episodes (counts only)."""
    instruments = client_outcome_families(practice_id)[family]
    settings = TrajectorySettings.for_practice(practice_id)
    everything = score_rows(practice_id, instruments)
    reliability, reliability_source = practice_reliability(instruments[0], practice_id, everything)
    sd, sd_source = practice_sd(instruments[0], everything)
    closed = {r.episode_id for r in everything if r.closed}
    data = series_of(everything)
    rule = change_rule(instruments[0], practice_id=practice_id, sd=sd, reliability=reliability)
    report = holdout_validation(
        data,
        client_of_episode={r.episode_id: r.client_id for r in everything},
        judged=closed,
        higher_is_worse=instruments[0].direction == "lower",
        thresholds=settings.thresholds,
        s_difference=core.s_diff(reliability, sd),
        min_episodes=settings.min_clients,
        min_observations=settings.min_observations,
        window=settings.validation_window,
        salt=str(practice_id),
        rule=rule,
    )
    reason = ""
    if report is None:
        reason = gettext(
            "Reliable change cannot be judged: reliability %(reliability)s; SD %(sd)s."
        ) % {"reliability": stored_said(reliability_source), "sd": stored_said(sd_source)}
    elif report.n_evaluated == 0:
        reason = gettext("No closed episode has a score after the early window yet.")
    audit_record(
        actor=actor,
        action="read",
        object_type="trajectories.validation",
        object_id=family,
        practice_id=practice_id,
        detail={"family": family, "closed_episodes": len(closed)},
    )
    return FamilyValidation(
        family=family,
        title=family_title(instruments),
        report=report,
        reason=reason,
        n_closed=report.n_episodes if report else len(closed),
        reliability_source=reliability_source,
        sd_source=sd_source,
        rule=(
            gettext(
                "%(rule)s: %(improvement)s is a reliable improvement, "
                "%(deterioration)s a reliable deterioration"
            )
            % {
                "rule": rule_name(rule.name),
                "improvement": change_size_words(rule, better=True),
                "deterioration": change_size_words(rule, better=False),
            }
        )
        if rule is not None
        else "",
        jacobson_truax=rule is not None and rule.name == JACOBSON_TRUAX,
    )
