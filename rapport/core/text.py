"""Text folding for search: what a person types without accents finds names written with them;
and words stored in English said again in a reader's language."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence

# Letters that Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}
)


def search_key(text: str) -> str:
    """Lower case, accents removed, spaces collapsed: "Wójcik  Łukasz" gives "wojcik lukasz".

    Stored beside a name and applied to the query, so the database compares plain text and the
    same search works on SQLite (whose LIKE folds ASCII only) and PostgreSQL.
    """
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_UNDECOMPOSED))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(plain.translate(_UNDECOMPOSED).split())


# A phrase, or a count's phrases for one and for more ("%(n)s client", "%(n)s clients").
Phrase = str | tuple[str, str]


def gettext_noop(text: str) -> str:
    """Marks English words for the translators' catalogue (the catalogue tool looks for this
    name); the core keeps them in English and a page says them in its reader's language."""
    return text


def plural_noop(one: str, many: str) -> tuple[str, str]:
    """Marks a count's English phrases for one and for more for the catalogue (`rapport
    messages` looks for this name), to be said with the reader's plural rules where shown."""
    return one, many


def counted(n: int, words: tuple[str, str]) -> str:
    """A count in English words, "1 client" or "3 clients" (`words` from plural_noop)."""
    return words[0 if n == 1 else 1] % {"n": n}


@functools.cache
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)s", phrase)
    # Odd parts are the placeholders' names; each takes the shortest text that lets the whole
    # stored phrase match.
    return re.compile(
        "".join(f"(?P<{part}>.+?)" if odd else re.escape(part) for odd, part in _odd_even(parts)),
        re.DOTALL,
    )


def _odd_even(parts: list[str]) -> list[tuple[bool, str]]:
    return [(index % 2 == 1, part) for index, part in enumerate(parts)]


def _number(value: str) -> int:
    return int(value) if value.isdigit() else 0


def said_again(
    stored: str,
    phrases: Sequence[Phrase],
    gettext: Callable[[str], str],
    ngettext: Callable[[str, str, int], str],
    figure: Callable[[str], str] | None = None,
) -> str:
    """Words kept in English with their figures, in the reader's language.

    `phrases` are the English phrases (with %(name)s placeholders) the stored text was made of;
    the first that matches it whole is translated (a count's with the count, its %(n)s) and
    given the same values, each of which is said again the same way ("3 clients" within a
    reason). Text made of none is shown as stored: an error a library raised, or a phrase of an
    older version; or, for a value within a phrase, as `figure` says it (a number or a date
    written the English way, in the reader's).
    """
    said = _said(stored, phrases, gettext, ngettext, figure)
    return stored if said is None else said


def _said(
    stored: str,
    phrases: Sequence[Phrase],
    gettext: Callable[[str], str],
    ngettext: Callable[[str, str, int], str],
    figure: Callable[[str], str] | None,
) -> str | None:
    for phrase in phrases:
        for form in phrase if isinstance(phrase, tuple) else (phrase,):
            match = _phrase_pattern(form).fullmatch(stored)
            if match is None:
                continue
            values = {
                name: _value_said(value, phrases, gettext, ngettext, figure)
                for name, value in match.groupdict().items()
            }
            words = (
                ngettext(phrase[0], phrase[1], _number(match["n"]))
                if isinstance(phrase, tuple)
                else gettext(phrase)
            )
            return words % values if values else words
    return None


def _value_said(
    value: str,
    phrases: Sequence[Phrase],
    gettext: Callable[[str], str],
    ngettext: Callable[[str, str, int], str],
    figure: Callable[[str], str] | None,
) -> str:
    said = _said(value, phrases, gettext, ngettext, figure)
    if said is not None:
        return said
    return value if figure is None else figure(value)


# A value that is wholly a decimal number ("7.5", "-0.35") or wholly a day as the core writes
# one ("02 Mar 2026"): what a reader's number and date formats may say again.
DECIMAL = re.compile(r"-?\d+\.\d+")
ENGLISH_DAY = re.compile(r"\d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}")
