"""A number or a day the pure core wrote the English way ("7.5", "02 Mar 2026"), said again in
the reader's number and date formats where a stored phrase is shown (rapport.core.text)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext

from rapport.core.text import DECIMAL, ENGLISH_DAY


def figure_said(value: str) -> str:
    """A value that is wholly a decimal number or wholly a day in the core's English form, in
    the reader's format ("7,5", "02 mar 2026" in Spanish); anything else as it is."""
    if DECIMAL.fullmatch(value):
        return number_format(Decimal(value), len(value.partition(".")[2]))
    if ENGLISH_DAY.fullmatch(value):
        # The month's English abbreviations are fixed here, whatever the machine's locale.
        day = datetime(int(value[7:]), _MONTHS[value[3:6]], int(value[:2])).date()
        return date_format(day, gettext("d M Y"))
    return value


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}
