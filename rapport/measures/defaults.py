"""Rapport's starting measure plan for a new client, by age band, until a practice sets its own.

Each entry is (family, respondent, schedule, every_n). A family without a version for the band
(or not installed) is skipped when the plan is applied, so the list can name measures a practice
may later remove.
"""

from __future__ import annotations

from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

from rapport.core.ages import AgeBand


class DefaultEntry(NamedTuple):
    family: str
    respondent: str
    schedule: str
    every_n: int = 1


_YOUNG = (
    DefaultEntry("checkin", "client", "every_session"),
    DefaultEntry("checkin", "guardian", "every_session"),
    DefaultEntry("scared", "client", "every_n_sessions", 4),
    DefaultEntry("scared", "guardian", "every_n_sessions", 4),
    DefaultEntry("feedback", "client", "every_session"),
    DefaultEntry("feedback", "guardian", "every_session"),
    DefaultEntry("feedback", "therapist", "every_session"),
)

BUILTIN_DEFAULTS: dict[str, tuple[DefaultEntry, ...]] = {
    AgeBand.CHILD: _YOUNG,
    AgeBand.ADOLESCENT: _YOUNG,
    AgeBand.ADULT: (
        DefaultEntry("phq9", "client", "every_session"),
        DefaultEntry("gad7", "client", "every_session"),
        DefaultEntry("feedback", "client", "every_session"),
        DefaultEntry("feedback", "therapist", "every_session"),
    ),
}

# What the settings page offers for each measure: bounded choices, so no number needs a range.
SCHEDULE_CHOICES = (
    ("", _("Not used")),
    ("every_session", _("Every session")),
    ("every_n_sessions:2", _("Every 2 sessions")),
    ("every_n_sessions:4", _("Every 4 sessions")),
    ("intake_discharge", _("At intake and discharge")),
    ("between_sessions", _("Between sessions, from home")),
)


def choice_of(entry: DefaultEntry) -> str:
    return (
        f"{entry.schedule}:{entry.every_n}"
        if entry.schedule == "every_n_sessions"
        else entry.schedule
    )


def entry_from_choice(family: str, respondent: str, choice: str) -> DefaultEntry | None:
    if not choice:
        return None
    schedule, _colon, n = choice.partition(":")
    return DefaultEntry(family, respondent, schedule, int(n) if n else 1)
