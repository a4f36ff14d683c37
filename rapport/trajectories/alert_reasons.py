"""The reason a trajectory alert gives, in plain words."""

from __future__ import annotations

from rapport.core import trajectory as core
from rapport.core.instruments import Instrument
from rapport.trajectories.models import ExpectedTrajectory, TrajectorySettings
from rapport.trajectories.queries import ScoreRow, expected_rule


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
