"""Instruments as data: reading a definition, checking answers, and scoring them.

A definition is `{"questionnaire": <FHIR R4 Questionnaire>, "scoring": {...}}`; the format is
described in `rapport/instruments/__init__.py`. `parse_instrument` checks the whole document and
reports every problem at once; the rest works on the resulting `Instrument`.

Scoring conventions (the same for every instrument, so results are comparable):
- A reverse-scored item counts as (lowest + highest possible value - answer).
- Missing items: when at most `max_missing` of the items in the total are unanswered and the
  definition allows proration, the total is the mean of the answered items times the number of
  items (the PHQ-9 rule in the NHS Data Dictionary: missing items take the average of the answered
  ones), rounded half up to a whole number so that it falls on the published integer bands
  (8 answers summing to 13 on the PHQ-9: 13 / 8 * 9 = 14.625, reported as 15). The arithmetic is
  exact (fractions), so no floating-point error moves a total across a band boundary. With more
  items missing the total is None. Subscales follow the same rule over their own items.
- Risk rules compare the raw answer (before any reverse scoring) and fire whatever the total, even
  when the total cannot be computed.
"""

from rapport.core.instruments.model import (
    AGE_BANDS,
    DIRECTIONS,
    FHIR_ITEM_TYPES,
    INSTRUMENT_KINDS,
    ITEM_CONTEXT,
    ITEM_CONTROL,
    ITEM_CONTROL_SYSTEM,
    ITEM_KINDS,
    LOINC,
    MAX_TEXT_LENGTH,
    MAX_VALUE,
    MIN_VALUE,
    NORM_KEYS,
    ORDINAL_VALUE,
    OWN_NAME,
    PUBLICATION_STATUSES,
    RESPONDENTS,
    SCORING_KEYS,
    SLIDER_STEP,
    SOURCE_TOPICS,
    AnswerError,
    AnswerOption,
    Band,
    Direction,
    Flag,
    Instrument,
    InstrumentError,
    Item,
    ItemKind,
    RiskRule,
    ScoreResult,
    item_text,
)
from rapport.core.instruments.reading import parse_instrument
from rapport.core.instruments.scoring import band_for, clean_answers, score, validate_answers

__all__ = [
    "AGE_BANDS",
    "AnswerError",
    "AnswerOption",
    "Band",
    "DIRECTIONS",
    "Direction",
    "FHIR_ITEM_TYPES",
    "Flag",
    "INSTRUMENT_KINDS",
    "ITEM_CONTEXT",
    "ITEM_CONTROL",
    "ITEM_CONTROL_SYSTEM",
    "ITEM_KINDS",
    "Instrument",
    "InstrumentError",
    "Item",
    "ItemKind",
    "LOINC",
    "MAX_TEXT_LENGTH",
    "MAX_VALUE",
    "MIN_VALUE",
    "NORM_KEYS",
    "ORDINAL_VALUE",
    "PUBLICATION_STATUSES",
    "OWN_NAME",
    "RESPONDENTS",
    "RiskRule",
    "SCORING_KEYS",
    "SLIDER_STEP",
    "SOURCE_TOPICS",
    "ScoreResult",
    "band_for",
    "clean_answers",
    "item_text",
    "parse_instrument",
    "score",
    "validate_answers",
]
