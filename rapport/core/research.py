"""Research exports: what a practice's data look like when they leave for analysis.

Three tidy tables and their data dictionary:

- `answers`: one row per item answered (long);
- `scores`: one row per score (a total or a subscale) of each completed form (long);
- `episodes`: one row per episode, with each outcome measure's first and last total (wide).

By default nobody is named. Ids are pseudonyms keyed by a salt drawn for each export and never
stored, so the same client has the same pseudonym across the tables of one export and a different
one in the next export: exports cannot be joined to each other, or back to the record, by anyone
without the practice's database. Calendar dates are replaced by days since the episode began,
dates of birth by the age band, and written answers (the client's own words) are left out. An
identified export (for an admin with a stated reason, audited) keeps database ids, names, dates
and written answers.

Cells that a spreadsheet would run as a formula are neutralised (OWASP's advice for CSV
injection): text that begins with = + - @ or a tab or carriage return gets a leading apostrophe.
Pure functions, no Django: the shell reads rows and writes files.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

Cell = str | int | float | bool | None
Kind = Literal["text", "integer", "number", "boolean"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Which id a pseudonym stands for shows in its first letter; sixteen hex digits (64 bits) make a
# collision within one practice's export vanishingly unlikely.
PSEUDONYM_PREFIX = {"client": "c", "episode": "e", "therapist": "t", "response": "r"}
PSEUDONYM_DIGITS = 16


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    meaning: str
    identified_only: bool = False


def _columns(*columns: Column) -> tuple[Column, ...]:
    return columns


_WHO = _columns(
    Column("client", "text", "The client: a pseudonym, or the database id when identified."),
    Column("episode", "text", "The episode of care: a pseudonym, or the database id."),
    Column(
        "therapist",
        "text",
        "The episode's primary clinician at the time of the export: a pseudonym, or the id.",
    ),
)
_FORM = _columns(
    Column("response", "text", "The completed form: a pseudonym, or the database id."),
    Column("instrument", "text", "The instrument's id in Rapport (for example phq9)."),
    Column("version", "text", "The instrument's version the form was answered on."),
    Column("respondent", "text", "Who answered: client, guardian or clinician (about the client)."),
    Column(
        "language",
        "text",
        "The language the form was shown in (en, es): scores from a translated version are "
        "marked by it.",
    ),
    Column(
        "mode",
        "text",
        "How it was completed: link (from home), portal, in_session, or clinician (entered by "
        "the clinician).",
    ),
    Column("day", "integer", "Days from the start of the episode to the form's completion."),
    Column(
        "completed_at",
        "text",
        "When the form was completed (ISO 8601, UTC).",
        identified_only=True,
    ),
)

ANSWER_COLUMNS = (
    *_WHO,
    *_FORM,
    Column("item", "text", "The item's link id in the instrument (see items.csv)."),
    Column("position", "integer", "The item's place in the instrument, from 1."),
    Column("value", "number", "The answer: the option's value or the slider's position."),
    Column(
        "written",
        "text",
        "A written answer in the client's own words (then value is empty).",
        identified_only=True,
    ),
)

SCORE_COLUMNS = (
    *_WHO,
    *_FORM,
    Column("score", "text", "Which score: total, or the subscale's id."),
    Column("value", "number", "The score."),
    Column("band", "text", "The severity band of the total, in the instrument's words."),
    Column("severity", "integer", "The band's rank, 0 the lowest."),
    Column("prorated", "boolean", "True when missing items were prorated into the total."),
)

EPISODE_COLUMNS = (
    *_WHO,
    Column("age_band", "text", "The client's age band at the start: child, adolescent or adult."),
    Column("status", "text", "The episode's status at the export."),
    Column("closure_reason", "text", "Why the episode closed, when it has."),
    Column("length_days", "integer", "Days from start to end (to the export when still open)."),
    Column("sessions_attended", "integer", "Sessions attended."),
    Column("sessions_missed", "integer", "Sessions the client did not attend or cancelled."),
    Column("client_name", "text", "The client's full name.", identified_only=True),
    Column("date_of_birth", "text", "The client's date of birth.", identified_only=True),
    Column("start_date", "text", "The episode's first day.", identified_only=True),
    Column("end_date", "text", "The episode's last day, when closed.", identified_only=True),
)

ITEM_COLUMNS = _columns(
    Column("instrument", "text", "The instrument's id."),
    Column("version", "text", "Its version (the one Rapport holds now)."),
    Column("item", "text", "The item's link id."),
    Column("position", "integer", "Its place in the instrument, from 1."),
    Column("kind", "text", "choice, slider or text."),
    Column("text", "text", "The item's words."),
    Column("minimum", "integer", "The lowest value (sliders) or option value (choices)."),
    Column("maximum", "integer", "The highest value."),
    Column("options", "text", "For choices: each value and its label, separated by ' | '."),
    Column("scored", "boolean", "True when the item counts towards the total."),
)


def outcome_columns(instrument_ids: Iterable[str]) -> tuple[Column, ...]:
    """The wide table's columns for each outcome measure: first and last total, and how many."""
    found: list[Column] = []
    for instrument in instrument_ids:
        found += [
            Column(
                f"{instrument}_first", "number", f"The first {instrument} total of the episode."
            ),
            Column(f"{instrument}_last", "number", f"The last {instrument} total of the episode."),
            Column(
                f"{instrument}_count", "integer", f"How many {instrument} forms were completed."
            ),
        ]
    return tuple(found)


def shown(columns: Iterable[Column], *, identified: bool) -> tuple[Column, ...]:
    return tuple(c for c in columns if identified or not c.identified_only)


def dictionary_rows(tables: Mapping[str, Iterable[Column]]) -> list[tuple[str, str, str, str]]:
    """(table, column, kind, meaning) for every column of every table, in file order."""
    return [
        (table, column.name, column.kind, column.meaning)
        for table, columns in tables.items()
        for column in columns
    ]


def pseudonym(salt: bytes, kind: str, pk: int) -> str:
    """A keyed hash of one id: stable within an export (one salt), unlinkable across them."""
    digest = hmac.new(salt, f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()
    return f"{PSEUDONYM_PREFIX[kind]}-{digest[:PSEUDONYM_DIGITS]}"


def neutralised(value: Cell) -> Cell:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; the rest is kept."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Ids:
    """How people and records are named in one export."""

    identified: bool
    salt: bytes = b""

    def of(self, kind: str, pk: int) -> str:
        return str(pk) if self.identified else pseudonym(self.salt, kind, pk)


@dataclass
class OutcomeSummary:
    """One episode's first and last total of each outcome measure, gathered as forms stream by
    in order of completion."""

    first: dict[str, float] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)
    count: dict[str, int] = field(default_factory=dict)

    def add(self, instrument: str, total: float | None) -> None:
        if total is None:
            return
        self.first.setdefault(instrument, total)
        self.last[instrument] = total
        self.count[instrument] = self.count.get(instrument, 0) + 1

    def cells(self, instruments: Iterable[str]) -> list[Cell]:
        found: list[Cell] = []
        for instrument in instruments:
            found += [
                self.first.get(instrument),
                self.last.get(instrument),
                self.count.get(instrument, 0),
            ]
        return found


def iso(moment: date | datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
