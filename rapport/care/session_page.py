"""The session page, composed from several apps: scores with risk, change and track, the last
alliance ratings, open ruptures, the plan review and what the client and family wrote.

Care is the foundation those apps build on, so care.queries may not read them; this module sits
beside the page's view, above all of them, and only the view uses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext, ngettext, pgettext

from rapport.alliance.queries import alliance_by_session, status_of
from rapport.care.models import Session
from rapport.care.queries import session_assignments
from rapport.consent import viewer_shared
from rapport.measures.queries import CATEGORY_WORDS, score_histories, subscale_scores
from rapport.measures.wording import band_read, in_reader_language
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


def _change_words(change: float | None, direction: str, *, since_intake: bool) -> str:
    """ "3 points lower than last time (better)", in the reader's language: the page is composed
    for one reader, so its words are said here rather than stored."""
    if change is None:
        return ""
    if change == 0:
        return (
            gettext("no change since intake")
            if since_intake
            else gettext("no change since last time")
        )
    size = abs(change)
    # A fraction of a point takes the plural, as "1.5 points" does in English and Spanish.
    count = 1 if size == 1 else 2
    if change < 0:
        words = (
            ngettext("%(n)s point lower than at intake", "%(n)s points lower than at intake", count)
            if since_intake
            else ngettext(
                "%(n)s point lower than last time", "%(n)s points lower than last time", count
            )
        )
    else:
        words = (
            ngettext(
                "%(n)s point higher than at intake", "%(n)s points higher than at intake", count
            )
            if since_intake
            else ngettext(
                "%(n)s point higher than last time", "%(n)s points higher than last time", count
            )
        )
    better = (change < 0) == (direction == "lower")
    verdict = pgettext("score change", "better") if better else pgettext("score change", "worse")
    return gettext("%(change)s (%(verdict)s)") % {
        "change": words % {"n": _number(size)},
        "verdict": verdict,
    }


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
            _change_words(latest.total - previous.total, direction, since_intake=False)
            if previous and latest.total is not None and previous.total is not None
            else ""
        )
        flags = latest.response.flags or []
        overview.scores.append(
            ScoreGlance(
                title=in_reader_language(history.instrument).short_title,
                who=latest.response.get_respondent_display(),
                total=_number(latest.total) if latest.total is not None else "",
                band=band_read(latest.band),
                risks=[str(flag.get("message", "")) for flag in flags],
                urgent=any(flag.get("urgent") for flag in flags),
                since_last=since_last,
                # With two scores the last one was the intake: said once, not twice.
                since_intake=(
                    _change_words(latest.change, direction, since_intake=True)
                    if len(rows) > 2
                    else ""
                ),
                category=gettext(CATEGORY_WORDS[latest.category])
                if latest.category in CATEGORY_WORDS
                else "",
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
            sides.append((gettext("Client"), _number(last.client.total or 0)))
        if last.therapist is not None:
            sides.append((gettext("Therapist"), _number(last.therapist.total or 0)))
        for guardian in last.guardians:
            sides.append((gettext("Parent or guardian"), _number(guardian.total or 0)))
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
                overview.written.append(
                    (in_reader_language(assignment.instrument).short_title, words)
                )
    return overview
