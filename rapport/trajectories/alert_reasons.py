"""The reason a trajectory alert gives, in plain words."""

from __future__ import annotations

from rapport.core import trajectory as core
from rapport.core.instruments import Instrument
from rapport.core.text import Phrase, gettext_noop
from rapport.measures.reliable import RULE_NAMES
from rapport.trajectories.models import ExpectedTrajectory, TrajectorySettings
from rapport.trajectories.queries import ScoreRow, expected_rule

# The English the reason is made of: stored so, said in the reader's language where an alert
# is shown (rapport.alerts.wording).
_SAID = gettext_noop("%(measure)s %(score)s at session %(session)s (intake %(intake)s)")
_IT = gettext_noop("It")
_WORSE = gettext_noop(
    "%(said)s is reliably worse than at intake: a change of %(change)s, "
    "where the %(rule)s counts %(deterioration)s as reliable deterioration"
)
_BEHIND = gettext_noop(
    "%(said)s is behind the course expected in this practice: only about %(n)s in 100 "
    "clients who started at %(intake)s had improved this little, and most would be about "
    "%(expected)s by now (at risk when fewer than %(at_risk)s in 100, off track when fewer "
    "than %(off_track)s in 100)"
)
_NO_IMPROVEMENT = gettext_noop(
    "%(said)s shows no reliable improvement by session %(session)s (a simple rule used until "
    "the practice has enough clients for an expected course)"
)
_NO_IMPROVEMENT_BY_RULE = gettext_noop(
    "%(said)s shows no reliable improvement by session %(session)s (a simple rule used until "
    "the practice has enough clients for an expected course; %(rule)s: %(improvement)s)"
)
_TWO = gettext_noop("%(first)s. %(second)s.")
_ONE = gettext_noop("%(first)s.")
# The sentences joined: any text ending in a full stop matches these, so they come last.
JOINED: tuple[Phrase, ...] = (_TWO, _ONE)
REASON_PHRASES: tuple[Phrase, ...] = (
    _WORSE,
    _BEHIND,
    _NO_IMPROVEMENT_BY_RULE,
    _NO_IMPROVEMENT,
    _SAID,
    _IT,
    *RULE_NAMES,
    # The rule's sizes of change, as ReliableChangeRule words them.
    gettext_noop("a fall of %(points)s or more points"),
    gettext_noop("a rise of %(points)s or more points"),
    gettext_noop("a fall of more than %(points)s points"),
    gettext_noop("a rise of more than %(points)s points"),
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
    said = _SAID % {
        "measure": name,
        "score": f"{row.total:g}",
        "session": row.session,
        "intake": f"{intake:g}",
    }
    parts = []
    rule = expected_rule(instrument, expected)
    if classification.reliable_deterioration and rule is not None:
        parts.append(
            _WORSE
            % {
                "said": said,
                "change": f"{row.total - intake:+g}",
                "rule": rule.name,
                "deterioration": rule.deterioration_words,
            }
        )
        said = _IT
    if classification.percentile is not None:
        parts.append(
            _BEHIND
            % {
                "said": said,
                "n": max(1, round(classification.percentile)),
                "intake": f"{intake:g}",
                "expected": f"{classification.expected:.0f}",
                "at_risk": f"{settings.at_risk_percentile:g}",
                "off_track": f"{settings.off_track_percentile:g}",
            }
        )
    elif classification.status is core.Status.OFF_TRACK and not parts:
        values = {"said": said, "session": settings.fallback_session}
        if rule is None:
            parts.append(_NO_IMPROVEMENT % values)
        else:
            parts.append(
                _NO_IMPROVEMENT_BY_RULE
                % {**values, "rule": rule.name, "improvement": rule.improvement_words}
            )
    if len(parts) == 2:
        return _TWO % {"first": parts[0], "second": parts[1]}
    return _ONE % {"first": parts[0]} if parts else "."
