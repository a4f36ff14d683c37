"""Checking answers and scoring them (conventions in the package docstring)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import cast

from rapport.core.instruments.model import (
    _INTEGER_TEXT,
    MAX_TEXT_LENGTH,
    AnswerError,
    Band,
    Flag,
    Instrument,
    Item,
    ScoreResult,
)

# --- Answers -------------------------------------------------------------------------------


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _value_problem(item: Item, value: object) -> str | None:
    """What is wrong with a non-blank answer to this item, or None."""
    if isinstance(value, str) and "\x00" in value:
        # As Django's form fields do: a NUL cannot be stored in every database (PostgreSQL
        # refuses it in text and JSON), so it is refused the same way everywhere.
        return "Null characters are not allowed."
    if item.kind == "text":
        if not isinstance(value, str):
            return "Write your answer as text"
        length = len(value.strip())
        if length > MAX_TEXT_LENGTH:
            return (
                f"This answer is {length:,} characters long; "
                f"please shorten it to {MAX_TEXT_LENGTH:,} characters or fewer."
            )
        return None
    number = _as_int(value)
    if item.kind == "choice":
        if number is None or item.option(number) is None:
            return "Choose one of the answers"
        return None
    if number is None:
        return f"Choose a whole number from {item.min_value} to {item.max_value}"
    if not cast(int, item.min_value) <= number <= cast(int, item.max_value):
        return f"Choose a number from {item.min_value} to {item.max_value}"
    return None


def validate_answers(
    instrument: Instrument, answers: Mapping[str, object], *, require: bool = True
) -> dict[str, str]:
    """An error message per linkId: unknown items, values that are not allowed, and (unless
    `require` is False, as when scoring a data file) unanswered required items. Empty when fine.

    Values may be ints or strings from an HTML form; a blank string counts as unanswered.
    """
    known = {item.link_id for item in instrument.items}
    errors: dict[str, str] = {
        str(key): "This question is not part of this form" for key in answers if key not in known
    }
    for item in instrument.items:
        value = answers.get(item.link_id)
        if _blank(value):
            if require and item.required:
                errors[item.link_id] = "Please answer this question"
            continue
        problem = _value_problem(item, value)
        if problem is not None:
            errors[item.link_id] = problem
    return errors


def clean_answers(
    instrument: Instrument, answers: Mapping[str, object]
) -> dict[str, int | str | None]:
    """Every item's answer as an int (choice, slider), trimmed text, or None when unanswered.

    Raises AnswerError for unknown items or values that are not allowed (not for unanswered
    required items: check those with validate_answers first).
    """
    errors = validate_answers(instrument, answers, require=False)
    if errors:
        raise AnswerError(errors)
    cleaned: dict[str, int | str | None] = {}
    for item in instrument.items:
        value = answers.get(item.link_id)
        if _blank(value):
            cleaned[item.link_id] = None
        elif item.kind == "text":
            cleaned[item.link_id] = cast(str, value).strip()
        else:
            cleaned[item.link_id] = _as_int(value)
    return cleaned


# --- Scoring -------------------------------------------------------------------------------


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def _sum_with_rule(
    instrument: Instrument, link_ids: Sequence[str], values: Mapping[str, int | None]
) -> tuple[float | None, bool]:
    """(score, prorated) for a set of items under the instrument's missing-item rule."""
    answered = [values[link] for link in link_ids if values.get(link) is not None]
    missing = len(link_ids) - len(answered)
    total = sum(cast(list[int], answered))
    if missing == 0:
        return float(total), False
    if not instrument.prorate or missing > instrument.max_missing or not answered:
        return None, False
    return float(_round_half_up(Fraction(total * len(link_ids), len(answered)))), True


def band_for(instrument: Instrument, total: float | None) -> Band | None:
    """The severity band holding a total; None without bands, total, or outside the range."""
    if total is None or not instrument.bands:
        return None
    low, high = instrument.score_range
    if not low <= total <= high:
        return None
    chosen: Band | None = None
    for band in instrument.bands:  # sorted by min; a fractional total goes with the band below
        if band.min <= total:
            chosen = band
    return chosen


def score(instrument: Instrument, answers: Mapping[str, int | str | None]) -> ScoreResult:
    """Total, subscales, band, risk flags and missing items for one administration.

    Accepts cleaned answers (or strings of whole numbers); raises AnswerError for a value the
    item does not allow, so a bad value is never scored. Unknown keys are ignored.
    """
    raw: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    for item in instrument.items:
        value = answers.get(item.link_id)
        if item.kind == "text" or _blank(value):
            raw[item.link_id] = None
            continue
        problem = _value_problem(item, value)
        if problem is not None:
            errors[item.link_id] = problem
        raw[item.link_id] = _as_int(value) if problem is None else None
    if errors:
        raise AnswerError(errors)

    scored: dict[str, int | None] = {}
    for item in instrument.items:
        value = raw[item.link_id]
        if value is not None and item.reverse:
            value = cast(int, item.min_value) + cast(int, item.max_value) - value
        scored[item.link_id] = value

    total, prorated = _sum_with_rule(instrument, instrument.total_items, scored)
    subscales: dict[str, float | None] = {}
    for name, link_ids in instrument.subscales.items():
        subscales[name], sub_prorated = _sum_with_rule(instrument, link_ids, scored)
        prorated = prorated or sub_prorated
    missing = tuple(item.link_id for item in instrument.scored_items if raw[item.link_id] is None)
    unanswered_required = any(
        item.required and _blank(answers.get(item.link_id)) for item in instrument.items
    )
    flags = tuple(
        Flag(rule.link_id, rule.message, rule.urgent)
        for rule in instrument.risk_rules
        if (value := raw.get(rule.link_id)) is not None and value >= rule.min_value
    )
    return ScoreResult(
        total=total,
        subscales=subscales,
        band=band_for(instrument, total),
        flags=flags,
        missing=missing,
        prorated=prorated,
        complete=not missing and not unanswered_required,
    )
