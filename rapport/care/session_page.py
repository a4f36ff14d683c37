"""The session page, composed from several apps: scores with risk, change and track, the last
alliance ratings, open ruptures, the plan review and what the client and family wrote.

Care is the foundation those apps build on, so care.queries may not read them; this module sits
beside the page's view, above all of them, and only the view uses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapport.alliance.queries import alliance_by_session, status_of
from rapport.care.models import Session
from rapport.care.queries import session_assignments
from rapport.consent import viewer_shared
from rapport.measures.queries import CATEGORY_WORDS, score_histories, subscale_scores
from rapport.plans.queries import plan_review_due_reason
from rapport.trajectories.models import ScoreStatus


@dataclass(frozen=True)
class ScoreGlance:
    """One measure's latest score, its risk and what changed, in plain words."""

    title: str  # "PHQ-9"
    who: str  # "Client", "Parent or guardian"
    total: str
    band: str
    risks: list[str]  # the flags of the latest answers (for example PHQ-9 item 9)
    urgent: bool
    since_last: str  # "3 points lower than last time (better)"
    since_intake: str
    category: str  # "reliably better", ...
    track: str  # "On track", "Off track", "" when not classified
    response_id: int
    subscales: list[Any] = field(default_factory=list)  # measures.queries.SubscaleScore


@dataclass(frozen=True)
class AllianceGlance:
    when: datetime
    sides: list[tuple[str, str]]  # ("Client", "36 of 40"), ...
    client_words: str  # what could have been better
    client_helped: str = ""


@dataclass
class SessionOverview:
    scores: list[ScoreGlance] = field(default_factory=list)
    alliance: AllianceGlance | None = None
    open_ruptures: list[Any] = field(default_factory=list)
    review_due: str | None = None
    written: list[tuple[str, str]] = field(default_factory=list)  # (measure, what they wrote)

    @property
    def urgent_risks(self) -> list[ScoreGlance]:
        return [score for score in self.scores if score.urgent]


def _number(value: float) -> str:
    return f"{value:g}"


def _change_words(change: float | None, direction: str, since: str) -> str:
    if change is None:
        return ""
    if change == 0:
        return f"no change since {since}"
    better = (change < 0) == (direction == "lower")
    size = abs(change)
    unit = "point" if size == 1 else "points"
    way = "lower" if change < 0 else "higher"
    return f"{_number(size)} {unit} {way} than {since} ({'better' if better else 'worse'})"


def session_overview(session: Session) -> SessionOverview:
    """Scores with risk, change and track; last alliance from each side; open ruptures; plan
    review; and what the client and family wrote at this session."""
    episode = session.episode
    overview = SessionOverview()
    tracks = {
        status.response_id: status.get_status_display()
        for status in ScoreStatus.objects.filter(episode=episode)
    }
    for history in score_histories(episode, respondents=("client", "guardian", "therapist")):
        rows = history.rows
        latest = rows[-1]
        previous = rows[-2] if len(rows) > 1 else None
        direction = history.instrument.direction
        since_last = (
            _change_words(latest.total - previous.total, direction, "last time")
            if previous and latest.total is not None and previous.total is not None
            else ""
        )
        flags = latest.response.flags or []
        overview.scores.append(
            ScoreGlance(
                title=history.instrument.short_title,
                who=latest.response.get_respondent_display(),
                total=_number(latest.total) if latest.total is not None else "",
                band=latest.band,
                risks=[str(flag.get("message", "")) for flag in flags],
                urgent=any(flag.get("urgent") for flag in flags),
                since_last=since_last,
                # With two scores the last one was the intake: said once, not twice.
                since_intake=(
                    _change_words(latest.change, direction, "at intake") if len(rows) > 2 else ""
                ),
                category=CATEGORY_WORDS.get(latest.category or "", ""),
                track=tracks.get(latest.response.pk, ""),
                response_id=latest.response.pk,
                subscales=subscale_scores(history.instrument, latest.response.subscales or {}),
            )
        )
    overview.scores.sort(key=lambda s: (not s.urgent, not s.risks))
    alliance_rows = alliance_by_session(episode)
    held = [row for row in alliance_rows if row.session.scheduled_start <= session.scheduled_start]
    if held:
        last = held[-1]
        sides = []
        if last.client is not None:
            sides.append(("Client", _number(last.client.total or 0)))
        if last.therapist is not None:
            sides.append(("Therapist", _number(last.therapist.total or 0)))
        for guardian in last.guardians:
            sides.append(("Parent or guardian", _number(guardian.total or 0)))
        overview.alliance = AllianceGlance(
            last.session.scheduled_start, sides, last.client_words, last.client_helped
        )
    overview.open_ruptures = [
        rupture
        for rupture in viewer_shared(episode.ruptures.all(), episode.client_id)
        if status_of(rupture, alliance_rows).state == "open"
    ]
    overview.review_due = plan_review_due_reason(episode)
    for assignment in session_assignments(session):
        response = getattr(assignment, "response", None)
        if response is not None and response.respondent != "therapist":
            for words in response.written_answers:
                overview.written.append((assignment.instrument.short_title, words))
    return overview
