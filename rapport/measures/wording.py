"""An instrument's words in the reader's language.

Rapport's own instruments are translated through the same catalogues as the pages: their English
words are the message ids (`rapport messages` lists them in rapport/instruments/wording.py), so a
translator edits only .po files and a new item needs only its catalogue entry. Instruments
written by others keep their English words unless their terms allow a translation that is
shipped (none is yet): the form then says, in the reader's language, that it is English only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from django.utils import translation
from django.utils.translation import gettext

from rapport.core.instruments import Instrument, Item
from rapport.people.languages import whole_number


def translatable(instrument: Instrument) -> bool:
    """Rapport's own words may be translated; another author's only with their permission."""
    return instrument.is_rapports_own


def english_only(instrument: Instrument) -> bool:
    """Shown in English to someone who reads another language."""
    return not translatable(instrument) and not (translation.get_language() or "en").startswith(
        "en"
    )


def _say(text: str) -> str:
    return gettext(text) if text else text


def _item(item: Item) -> Item:
    return replace(
        item,
        text=_say(item.text),
        min_label=_say(item.min_label),
        max_label=_say(item.max_label),
        options=tuple(replace(option, label=_say(option.label)) for option in item.options),
    )


def in_reader_language(instrument: Instrument) -> Instrument:
    """The instrument with its title, instructions, questions and answers in the active
    language; scoring is untouched (answers are stored by value, never by label)."""
    if not translatable(instrument):
        return instrument
    return replace(
        instrument,
        title=_say(instrument.title),
        short_title=_say(instrument.short_title),
        description=_say(instrument.description),
        items=tuple(_item(item) for item in instrument.items),
    )


def band_read(name: str) -> str:
    """A score's severity band in the reader's language. Responses keep the instrument's English
    name; the built-in ones are in the catalogue (rapport.progress.charts.BAND_NAMES), and a
    practice's own pass through as written."""
    return gettext(name) if name else name


def words_of(instrument: Instrument) -> Iterator[tuple[str, str]]:
    """Every translatable string of an instrument with where it comes from, in form order."""
    yield "title", instrument.title
    yield "short title", instrument.short_title
    yield "description", instrument.description
    for item in instrument.items:
        yield item.link_id, item.text
        yield f"{item.link_id} lower label", item.min_label
        yield f"{item.link_id} upper label", item.max_label
        for option in item.options:
            yield f"{item.link_id} answer {option.value}", option.label


# The answer checks in rapport.core.instruments speak English; the ones a person can meet on a
# form are translated here (others come only from a tampered form and stay as they are).
gettext_noop = translation.gettext_noop
ANSWER_PROBLEMS = (
    gettext_noop("Please answer this question"),
    gettext_noop("Choose one of the answers"),
    gettext_noop("Write your answer as text"),
    gettext_noop("This question is not part of this form"),
)


TOO_LONG = re.compile(
    r"This answer is (?P<length>[\d,]+) characters long; "
    r"please shorten it to (?P<limit>[\d,]+) characters or fewer\."
)


def answer_problem(message: str) -> str:
    if message in ANSWER_PROBLEMS:
        return gettext(message)
    if too_long := TOO_LONG.fullmatch(message):
        return gettext(
            "This answer is %(length)s characters long; "
            "please shorten it to %(limit)s characters or fewer."
        ) % {
            # Written by the scoring code in English ("4,000"); read in the reader's way.
            name: whole_number(int(figure.replace(",", "")))
            for name, figure in too_long.groupdict().items()
        }
    return message
