"""The rules of the fit check: a conversation about whether client and therapist are the right
match, started by the client (privately or with the therapist), by the therapist, or suggested
to the therapist by Rapport.

Where a request goes when it is made, which steps may follow which, and when Rapport suggests a
fit conversation. Pure: no Django, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OPEN = "open"  # the client asked to talk with their therapist first
    WITH_COORDINATOR = "with_coordinator"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"  # approved by the supervisor: with the coordinator now
    DECLINED = "declined"
    CHOSEN = "chosen"  # a new therapist is chosen: the handoff follows
    CLOSED = "closed"


class Starter(StrEnum):
    CLIENT = "client"
    GUARDIAN = "guardian"
    THERAPIST = "therapist"


class Action(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    CLOSE = "close"
    CHOOSE = "choose"


# What may follow each status. A declined or closed fit check is finished: asking again is a
# new fit check, so the record of each says what was asked and what came of it.
NEXT: dict[Status, dict[Action, Status]] = {
    Status.OPEN: {Action.CLOSE: Status.CLOSED},
    Status.WITH_COORDINATOR: {Action.CLOSE: Status.CLOSED, Action.CHOOSE: Status.CHOSEN},
    Status.AWAITING_APPROVAL: {Action.APPROVE: Status.APPROVED, Action.DECLINE: Status.DECLINED},
    Status.APPROVED: {Action.CLOSE: Status.CLOSED, Action.CHOOSE: Status.CHOSEN},
    Status.DECLINED: {},
    # Chosen once: changing one's mind before the handoff is closing this and asking again.
    Status.CHOSEN: {Action.CLOSE: Status.CLOSED},
    Status.CLOSED: {},
}

ACTIVE = frozenset(
    {
        Status.OPEN,
        Status.WITH_COORDINATOR,
        Status.AWAITING_APPROVAL,
        Status.APPROVED,
        Status.CHOSEN,
    }
)
# The statuses in which the practice's coordinator has the fit check on their list (a chosen
# one stays there until the handoff closes it).
WITH_COORDINATOR = frozenset({Status.WITH_COORDINATOR, Status.APPROVED, Status.CHOSEN})
# The statuses in which candidates are offered and one may be chosen.
CHOOSING = frozenset({Status.WITH_COORDINATOR, Status.APPROVED})


def first_status(*, starter: Starter, talk_first: bool, client_asked: bool) -> Status:
    """Where a new fit check goes.

    From the portal: to the therapist when the client wants to talk with them first (a rupture
    is opened with the client's words), otherwise straight and privately to the coordinator.
    From the therapist: to the coordinator when the client asked for it, otherwise to the
    supervisor first — a therapist alone does not hand on a client who has not asked."""
    if starter is Starter.THERAPIST:
        return Status.WITH_COORDINATOR if client_asked else Status.AWAITING_APPROVAL
    return Status.OPEN if talk_first else Status.WITH_COORDINATOR


def next_status(current: Status, action: Action) -> Status | None:
    """The status after `action`, or None when the action does not apply now."""
    return NEXT[current].get(action)


def is_private(*, starter: Starter, talk_first: bool) -> bool:
    """A request from the portal that the client did not want to raise with the therapist:
    the current therapist never sees it (they learn of a change only when a new therapist is
    chosen, and the reason only with the client's consent)."""
    return starter is not Starter.THERAPIST and not talk_first


# --- The therapist's reasons, in our own words ---------------------------------------------------


class Reason(StrEnum):
    NOT_CONNECTING = "not_connecting"
    DIFFERENT_APPROACH = "different_approach"
    SPECIALIST_NEED = "specialist_need"
    PRACTICAL = "practical"
    CLIENT_PREFERENCE = "client_preference"
    OTHER = "other"


def gettext_noop(text: str) -> str:
    """Marks words for the translators' catalogue (the catalogue tool looks for this name);
    they are translated where they are shown, in the reader's language."""
    return text


REASON_WORDS = {
    Reason.NOT_CONNECTING: gettext_noop("We are not connecting, despite trying to repair it"),
    Reason.DIFFERENT_APPROACH: gettext_noop(
        "A different way of working may suit the client better"
    ),
    Reason.SPECIALIST_NEED: gettext_noop("The client needs experience I do not have"),
    Reason.PRACTICAL: gettext_noop("Practical reasons: language, times or how sessions happen"),
    Reason.CLIENT_PREFERENCE: gettext_noop("The client would prefer another kind of therapist"),
    Reason.OTHER: gettext_noop("Another reason (say it below)"),
}


# --- When Rapport suggests a fit conversation ----------------------------------------------------


@dataclass(frozen=True)
class SuggestionSettings:
    """A practice's thresholds; the defaults are the issue's rule, and each range keeps the
    rule able both to fire and to stay silent.

    - 2 low sessions of the last 3: one low rating is a bad day; two of three is a pattern,
      while the third leaves room for one better session in between.
    - 2 off-track scores in a row: one off-track score is often noise (the trajectories'
      percentiles are wide early on); two consecutive ones are a trend.
    - after session 4: expected trajectories are least sure in the first sessions, and many
      clients who start slowly catch up by then.
    """

    alliance_window: int = 3
    alliance_low_sessions: int = 2
    off_track_in_a_row: int = 2
    after_session: int = 4


ALLIANCE_WINDOW_RANGE = (2, 6)
ALLIANCE_LOW_RANGE = (1, 6)
OFF_TRACK_RANGE = (2, 6)
AFTER_SESSION_RANGE = (2, 12)


def settings_problems(settings: SuggestionSettings) -> dict[str, str]:
    """Each setting out of its range, or inconsistent with another, with what to do."""
    problems: dict[str, str] = {}
    if settings.alliance_low_sessions > settings.alliance_window:
        problems["alliance_low_sessions"] = (
            "There cannot be more low sessions than sessions looked at: "
            f"at most {settings.alliance_window}."
        )
    return problems


@dataclass(frozen=True)
class RuptureState:
    """An episode's rupture as the rule sees it: still open (not repaired) and whether the
    therapist has tried to repair it."""

    repaired: bool
    repair_attempts: int


@dataclass(frozen=True)
class TrackedScore:
    """One outcome score after the intake: its session number (1 is the intake), whether it was
    off track and whether it is reliably better than the intake."""

    session_number: int
    off_track: bool
    reliably_better: bool


def low_alliance_pattern(low: Sequence[bool], settings: SuggestionSettings) -> bool:
    """Whether the client rated the alliance low in enough of the last sessions (oldest first)."""
    recent = list(low)[-settings.alliance_window :]
    return sum(recent) >= settings.alliance_low_sessions


def rupture_unrepaired_after_attempt(ruptures: Sequence[RuptureState]) -> bool:
    return any(not r.repaired and r.repair_attempts > 0 for r in ruptures)


def off_track_pattern(scores: Sequence[TrackedScore], settings: SuggestionSettings) -> bool:
    """Off track at enough consecutive scores of one measure after session `after_session`,
    with the latest not reliably better than the intake (a reliable improvement means the
    therapy is helping, whatever the expected course says)."""
    later = [s for s in scores if s.session_number > settings.after_session]
    if not later or later[-1].reliably_better:
        return False
    run = 0
    for score in later:
        run = run + 1 if score.off_track else 0
    return run >= settings.off_track_in_a_row


@dataclass(frozen=True)
class Suggestion:
    reasons: tuple[str, ...]


def suggestion(
    *,
    alliance_low: Sequence[bool],
    ruptures: Sequence[RuptureState],
    measures: Sequence[Sequence[TrackedScore]],
    settings: SuggestionSettings,
) -> Suggestion | None:
    """Whether to suggest a fit conversation to the therapist, and why (in words); None when
    nothing calls for it. `measures` holds each outcome measure's scores, oldest first."""
    reasons = []
    if low_alliance_pattern(alliance_low, settings) and rupture_unrepaired_after_attempt(ruptures):
        reasons.append(
            f"The client rated the alliance low in {settings.alliance_low_sessions} of the last "
            f"{settings.alliance_window} sessions, and a rupture is still open after a repair "
            "attempt."
        )
    if any(off_track_pattern(scores, settings) for scores in measures):
        reasons.append(
            f"The client's scores were off the expected course {settings.off_track_in_a_row} "
            f"times in a row after session {settings.after_session}, with no reliable "
            "improvement."
        )
    return Suggestion(tuple(reasons)) if reasons else None
