"""API: an episode's scores, each classified against the range expected for this client, and
those expected ranges (the trajectory page's data)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from django.http import HttpRequest
from ninja import Router

from rapport import access
from rapport.api.auth import caller
from rapport.api.schemas import REFUSALS, Strict
from rapport.care.models import Episode
from rapport.trajectories.queries import episode_statuses, expected_band

router = Router(tags=["scores"])


class ScoreOut(Strict):
    response_id: int
    family: str
    session_number: int
    at: datetime
    score: float | None
    status: str
    method: str
    percentile: float | None
    expected: float | None
    reliable_deterioration: bool


class BandOut(Strict):
    family: str
    method: str
    label: str
    sessions: list[int]
    p10: list[float]
    p25: list[float]
    p50: list[float]
    p75: list[float]
    p90: list[float]
    higher_is_worse: bool


class EpisodeScores(Strict):
    episode_id: int
    scores: list[ScoreOut]
    expected: list[BandOut]


@router.get("/episodes/{episode_id}/scores", response={200: EpisodeScores, **REFUSALS})
def episode_scores(request: HttpRequest, episode_id: int) -> EpisodeScores:
    """Every classified score of the episode (on track, at risk, off track), oldest first per
    measure, and the expected range by session for each measure."""
    episode = access.load(caller(request, "read"), Episode, episode_id)
    statuses = episode_statuses(episode)
    families = sorted({s.family for s in statuses})
    bands = [band for f in families if (band := expected_band(episode, f)) is not None]
    return EpisodeScores(
        episode_id=episode.pk,
        scores=[
            ScoreOut(
                response_id=s.response_id,
                family=s.family,
                session_number=s.session_number,
                at=s.at,
                score=s.response.total,
                status=s.status,
                method=s.method,
                percentile=s.percentile,
                expected=s.expected,
                reliable_deterioration=s.reliable_deterioration,
            )
            for s in statuses
        ],
        expected=[BandOut.model_validate(asdict(b)) for b in bands],
    )
