"""Read models for other domains: the expected band for a client chart, the latest status per
episode for dashboards. Access control is the caller's: load the episode through rapport.access
first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from rapport.care.models import Episode
from rapport.core import trajectory as core
from rapport.core.instruments import Instrument
from rapport.measures.reliable import change_rule
from rapport.trajectories.models import ExpectedTrajectory, Method, ScoreStatus
from rapport.trajectories.services import client_outcome_families, score_rows

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
    no intake score of it yet.
    """
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


def latest_status_by_episode(episode_ids: Iterable[int]) -> dict[int, TrackStatus]:
    """Each episode's most recent classified score (any measure); episodes without are absent."""
    found: dict[int, TrackStatus] = {}
    rows = (
        ScoreStatus.objects.filter(episode_id__in=list(episode_ids))
        .order_by("episode_id", "-at", "-pk")
        .values_list("episode_id", "status", "family", "method", "at", "reliable_deterioration")
    )
    for episode_id, status, family, method, at, deteriorated in rows:
        if episode_id not in found:
            found[episode_id] = TrackStatus(status, family, method, at, deteriorated)
    return found


def episode_statuses(episode: Episode) -> list[ScoreStatus]:
    """Every classified score of an episode, oldest first."""
    return list(
        ScoreStatus.objects.filter(episode=episode)
        .select_related("response")
        .order_by("family", "at", "pk")
    )


def rule_words(instrument: Instrument, practice_id: int) -> str:
    """The reliable-change rule behind "reliably worse", named where it is said."""
    rule = change_rule(instrument, practice_id=practice_id)
    return f"{rule.name}: {rule.deterioration_words}" if rule else ""
