"""Session feedback on the alliance: the alert rules and rupture–repair.

Every session the client rates the relationship on Rapport Session Feedback (bond, goals, approach,
overall; 0–10 sliders, total 0–40; `rapport/instruments/feedback-*.json`). The therapist rates the
same four items from their side, and a guardian who takes part rates their own relationship with
the therapist. Here those ratings become alert findings, and a rupture's later ratings say whether
it was repaired.

Conventions:
- A history is in session order, latest last, with strictly increasing session indices. A session
  with no feedback is simply absent: "previous" means the previous rating there is.
- Thresholds compare with a tolerance of 1e-9, so a mean of three that is mathematically exactly
  3 points above the latest total is "exactly 3", not 2.9999999999999996.
- `evaluate_session` returns at most one finding of each kind; when several rules of one kind fire
  their reasons are joined, so the shell can keep one alert per kind per session.

Rapport's scale has no published norms (DESIGN.md, "Instruments"), so every threshold is a
practice setting; the defaults and their reasons are on `AllianceSettings`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, NamedTuple

from rapport.core.text import Phrase, gettext_noop, plural_noop

ITEMS = ("bond", "goals", "approach", "overall")
# The goals item has its own line (goals_item_low) and its own finding (GOALS_LOW, a plan review
# suggested); judging it by the general item line as well gave one rating two thresholds in two
# alerts ("at or below 7" and "at or below 6").
ITEM_RULE_ITEMS = ("bond", "approach", "overall")
# The feedback questionnaires name their items feedback-bond, feedback-goals, … (linkId).
LINK_ID_PREFIX = "feedback-"
ITEM_MAX = 10  # each item is a 0–10 slider
TOTAL_MAX = ITEM_MAX * len(ITEMS)  # 40: a plain sum, no prorating (missing.max_missing = 0)

# Finding kinds, in the order evaluate_session reports them.
LOW_ALLIANCE = "low_alliance"
ALLIANCE_DROP = "alliance_drop"
DISAGREEMENT = "disagreement"
CHILD_GUARDIAN_DISCREPANCY = "child_guardian_discrepancy"
GOALS_LOW = "goals_low"
CEILING = "ceiling"
KINDS = (LOW_ALLIANCE, ALLIANCE_DROP, DISAGREEMENT, CHILD_GUARDIAN_DISCREPANCY, GOALS_LOW, CEILING)
# The client's own ratings falling is what DESIGN.md calls a rupture. Disagreement and the other
# kinds are prompts to talk; they say nothing yet about the client's experience getting worse.
RUPTURE_KINDS = frozenset({LOW_ALLIANCE, ALLIANCE_DROP})
# Patterns rather than events: a therapist who always rates higher than the client would otherwise
# get the same alert every session. One waits at a time; an acknowledged one still waits (someone
# is on it), and only once it is resolved does the next occurrence open a new one.
PATTERN_KINDS = frozenset({DISAGREEMENT, CHILD_GUARDIAN_DISCREPANCY, CEILING})

_TOLERANCE = 1e-9

RuptureState = Literal["open", "repaired", "unresolved"]


@dataclass(frozen=True)
class AllianceRating:
    """One respondent's feedback at one session.

    `items` holds the 0–10 answers keyed by `ITEMS` (bond, goals, approach, overall); it may be
    empty or partial when only the total is known, and the item rules then stay silent for the
    missing items. `total` is the scored total, 0–40.
    """

    session_index: int
    total: float
    items: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not math.isfinite(self.total) or not 0 <= self.total <= TOTAL_MAX:
            raise ValueError(
                f"an alliance total must be between 0 and {TOTAL_MAX}, got {self.total}"
            )
        unknown = sorted(set(self.items) - set(ITEMS))
        if unknown:
            raise ValueError(f"unknown feedback items {unknown}; expected some of {list(ITEMS)}")
        for name, value in self.items.items():
            if not math.isfinite(value) or not 0 <= value <= ITEM_MAX:
                raise ValueError(f"{name} must be between 0 and {ITEM_MAX}, got {value}")
        # The total is the plain sum of the four items, so a mismatch means two responses were
        # mixed up somewhere upstream; better to stop here than alert on the wrong numbers.
        if (
            len(self.items) == len(ITEMS)
            and abs(sum(self.items.values()) - self.total) > _TOLERANCE
        ):
            raise ValueError(
                f"the total {_number(self.total)} is not the sum of the items "
                f"({_number(sum(self.items.values()))})"
            )
        # A read-only copy, so a frozen rating cannot change through the caller's dict.
        object.__setattr__(self, "items", MappingProxyType(dict(self.items)))


def rating_from_answers(session_index: int, answers: Mapping[str, float]) -> AllianceRating:
    """A rating from a feedback response's answers keyed by linkId (feedback-bond, …).

    All four items are required, as the questionnaires require them; the free-text item and any
    other answers are ignored.
    """
    missing = [LINK_ID_PREFIX + name for name in ITEMS if LINK_ID_PREFIX + name not in answers]
    if missing:
        raise ValueError(f"feedback answers are missing {missing}")
    items = {name: float(answers[LINK_ID_PREFIX + name]) for name in ITEMS}
    return AllianceRating(session_index=session_index, total=sum(items.values()), items=items)


@dataclass(frozen=True)
class AllianceSettings:
    """A practice's thresholds. Totals are out of 40, items out of 10.

    Defaults and why:
    - low_total_cutoff 36: the line PCOMS practice draws on the 40-point Session Rating Scale,
      below which the alliance is discussed with the client (Miller, Duncan, Sorrell & Brown 2005,
      J Clin Psychol 61(2), 199–208). Rapport's scale is not the SRS; the default keeps the
      familiar line until a practice sets its own. Alert when the total is strictly below it.
    - low_item_value 7 (bond, approach and overall; goals has its own line below): 36 of 40 is
      9 per item on average, so an item at 7 or below is a
      dimension two or more points under the level the cut-off accepts. With the other three
      items at 10 the total is 37 and passes the cut-off: this rule is what catches one weak
      dimension (say, a client who likes the therapist but not the way of working). At 8 the
      total would be 38 and the gap small enough to be noise on a slider.
    - drop_from_previous 1: ratings crowd the top of the scale, so even a one-point fall from
      the previous session is a change the client chose to show.
    - drop_from_recent_mean 3: catches a slide spread over sessions, which the one-session rule
      misses when each step is small or the previous session was itself unusual. Compared with
      the mean of the last `recent_sessions` ratings before the latest one (at least two).
    - disagreement_total 4 / disagreement_item 2: the therapist rating the session better than
      the client did is the blind spot session feedback exists to show. Only that direction
      alerts; a therapist more critical than the client is not a missed problem.
    - child_guardian_discrepancy 6 (either way): a child and a guardian rate different
      relationships (each their own with the therapist), so they are expected to differ more
      than a client and therapist rating the same one; 6 of 40 is 15% of the scale.
    - goals_item_low 6: the goals item is the one tied to the treatment plan, so a low rating
      suggests reviewing the plan together; one point under the general item line, because a
      plan review is a bigger step than a conversation. It is the goals item's only line.
    - ceiling_sessions 4: 40 of 40 every time for four sessions running may mean the client does
      not feel free to say what could be better; the prompt is to invite critical feedback.
    - repair_window_sessions 3: a rupture counts as repaired when the client's total returns to
      their baseline within the next three rated sessions.
    - recent_sessions 3: how many earlier ratings make the "recent mean" of the drop rule and the
      pre-rupture baseline.
    """

    low_total_cutoff: float = 36
    low_item_value: float = 7
    drop_from_previous: float = 1
    drop_from_recent_mean: float = 3
    disagreement_total: float = 4
    disagreement_item: float = 2
    child_guardian_discrepancy: float = 6
    goals_item_low: float = 6
    ceiling_sessions: int = 4
    repair_window_sessions: int = 3
    recent_sessions: int = 3

    def __post_init__(self) -> None:
        for name, value, upper in (
            ("low_total_cutoff", self.low_total_cutoff, TOTAL_MAX),
            ("low_item_value", self.low_item_value, ITEM_MAX),
            ("goals_item_low", self.goals_item_low, ITEM_MAX),
        ):
            if not 0 <= value <= upper:
                raise ValueError(f"{name} must be between 0 and {upper}, got {value}")
        for name, value, upper in (
            ("drop_from_previous", self.drop_from_previous, TOTAL_MAX),
            ("drop_from_recent_mean", self.drop_from_recent_mean, TOTAL_MAX),
            ("disagreement_total", self.disagreement_total, TOTAL_MAX),
            ("disagreement_item", self.disagreement_item, ITEM_MAX),
            ("child_guardian_discrepancy", self.child_guardian_discrepancy, TOTAL_MAX),
        ):
            # A difference threshold of 0 would alert on every session.
            if not 0 < value <= upper:
                raise ValueError(f"{name} must be above 0 and at most {upper}, got {value}")
        for name, count in (
            ("ceiling_sessions", self.ceiling_sessions),
            ("repair_window_sessions", self.repair_window_sessions),
            ("recent_sessions", self.recent_sessions),
        ):
            if count < 1:
                raise ValueError(f"{name} must be at least 1, got {count}")


@dataclass(frozen=True)
class AlertFinding:
    kind: str  # one of KINDS
    reason: str  # plain words with the numbers, for the therapist
    session_index: int
    reasons: tuple[str, ...] = ()  # the same, one reason each (`reason` joins them with "; ")


def evaluate_session(
    *,
    client_history: Sequence[AllianceRating],
    therapist: AllianceRating | None,
    guardian: AllianceRating | None,
    settings: AllianceSettings,
) -> list[AlertFinding]:
    """Findings for the latest client rating (the last of `client_history`).

    `therapist` and `guardian` are their ratings of that same session, or None. A guardian's
    rating is only passed for a child or adolescent client; the child–guardian rule compares it
    with the client's own rating (the child's) in either direction.
    """
    if not client_history:
        raise ValueError("there is no client rating to evaluate")
    _check_order(client_history)
    latest = client_history[-1]
    for role, other in (("therapist", therapist), ("guardian", guardian)):
        if other is not None and other.session_index != latest.session_index:
            raise ValueError(
                f"the {role}'s rating is for session {other.session_index}, "
                f"the client's latest for session {latest.session_index}"
            )
    earlier = client_history[:-1]
    reasons = {
        LOW_ALLIANCE: _low_alliance(latest, settings),
        ALLIANCE_DROP: _drop(latest, earlier, settings),
        DISAGREEMENT: _disagreement(latest, therapist, settings) if therapist else [],
        CHILD_GUARDIAN_DISCREPANCY: _child_guardian(latest, guardian, settings) if guardian else [],
        GOALS_LOW: _goals_low(latest, settings),
        CEILING: _ceiling(client_history, settings),
    }
    return [
        AlertFinding(
            kind=kind,
            reason="; ".join(found),
            session_index=latest.session_index,
            reasons=tuple(found),
        )
        for kind, found in reasons.items()
        if found
    ]


def _low_alliance(latest: AllianceRating, settings: AllianceSettings) -> list[str]:
    reasons = []
    if latest.total < settings.low_total_cutoff - _TOLERANCE:
        reasons.append(
            _BELOW_CUTOFF
            % {"total": _number(latest.total), "cutoff": _number(settings.low_total_cutoff)}
        )
    for name in ITEM_RULE_ITEMS:
        value = latest.items.get(name)
        if value is not None and value <= settings.low_item_value + _TOLERANCE:
            reasons.append(
                _ITEM_LOW
                % {"item": name, "value": _number(value), "line": _number(settings.low_item_value)}
            )
    return reasons


def _drop(
    latest: AllianceRating, earlier: Sequence[AllianceRating], settings: AllianceSettings
) -> list[str]:
    if not earlier:
        return []
    reasons = []
    previous = earlier[-1].total
    fall = previous - latest.total
    if fall >= settings.drop_from_previous - _TOLERANCE:
        reasons.append(
            _BELOW_LAST
            % {
                "points": _points(fall),
                "previous": _number(previous),
                "total": _number(latest.total),
            }
        )
    # Early in therapy, fewer earlier ratings than the window: the mean of those there are. With
    # only one it is the previous session again, which the first rule has already judged.
    recent = earlier[-settings.recent_sessions :]
    if len(recent) < 2:
        return reasons
    recent_mean = statistics.fmean(rating.total for rating in recent)
    fall = recent_mean - latest.total
    if fall >= settings.drop_from_recent_mean - _TOLERANCE:
        reasons.append(
            _BELOW_MEAN[0 if len(recent) == 1 else 1]
            % {
                "points": _points(fall),
                "n": len(recent),
                "mean": _number(recent_mean),
                "total": _number(latest.total),
            }
        )
    return reasons


def _disagreement(
    client: AllianceRating, therapist: AllianceRating, settings: AllianceSettings
) -> list[str]:
    reasons = []
    gap = therapist.total - client.total
    if gap >= settings.disagreement_total - _TOLERANCE:
        reasons.append(
            _THERAPIST_HIGHER
            % {
                "therapist": _number(therapist.total),
                "points": _points(gap),
                "client": _number(client.total),
            }
        )
    for name in ITEMS:
        theirs, ours = client.items.get(name), therapist.items.get(name)
        if theirs is None or ours is None:
            continue
        gap = ours - theirs
        if gap >= settings.disagreement_item - _TOLERANCE:
            reasons.append(
                _ITEM_APART
                % {
                    "item": name.capitalize(),
                    "therapist": _number(ours),
                    "client": _number(theirs),
                    "points": _points(gap),
                }
            )
    return reasons


def _child_guardian(
    child: AllianceRating, guardian: AllianceRating, settings: AllianceSettings
) -> list[str]:
    gap = abs(child.total - guardian.total)
    if gap < settings.child_guardian_discrepancy - _TOLERANCE:
        return []
    threshold = _number(settings.child_guardian_discrepancy)
    return [
        _CHILD_GUARDIAN
        % {
            "child": _number(child.total),
            "guardian": _number(guardian.total),
            "points": _points(gap),
            "threshold": threshold,
        }
    ]


def _goals_low(latest: AllianceRating, settings: AllianceSettings) -> list[str]:
    value = latest.items.get("goals")
    if value is None or value > settings.goals_item_low + _TOLERANCE:
        return []
    return [_GOALS_LOW % {"value": _number(value), "line": _number(settings.goals_item_low)}]


def _ceiling(history: Sequence[AllianceRating], settings: AllianceSettings) -> list[str]:
    run = 0
    for rating in reversed(history):
        if rating.total < TOTAL_MAX - _TOLERANCE:
            break
        run += 1
    # On the Nth maximum in a row, and again every N after that while the run lasts: the prompt
    # is neither missed nor repeated every week.
    if run == 0 or run % settings.ceiling_sessions != 0:
        return []
    return [_CEILING[0 if run == 1 else 1] % {"max": TOTAL_MAX, "n": run}]


# The English a finding's reasons are made of (stored so, said in the reader's language where
# an alert is shown). Item names are said in their words too: "Client rated bond 3".
_POINTS = plural_noop("%(n)s point", "%(n)s points")
_BELOW_CUTOFF = gettext_noop("Client total %(total)s is below the practice cut-off of %(cutoff)s")
_ITEM_LOW = gettext_noop("Client rated %(item)s %(value)s (at or below %(line)s)")
_BELOW_LAST = gettext_noop("%(points)s below last session (%(previous)s → %(total)s)")
_BELOW_MEAN = plural_noop(
    "%(points)s below the mean of the last %(n)s session (%(mean)s → %(total)s)",
    "%(points)s below the mean of the last %(n)s sessions (%(mean)s → %(total)s)",
)
_THERAPIST_HIGHER = gettext_noop(
    "Therapist total %(therapist)s is %(points)s above the client's %(client)s"
)
_ITEM_APART = gettext_noop(
    "%(item)s: therapist %(therapist)s, client %(client)s (%(points)s apart)"
)
_CHILD_GUARDIAN = gettext_noop(
    "Child total %(child)s and guardian total %(guardian)s differ by %(points)s "
    "(practice threshold %(threshold)s)"
)
_GOALS_LOW = gettext_noop(
    "Client rated goals %(value)s (at or below %(line)s): review the plan together"
)
_CEILING = plural_noop(
    "Client gave the maximum %(max)s for %(n)s session in a row: "
    "invite feedback on what could be better",
    "Client gave the maximum %(max)s for %(n)s sessions in a row: "
    "invite feedback on what could be better",
)
REASON_PHRASES: tuple[Phrase, ...] = (
    _BELOW_CUTOFF,
    _ITEM_LOW,
    _BELOW_LAST,
    _BELOW_MEAN,
    _THERAPIST_HIGHER,
    _CHILD_GUARDIAN,
    _GOALS_LOW,
    _CEILING,
    _ITEM_APART,
)
# The words within those reasons: "%(n)s points" matches any text ending in "points", so these
# are tried after every whole reason.
REASON_WORDS: tuple[Phrase, ...] = (
    _POINTS,
    gettext_noop("bond"),
    gettext_noop("goals"),
    gettext_noop("approach"),
    gettext_noop("overall"),
    gettext_noop("Bond"),
    gettext_noop("Goals"),
    gettext_noop("Approach"),
    gettext_noop("Overall"),
)


# --- Rupture and repair ------------------------------------------------------------------------


@dataclass(frozen=True)
class RuptureStatus:
    state: RuptureState
    repaired_at_index: int | None  # session_index of the rating that repaired it
    sessions_to_repair: int | None  # rated sessions after the rupture, 1 = the next one
    baseline: float | None  # None when the rupture came before any rating
    target: float  # the total that counts as repaired: the baseline, else the practice cut-off


def baseline(
    history_before_rupture: Sequence[AllianceRating], settings: AllianceSettings
) -> float | None:
    """Mean client total of up to the last `recent_sessions` ratings before the rupture session.

    None when there is no earlier rating: the rupture session's own total is the problem being
    measured, not a baseline, and no other value is the client's.
    """
    if not history_before_rupture:
        return None
    _check_order(history_before_rupture)
    recent = history_before_rupture[-settings.recent_sessions :]
    return statistics.fmean(rating.total for rating in recent)


def rupture_status(
    *,
    before: Sequence[AllianceRating],
    after: Sequence[AllianceRating],
    settings: AllianceSettings,
) -> RuptureStatus:
    """Whether a rupture was repaired: the client's total got back to at least the baseline.

    `before` are the client's ratings before the rupture session and `after` those after it (the
    rupture session's own rating is in neither). The window is the first `repair_window_sessions`
    ratings in `after`: repaired as soon as one reaches the target, unresolved when all of them
    fell short, open while fewer have come in. The window counts rated sessions, because a
    session without feedback gives no evidence either way.

    With no rating before the rupture there is no baseline; the target is then the practice's
    low-total cut-off, so a rupture in the first session can still be repaired.
    """
    _check_order([*before, *after])
    base = baseline(before, settings)
    target = base if base is not None else settings.low_total_cutoff
    window = after[: settings.repair_window_sessions]
    for position, rating in enumerate(window, start=1):
        if rating.total >= target - _TOLERANCE:
            return RuptureStatus(
                state="repaired",
                repaired_at_index=rating.session_index,
                sessions_to_repair=position,
                baseline=base,
                target=target,
            )
    state: RuptureState = "unresolved" if len(window) == settings.repair_window_sessions else "open"
    return RuptureStatus(
        state=state, repaired_at_index=None, sessions_to_repair=None, baseline=base, target=target
    )


class RepairSummary(NamedTuple):
    opened: int  # every rupture, whatever its state
    repaired: int
    unresolved: int
    median_sessions_to_repair: float | None  # None when none was repaired

    @property
    def still_open(self) -> int:
        return self.opened - self.repaired - self.unresolved


def repair_summary(statuses: Iterable[RuptureStatus]) -> RepairSummary:
    """Counts of ruptures by outcome, and the median rated sessions a repair took."""
    every = list(statuses)
    took = [s.sessions_to_repair for s in every if s.sessions_to_repair is not None]
    return RepairSummary(
        opened=len(every),
        repaired=sum(s.state == "repaired" for s in every),
        unresolved=sum(s.state == "unresolved" for s in every),
        median_sessions_to_repair=float(statistics.median(took)) if took else None,
    )


# --- Helpers -----------------------------------------------------------------------------------


def _check_order(ratings: Sequence[AllianceRating]) -> None:
    for earlier, later in zip(ratings, ratings[1:], strict=False):
        if later.session_index <= earlier.session_index:
            raise ValueError(
                "ratings must be in session order, one per session "
                f"(session {later.session_index} follows {earlier.session_index})"
            )


def _number(value: float) -> str:
    """31 for a whole number, 35.3 otherwise: the precision a therapist reads."""
    rounded = round(value, 1)
    return f"{rounded:g}" if rounded != int(rounded) else str(int(rounded))


def _points(value: float) -> str:
    text = _number(value)
    return _POINTS[0 if text == "1" else 1] % {"n": text}
