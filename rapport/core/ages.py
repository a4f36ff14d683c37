"""Age bands decide which version of a measure a client gets and what guardians may see."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from rapport.core.text import gettext_noop


class AgeBand(StrEnum):
    CHILD = "child"  # under 13
    ADOLESCENT = "adolescent"  # 13 to 17
    ADULT = "adult"  # 18 and over


# How a page names the band after a date of birth; the band's value is what is stored.
BAND_WORDS = {
    AgeBand.CHILD: gettext_noop("child"),
    AgeBand.ADOLESCENT: gettext_noop("adolescent"),
    AgeBand.ADULT: gettext_noop("adult"),
}


ADOLESCENT_FROM = 13
ADULT_FROM = 18


def age_in_years(date_of_birth: date, on: date) -> int:
    """Completed years on a given day; someone born on 29 February ages on 1 March."""
    if on < date_of_birth:
        raise ValueError("the date of birth is after the given day")
    had_birthday = (on.month, on.day) >= (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - (0 if had_birthday else 1)


def age_band(date_of_birth: date, on: date) -> AgeBand:
    years = age_in_years(date_of_birth, on)
    if years >= ADULT_FROM:
        return AgeBand.ADULT
    if years >= ADOLESCENT_FROM:
        return AgeBand.ADOLESCENT
    return AgeBand.CHILD
