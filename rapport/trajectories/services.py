"""Expected trajectories: fitting per practice and measure, classifying scores, alerts.

The scores come numbered by session from trajectories.queries (score_rows), which says how.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open_unless_open
from rapport.audit.services import audit_record
from rapport.core import trajectory as core
from rapport.core.instruments import Instrument
from rapport.measures.models import Response
from rapport.measures.registry import get_instrument
from rapport.practices.models import Practice
from rapport.trajectories.alert_reasons import alert_reason
from rapport.trajectories.models import (
    ExpectedTrajectory,
    Method,
    ScoreStatus,
    TrajectorySettings,
)
from rapport.trajectories.queries import (
    PracticeScores,
    ScoreRow,
    client_outcome_families,
    expected_and_settings,
    expected_rule,
    practice_reliability,
    practice_scores,
    practice_sd,
    score_rows,
    series_of,
)

logger = logging.getLogger(__name__)


# --- Fitting -----------------------------------------------------------------------------------


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


def _trajectory_fit(
    *,
    practice_id: int,
    family: str,
    instruments: list[Instrument],
    rows: list[ScoreRow],
    settings: TrajectorySettings,
) -> ExpectedTrajectory:
    """Fit one family's expected trajectory on the practice's scores and store it, in the
    caller's transaction: the classification of the first score of a measure in a practice."""
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
    reliability, reliability_source = practice_reliability(instruments[0], practice_id, rows)
    sd, sd_source = practice_sd(instruments[0], rows)
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
    expected, settings = expected_and_settings(practice_id, instrument.family)
    if expected is None:  # the first score of this measure in the practice: fit on demand
        expected = _trajectory_fit(
            practice_id=practice_id,
            family=instrument.family,
            instruments=instruments,
            rows=score_rows(practice_id, instruments),
            settings=settings,
        )
    rows = score_rows(practice_id, instruments, episode_ids=[episode.pk])
    classified = _classify_rows(rows, expected, instrument, settings)
    found = {row.response_id: (row, c) for row, c in classified}
    # The response was stored in this very transaction (response_submitted), so it has no
    # status yet: nothing to clear before its first one.
    if response.pk not in found:
        return None
    row, classification = found[response.pk]
    status = _status_object(row, instrument.family, classification, timezone.now())
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
    kind = settings.alert_kind_for(classification)
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


# --- Refreshing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyFit:
    family: str
    instruments: list[Instrument]
    expected: ExpectedTrajectory
    rows: list[ScoreRow]
    classified: list[tuple[ScoreRow, core.Classification]]


@transaction.atomic
def trajectories_refit(
    *, practice: Practice, actor: User | None = None, scores: PracticeScores | None = None
) -> list[FamilyFit]:
    """Refit every measure's expected trajectory and reclassify every stored score, silently:
    alerts belong to the moment a score comes in, not to a recalculation of the past. Returns
    the scores and their classifications as well. `scores` read beforehand (on the replica, by
    trajectories.refresh) spare the reading inside this transaction."""
    fits = refit_practice(
        practice=practice, settings=TrajectorySettings.for_practice(practice.pk), scores=scores
    )
    audit_record(
        actor=actor,
        action="refresh",
        object_type="trajectories.expectedtrajectory",
        practice_id=practice.pk,
        detail={"fitted": [fit.expected.describe() for fit in fits]},
    )
    return fits


def refit_practice(
    *, practice: Practice, settings: TrajectorySettings, scores: PracticeScores | None = None
) -> list[FamilyFit]:
    """The refit itself, in the caller's transaction and without an audit event: for
    trajectories_refit and for the demo loader, which audits its whole load once."""
    now = timezone.now()
    scores = scores or practice_scores(practice.pk)
    stored = {e.family: e for e in ExpectedTrajectory.objects.filter(practice=practice)}
    fits = []
    for family, instruments in scores.families.items():
        rows = scores.rows_by_family[family]
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
    replaced = ScoreStatus.objects.filter(episode__practice=practice)
    if scores.as_of is not None:
        replaced = replaced.filter(classified_at__lt=scores.as_of)
    replaced.delete()
    _statuses_store(
        [_status_values(row, fit.family, c, now) for fit in fits for row, c in fit.classified],
        # A kept status (see PracticeScores.as_of) stands for its score.
        keep_existing=scores.as_of is not None,
    )
    return fits


STATUS_COLUMNS = [
    "response_id",
    "episode_id",
    "family",
    "session_number",
    "at",
    "status",
    "method",
    "percentile",
    "expected",
    "reliable_deterioration",
    "classified_at",
]


def _status_values(
    row: ScoreRow, family: str, classification: core.Classification, now: datetime
) -> tuple[Any, ...]:
    """A status as the values of STATUS_COLUMNS: a model instance each costs more than the
    classification itself in a large practice."""
    return (
        row.response_id,
        row.episode_id,
        family,
        row.session,
        row.at,
        classification.status.value,
        classification.basis.value,
        classification.percentile,
        classification.expected,
        classification.reliable_deterioration,
        now,
    )


def _statuses_store(statuses: list[tuple[Any, ...]], *, keep_existing: bool) -> None:
    """Write a practice's statuses, in the caller's transaction. On PostgreSQL through COPY: a
    large practice has hundreds of thousands, which INSERTs of a few hundred rows each take
    most of a minute to write (README "National scale")."""
    if connection.vendor != "postgresql":
        ScoreStatus.objects.bulk_create(
            (ScoreStatus(**dict(zip(STATUS_COLUMNS, values, strict=True))) for values in statuses),
            batch_size=500,
            ignore_conflicts=keep_existing,
        )
        return
    table = ScoreStatus._meta.db_table
    columns = ", ".join(STATUS_COLUMNS)
    # A savepoint when called inside a transaction, as it is meant to be: the temporary table
    # lives until the end of it.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE incoming_statuses ON COMMIT DROP AS "  # nosec B608
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY incoming_statuses ({columns}) FROM STDIN") as copy:
            for values in statuses:
                copy.write_row(values)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming_statuses "  # nosec B608
            + ("ON CONFLICT (response_id) DO NOTHING" if keep_existing else "")
        )
        cursor.execute("DROP TABLE incoming_statuses")


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
