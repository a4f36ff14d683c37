"""The rules of the stuck-case review: a structured look at a case that is not moving, before
anyone talks of a new therapist.

Which signals may start one, the checklist (written for Rapport, in its own words: it is not,
and must not become, a copy of any published or licensed clinical-support tool), the ways
forward a review may decide on (each one something Rapport already offers), the follow-up date
and when a review counts as overdue. Pure: no Django, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from rapport.core.text import gettext_noop


class Trigger(StrEnum):
    OFF_TRACK = "off_track"
    RUPTURE = "rupture"
    PLAN_REVIEW = "plan_review"
    BY_HAND = "by_hand"


TRIGGER_WORDS = {
    Trigger.OFF_TRACK: "Scores off the expected course",
    Trigger.RUPTURE: "A rupture not yet repaired",
    Trigger.PLAN_REVIEW: "Plan review due",
    Trigger.BY_HAND: "Opened by the clinician",
}

# The alert kinds that say the client is not improving as expected: off track, worse than at
# the start, or drifting towards off track. Each is a reason to stop and look at the whole case.
OFF_TRACK_ALERT_KINDS = frozenset({"off_track", "deterioration", "at_risk"})
PLAN_REVIEW_ALERT_KINDS = frozenset({"plan_review"})


def trigger_for_alert(kind: str) -> Trigger | None:
    """The trigger an alert of this kind starts a review as; None when it may not start one
    (a risk answer is acted on at once, not reviewed at leisure)."""
    if kind in OFF_TRACK_ALERT_KINDS:
        return Trigger.OFF_TRACK
    if kind in PLAN_REVIEW_ALERT_KINDS:
        return Trigger.PLAN_REVIEW
    return None


def rupture_may_start_review(state: str) -> bool:
    """A rupture starts a review while it is not repaired (still open, or unresolved after the
    repair window): a repaired one has already been dealt with."""
    return state != "repaired"


# --- The checklist ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str
    question: str


CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem(
        "alliance",
        "Our working relationship",
        "Does the client feel heard and safe with me, and do I feel I can reach them?",
    ),
    ChecklistItem(
        "agreement",
        "Agreement on goals and tasks",
        "Do we still want the same things from therapy, and does what we do in sessions make "
        "sense to the client?",
    ),
    ChecklistItem(
        "motivation",
        "Motivation and readiness",
        "Is change something the client wants now, or are they here for someone else's sake?",
    ),
    ChecklistItem(
        "life_events",
        "Life outside therapy",
        "Has something happened (a loss, a move, money, health, work or school) that weighs "
        "more than our sessions can?",
    ),
    ChecklistItem(
        "support",
        "People around the client",
        "Does the client have people who help, and is anyone at home making change harder?",
    ),
    ChecklistItem(
        "approach",
        "Fit of the approach",
        "Does the way I am working suit this client, or would another way, pace or format "
        "serve them better?",
    ),
)
CHECKLIST_KEYS = tuple(item.key for item in CHECKLIST)


class Answer(StrEnum):
    FINE = "fine"
    CONCERN = "concern"
    UNSURE = "unsure"


ANSWER_WORDS = {Answer.FINE: "Fine", Answer.CONCERN: "A concern", Answer.UNSURE: "Not sure"}


# --- What may be decided ------------------------------------------------------------------------


class Option(StrEnum):
    RUPTURE_CONVERSATION = "rupture_conversation"
    PLAN_REVISION = "plan_revision"
    MEASURES = "measures"
    SUPERVISION = "supervision"
    FIT_CHECK = "fit_check"


OPTION_WORDS = {
    Option.RUPTURE_CONVERSATION: "Talk about the relationship with the client (rupture and repair)",
    Option.PLAN_REVISION: "Revise the treatment plan",
    Option.MEASURES: "Change the measures or how often we meet",
    Option.SUPERVISION: "Talk the case through with my supervisor",
    Option.FIT_CHECK: "Check with the client whether we are the right fit",
}


def checklist_problems(answers: dict[str, str]) -> list[str]:
    """What is wrong with a set of checklist answers: each item answered, with a known answer."""
    problems = []
    for item in CHECKLIST:
        answer = answers.get(item.key)
        if answer is None:
            problems.append(f"{item.title}: answer this item.")
        elif answer not in Answer.__members__.values():
            problems.append(f"{item.title}: choose fine, a concern or not sure.")
    return problems


# --- Follow-up and overdue ----------------------------------------------------------------------

# A stuck case is looked at again within three months at most: a longer wait is most of a
# course of therapy, and the point of the review is that the case does not drift again.
MAX_FOLLOW_UP_DAYS = 90
# A review opened and left unfinished this long is overdue: a fortnight is two weekly
# sessions, time enough to think it through and, if need be, to ask the supervisor.
COMPLETE_WITHIN_DAYS = 14


def follow_up_problem(follow_up: date, *, today: date) -> str | None:
    """Why a follow-up date is refused, or None when it is acceptable."""
    if follow_up < today:
        return "The follow-up date is in the past."
    if follow_up > today + timedelta(days=MAX_FOLLOW_UP_DAYS):
        return (
            f"Choose a follow-up within {MAX_FOLLOW_UP_DAYS} days: a stuck case should not wait "
            "longer than that to be looked at again."
        )
    return None


# Why a review is overdue, in English; a page says it in its reader's language, date included.
OPENED_NOT_COMPLETED = gettext_noop("Opened %(day)s and not completed")
FOLLOW_UP_WAS_DUE = gettext_noop("Follow-up was due %(day)s")


def overdue_words(
    *,
    done: bool,
    opened_on: date,
    follow_up: date | None,
    later_review: bool,
    today: date,
) -> tuple[str, date] | None:
    """Why a review is overdue, as an English phrase (with its %(day)s) and that day, or None
    when it is not: open and unfinished after COMPLETE_WITHIN_DAYS, or done with a follow-up
    date passed and no later review."""
    if not done:
        if (today - opened_on).days > COMPLETE_WITHIN_DAYS:
            return OPENED_NOT_COMPLETED, opened_on
        return None
    if follow_up is not None and follow_up < today and not later_review:
        return FOLLOW_UP_WAS_DUE, follow_up
    return None


def overdue_reason(
    *,
    done: bool,
    opened_on: date,
    follow_up: date | None,
    later_review: bool,
    today: date,
) -> str | None:
    """Why a review is overdue in English ("Opened 3 Dec 2026 and not completed"), or None."""
    words = overdue_words(
        done=done, opened_on=opened_on, follow_up=follow_up, later_review=later_review, today=today
    )
    if words is None:
        return None
    phrase, day = words
    return phrase % {"day": f"{day:%-d %b %Y}"}
