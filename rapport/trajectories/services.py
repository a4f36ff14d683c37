"""Expected trajectories: fitting per practice and measure, classifying scores, alerts, validation.

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
import logging
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open_unless_open
from rapport.audit.services import audit_record
from rapport.care.clock import sessions_that_took_place
from rapport.care.models import Episode, EpisodeStatus
from rapport.core import trajectory as core
from rapport.core.instruments import Instrument
from rapport.core.reliable import ReliableChangeRule
from rapport.core.validation import ValidationReport, holdout_validation
from rapport.measures.models import Response
from rapport.measures.registry import get_instrument, outcome_families
from rapport.measures.reliable import change_rule
from rapport.practices.models import Practice
from rapport.trajectories.models import (
    ExpectedTrajectory,
    Method,
    ScoreStatus,
    TrajectorySettings,
)

logger = logging.getLogger(__name__)

MIN_INTAKES_FOR_SD = 10  # the practice's intake SD stands in for a published one from here
MIN_INTAKES_FOR_ALPHA = 20  # likewise Cronbach's alpha for a scale without a published r
REFRESH_EVERY = timedelta(days=1)


# --- Which measures ------------------------------------------------------------------------------


def client_outcome_families(practice_id: int | None) -> dict[str, list[Instrument]]:
    """Measure families with a client-rated numeric total that tracks outcome (PHQ-9, GAD-7,
    check-in); session feedback and goal ratings are not outcome measures."""
    families = outcome_families(practice_id)
    return {family: sorted(found, key=lambda i: i.id) for family, found in families.items()}


def family_title(instruments: list[Instrument]) -> str:
    return instruments[0].short_title or instruments[0].title


# --- Score rows and session numbers ------------------------------------------------------------


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
    """Client scores of several families in two queries, numbered per family and episode."""
    family_of = {i.id: family for family, found in families.items() for i in found}
    responses = Response.objects.filter(
        episode__practice_id=practice_id,
        respondent="client",
        total__isnull=False,
        instrument_id__in=list(family_of),
    )
    if episode_ids is not None:
        responses = responses.filter(episode_id__in=episode_ids)
    found = list(
        responses.order_by("episode_id", "completed_at", "pk").values_list(
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
    )
    starts: dict[int, list[datetime]] = defaultdict(list)
    took_place = sessions_that_took_place(episode_id__in={row[1] for row in found}).values_list(
        "pk", "episode_id", "scheduled_start"
    )
    for _, episode_id, start in took_place:
        starts[episode_id].append(start)
    rows: dict[str, list[ScoreRow]] = {family: [] for family in families}
    first: dict[tuple[str, int], int] = {}
    for pk, episode_id, client_id, status, at, total, session_id, session_start, iid in found:
        family = family_of[iid]
        held = starts[episode_id]
        if session_start is not None:
            ordinal = bisect.bisect_left(held, session_start) + 1
        else:
            ordinal = bisect.bisect_right(held, at) + 1
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


def series_of(rows: list[ScoreRow]) -> core.Series:
    return core.series(
        [r.episode_id for r in rows], [r.session for r in rows], [r.total for r in rows]
    )


# --- Fitting -----------------------------------------------------------------------------------


def _reliability(
    instrument: Instrument, practice_id: int, rows: list[ScoreRow]
) -> tuple[float | None, str]:
    if instrument.reliability is not None:
        return instrument.reliability, "published with the instrument"
    intake_ids = [r.response_id for r in rows if r.session == 1]
    if len(intake_ids) < MIN_INTAKES_FOR_ALPHA:
        return None, (
            f"none published, and fewer than {MIN_INTAKES_FOR_ALPHA} intake answers to "
            "estimate it from"
        )
    answers = Response.objects.filter(pk__in=intake_ids).values_list("answers", flat=True)
    matrix = [[_number(a.get(link)) for link in instrument.total_items] for a in answers]
    alpha = core.cronbach_alpha(matrix)
    if alpha is None or not 0 < alpha < 1:
        return None, "none published, and the practice's intake answers give no usable estimate"
    return alpha, f"Cronbach's alpha of {len(matrix)} intake answers in this practice"


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else float("nan")


def _sd(instrument: Instrument, rows: list[ScoreRow]) -> tuple[float | None, str]:
    if instrument.clinical_sd is not None and instrument.clinical_sd > 0:
        return instrument.clinical_sd, "clinical SD published with the instrument"
    intakes = [r.total for r in rows if r.session == 1]
    if len(intakes) < MIN_INTAKES_FOR_SD:
        return None, f"fewer than {MIN_INTAKES_FOR_SD} intake scores in this practice"
    sd = statistics.stdev(intakes)
    if not sd > 0:
        return None, "the practice's intake scores do not vary"
    return sd, f"SD of {len(intakes)} intake scores in this practice"


FITTED_FIELDS = [
    "fitted_at",
    "method",
    "reason",
    "n_clients",
    "n_obs",
    "converged",
    "parameters",
    "reliability",
    "reliability_source",
    "sd",
    "sd_source",
]


def trajectory_fit(
    *,
    practice_id: int,
    family: str,
    instruments: list[Instrument],
    rows: list[ScoreRow],
    settings: TrajectorySettings,
) -> ExpectedTrajectory:
    """Fit (or refit) one family's expected trajectory on the practice's scores and store it."""
    fitted = _fitted(practice_id, family, instruments, rows, settings)
    expected, _ = ExpectedTrajectory.objects.update_or_create(
        practice_id=practice_id,
        family=family,
        defaults={name: getattr(fitted, name) for name in FITTED_FIELDS},
    )
    return expected


def _fitted(
    practice_id: int,
    family: str,
    instruments: list[Instrument],
    rows: list[ScoreRow],
    settings: TrajectorySettings,
) -> ExpectedTrajectory:
    """The fit as an unsaved row."""
    result = core.fit_expected(
        series_of(rows),
        min_episodes=settings.min_clients,
        min_observations=settings.min_observations,
    )
    reliability, reliability_source = _reliability(instruments[0], practice_id, rows)
    sd, sd_source = _sd(instruments[0], rows)
    return ExpectedTrajectory(
        practice_id=practice_id,
        family=family,
        fitted_at=timezone.now(),
        method=Method.MODEL if result.model else Method.RULE,
        reason=result.reason,
        n_clients=result.n_episodes,
        n_obs=result.n_obs,
        converged=bool(result.model and result.model.converged),
        parameters=result.model.to_dict() if result.model else {},
        reliability=reliability,
        reliability_source=reliability_source,
        sd=sd,
        sd_source=sd_source,
    )


# --- Classifying ---------------------------------------------------------------------------------


def _classify_rows(
    rows: list[ScoreRow],
    expected: ExpectedTrajectory,
    instrument: Instrument,
    settings: TrajectorySettings,
) -> list[tuple[ScoreRow, core.Classification]]:
    data = series_of(rows)
    first = data.session == 1
    intake = {int(e): float(x) for e, x in zip(data.episode[first], data.score[first], strict=True)}
    with_intake = [row for row in rows if row.episode_id in intake]
    classified = core.classify_rows(
        [row.session for row in with_intake],
        [row.total for row in with_intake],
        [intake[row.episode_id] for row in with_intake],
        higher_is_worse=instrument.direction == "lower",
        thresholds=settings.thresholds,
        model=expected.model,
        s_difference=expected.s_difference,
        rule=expected_rule(instrument, expected),
    )
    return [
        (row, classification)
        for row, classification in zip(with_intake, classified, strict=True)
        if classification is not None
    ]


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


def _status_object(
    row: ScoreRow, family: str, classification: core.Classification, now: datetime
) -> ScoreStatus:
    return ScoreStatus(
        response_id=row.response_id,
        episode_id=row.episode_id,
        family=family,
        session_number=row.session,
        at=row.at,
        status=classification.status.value,
        method=classification.basis.value,
        percentile=classification.percentile,
        expected=classification.expected,
        reliable_deterioration=classification.reliable_deterioration,
        classified_at=now,
    )


def trajectory_classify(*, response: Response) -> ScoreStatus | None:
    """Classify a client's new score and raise an alert when it is off track or reliably worse.

    Runs inside the submitting transaction (response_submitted). A failure here must not lose the
    client's answers, so it is logged and the classification left out; the next refresh
    classifies the score.
    """
    try:
        with transaction.atomic():
            return _classify_response(response)
    except Exception:
        logger.exception("could not classify response %s against its trajectory", response.pk)
        return None


def _classify_response(response: Response) -> ScoreStatus | None:
    if response.respondent != "client" or response.total is None:
        return None
    episode = response.episode
    practice_id = episode.practice_id
    instrument = get_instrument(response.instrument_id, practice_id=practice_id)
    families = client_outcome_families(practice_id)
    instruments = families.get(instrument.family)
    if not instrument.is_outcome or instruments is None:
        return None
    settings = TrajectorySettings.for_practice(practice_id)
    expected = ExpectedTrajectory.objects.filter(
        practice_id=practice_id, family=instrument.family
    ).first()
    if expected is None:  # the first score of this measure in the practice: fit on demand
        expected = trajectory_fit(
            practice_id=practice_id,
            family=instrument.family,
            instruments=instruments,
            rows=score_rows(practice_id, instruments),
            settings=settings,
        )
    rows = score_rows(practice_id, instruments, episode_ids=[episode.pk])
    classified = _classify_rows(rows, expected, instrument, settings)
    found = {row.response_id: (row, c) for row, c in classified}
    if response.pk not in found:
        ScoreStatus.objects.filter(response=response).delete()
        return None
    row, classification = found[response.pk]
    status = _status_object(row, instrument.family, classification, timezone.now())
    ScoreStatus.objects.filter(response=response).delete()
    status.save()
    audit_record(
        actor=None,
        action="classify",
        obj=status,
        client_id=episode.client_id,
        practice_id=practice_id,
        detail={"status": status.status, "method": status.method, "family": status.family},
    )
    intake = next(r.total for r in rows if r.session == 1)
    _alert(response, instrument, expected, settings, row, intake, classification)
    return status


def alert_kind(classification: core.Classification, settings: TrajectorySettings) -> str | None:
    """The one alert a score calls for, the most serious: deterioration, off track, at risk
    (the last only when the practice asks for it)."""
    if classification.reliable_deterioration:
        return str(Alert.Kind.DETERIORATION)
    if classification.status is core.Status.OFF_TRACK:
        return str(Alert.Kind.OFF_TRACK)
    if classification.status is core.Status.AT_RISK and settings.alert_at_risk:
        return str(Alert.Kind.AT_RISK)
    return None


def _alert(
    response: Response,
    instrument: Instrument,
    expected: ExpectedTrajectory,
    settings: TrajectorySettings,
    row: ScoreRow,
    intake: float,
    classification: core.Classification,
) -> Alert | None:
    """At most one alert per score; none while an alert of its kind is unresolved."""
    kind = alert_kind(classification, settings)
    if kind is None:
        return None
    covered_by: tuple[str, ...] = ()
    if kind == Alert.Kind.AT_RISK:  # an off-track or deterioration alert already says more
        covered_by = (Alert.Kind.OFF_TRACK, Alert.Kind.DETERIORATION)
    return alert_open_unless_open(
        episode=response.episode,
        kind=kind,
        covered_by=covered_by,
        reason=alert_reason(instrument, expected, settings, row, intake, classification),
        session=response.assignment.session,
        source_response=response,
    )


def alert_reason(
    instrument: Instrument,
    expected: ExpectedTrajectory,
    settings: TrajectorySettings,
    row: ScoreRow,
    intake: float,
    classification: core.Classification,
) -> str:
    """The alert's reason in plain words: score, session, and what it was compared with
    (percentiles as "in 100 clients", measurement error as points, no statistic's name)."""
    name = instrument.short_title or instrument.title
    said = f"{name} {row.total:g} at session {row.session} (intake {intake:g})"
    parts = []
    rule = expected_rule(instrument, expected)
    if classification.reliable_deterioration and rule is not None:
        parts.append(
            f"{said} is reliably worse than at intake: a change of {row.total - intake:+g}, "
            f"where the {rule.name} counts {rule.deterioration_words} as reliable deterioration"
        )
        said = "It"
    if classification.percentile is not None:
        in_100 = max(1, round(classification.percentile))
        parts.append(
            f"{said} is behind the course expected in this practice: only about {in_100} in 100 "
            f"clients who started at {intake:g} had improved this little, and most "
            f"would be about {classification.expected:.0f} by now (at risk when fewer than "
            f"{settings.at_risk_percentile:g} in 100, off track when fewer than "
            f"{settings.off_track_percentile:g} in 100)"
        )
    elif classification.status is core.Status.OFF_TRACK and not parts:
        needs = f"; {rule.name}: {rule.improvement_words}" if rule is not None else ""
        parts.append(
            f"{said} shows no reliable improvement by session {settings.fallback_session} "
            "(a simple rule used until the practice has enough clients for an expected course"
            f"{needs})"
        )
    return ". ".join(parts) + "."


# --- Refreshing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyFit:
    family: str
    instruments: list[Instrument]
    expected: ExpectedTrajectory
    rows: list[ScoreRow]
    classified: list[tuple[ScoreRow, core.Classification]]


@transaction.atomic
def trajectories_refresh(
    *, practice: Practice, actor: User | None = None
) -> list[ExpectedTrajectory]:
    """Refit every measure's expected trajectory and reclassify every stored score, silently:
    alerts belong to the moment a score comes in, not to a recalculation of the past."""
    return [fit.expected for fit in trajectories_refit(practice=practice, actor=actor)]


@transaction.atomic
def trajectories_refit(*, practice: Practice, actor: User | None = None) -> list[FamilyFit]:
    """trajectories_refresh, returning the scores and their classifications as well."""
    fits = refit_practice(practice, TrajectorySettings.for_practice(practice.pk))
    audit_record(
        actor=actor,
        action="refresh",
        object_type="trajectories.expectedtrajectory",
        practice_id=practice.pk,
        detail={"fitted": [fit.expected.describe() for fit in fits]},
    )
    return fits


def refit_practice(practice: Practice, settings: TrajectorySettings) -> list[FamilyFit]:
    """The refit itself, in the caller's transaction and without an audit event: for
    trajectories_refit and for the demo loader, which audits its whole load once."""
    now = timezone.now()
    families = client_outcome_families(practice.pk)
    rows_by_family = score_rows_by_family(practice.pk, families)
    stored = {e.family: e for e in ExpectedTrajectory.objects.filter(practice=practice)}
    fits = []
    for family, instruments in families.items():
        rows = rows_by_family[family]
        expected = _fitted(practice.pk, family, instruments, rows, settings)
        if family in stored:
            expected.pk = stored[family].pk
        classified = _classify_rows(rows, expected, instruments[0], settings)
        fits.append(FamilyFit(family, instruments, expected, rows, classified))
    # Two statements whatever the number of measures (the demo counts its queries).
    ExpectedTrajectory.objects.bulk_update(
        [fit.expected for fit in fits if fit.expected.pk is not None], FITTED_FIELDS
    )
    ExpectedTrajectory.objects.bulk_create(
        [fit.expected for fit in fits if fit.expected.pk is None]
    )
    ScoreStatus.objects.filter(episode__practice=practice).delete()
    ScoreStatus.objects.bulk_create(
        (_status_object(row, fit.family, c, now) for fit in fits for row, c in fit.classified),
        batch_size=500,
    )
    return fits


@transaction.atomic
def trajectory_settings_update(*, settings: TrajectorySettings, actor: User) -> TrajectorySettings:
    """Save a practice's new thresholds and classify every stored score by them, as one step: a
    status is only ever shown with the thresholds it was made with."""
    changed = {
        name: getattr(settings, name)
        for name in (
            "at_risk_percentile",
            "off_track_percentile",
            "alert_at_risk",
            "min_clients",
            "min_observations",
            "fallback_session",
            "validation_window",
        )
    }
    settings.full_clean()
    settings.save()
    audit_record(actor=actor, action="update", obj=settings, detail=changed)
    trajectories_refit(practice=settings.practice, actor=actor)
    return settings


def trajectories_refresh_due(*, every: timedelta = REFRESH_EVERY) -> int:
    """Refresh each practice with client scores whose trajectories are older than `every`."""
    cutoff = timezone.now() - every
    with_scores = Episode.objects.filter(responses__respondent="client").values("practice_id")
    refreshed = 0
    for practice in Practice.objects.filter(pk__in=with_scores):
        oldest = (
            ExpectedTrajectory.objects.filter(practice=practice)
            .order_by("fitted_at")
            .values_list("fitted_at", flat=True)
            .first()
        )
        if oldest is None or oldest < cutoff:
            trajectories_refresh(practice=practice)
            refreshed += 1
    return refreshed


# --- Validation -----------------------------------------------------------------------------------


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


def trajectory_validation(*, practice_id: int, family: str, actor: User | None) -> FamilyValidation:
    """Early flags against final outcomes on the practice's closed episodes (counts only)."""
    instruments = client_outcome_families(practice_id)[family]
    settings = TrajectorySettings.for_practice(practice_id)
    everything = score_rows(practice_id, instruments)
    reliability, reliability_source = _reliability(instruments[0], practice_id, everything)
    sd, sd_source = _sd(instruments[0], everything)
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
        reason = (
            f"Reliable change cannot be judged: reliability {reliability_source}; SD {sd_source}."
        )
    elif report.n_evaluated == 0:
        reason = "No closed episode has a score after the early window yet."
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
            f"{rule.name}: {rule.improvement_words} is a reliable improvement, "
            f"{rule.deterioration_words} a reliable deterioration"
        )
        if rule is not None
        else "",
    )
