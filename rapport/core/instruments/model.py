"""The instrument model: items, bands, risk rules, and the errors that report problems."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rapport.core.ages import AgeBand
from rapport.core.reliable import ReliableChangeRule

ItemKind = Literal["choice", "slider", "text"]
Direction = Literal["lower", "higher"]

ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
SLIDER_STEP = "http://hl7.org/fhir/StructureDefinition/questionnaire-sliderStepValue"
LOINC = "http://loinc.org"
# Rapport's own canonical URLs and code systems are written relative ("Questionnaire/phq9",
# "CodeSystem/scared-answer"): their host is the practice's FHIR base, known only where Rapport
# runs, and is put in front of them when a document leaves (rapport.core.fhir.questionnaires).
ITEM_CONTEXT = "StructureDefinition/item-context"
OWN_NAME = re.compile(
    r"(Questionnaire|CodeSystem|ValueSet|StructureDefinition)/[A-Za-z0-9\-.]{1,64}"
)
# Definitions printed before the base could be configured carry this placeholder host in front
# of Rapport's own names; read, it is dropped, so that no export sends it on.
FORMER_PLACEHOLDER_BASE = "https://rapport.example/fhir/"

# FHIR R4 code sets we check ourselves (fhir.resources does not enforce code bindings).
PUBLICATION_STATUSES = frozenset({"draft", "active", "retired", "unknown"})
FHIR_ITEM_TYPES = frozenset(
    {
        "group",
        "display",
        "boolean",
        "decimal",
        "integer",
        "date",
        "dateTime",
        "time",
        "string",
        "text",
        "url",
        "choice",
        "open-choice",
        "attachment",
        "reference",
        "quantity",
    }
)
ITEM_KINDS: dict[str, ItemKind] = {
    "choice": "choice",
    "integer": "slider",
    "text": "text",
    "string": "text",
}
INSTRUMENT_KINDS = ("outcome", "alliance", "goal")
RESPONDENTS = ("client", "guardian", "therapist")
AGE_BANDS = tuple(band.value for band in AgeBand)
DIRECTIONS = ("lower", "higher")
SOURCE_TOPICS = (
    "items",
    "loinc",
    "bands",
    "cutoff",
    "reliability",
    "clinical_norms",
    "functional_norms",
    "missing",
    "risk",
    "reliable_change",
)
SCORING_KEYS = frozenset(
    {
        "short_title",
        "kind",
        "respondent",
        "age_bands",
        "family",
        "total_items",
        "subscales",
        "reverse_items",
        "missing",
        "direction",
        "bands",
        "cutoff",
        "reliability",
        "norms",
        "risk_rules",
        "loinc_total",
        "attribution",
        "sources",
        "reliable_change",
        "subscale_details",
    }
)
NORM_KEYS = ("clinical_mean", "clinical_sd", "functional_mean", "functional_sd")

MAX_TEXT_LENGTH = 4000
# How the attribution of every instrument written by this project begins.
RAPPORTS_OWN = "Written by the Rapport project"

_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_FHIR_NAME = re.compile(r"[A-Z][A-Za-z0-9_]{0,254}")
_LINK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_LOINC_CODE = re.compile(r"\d{1,8}-\d")
_INTEGER_TEXT = re.compile(r"[+-]?\d{1,9}")


class InstrumentError(ValueError):
    """A definition that cannot be used; `problems` lists every problem, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: list[str] = list(problems)
        count = len(self.problems)
        summary = f"{count} problem{'s' if count != 1 else ''} in the instrument definition"
        super().__init__(summary + ":\n" + "\n".join(self.problems))


class AnswerError(ValueError):
    """Answers that cannot be stored or scored; `errors` maps a linkId to what is wrong."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(f"{key}: {message}" for key, message in self.errors.items()))


@dataclass(frozen=True)
class AnswerOption:
    value: int
    label: str
    code: str
    system: str | None = None


@dataclass(frozen=True)
class Item:
    link_id: str
    text: str
    kind: ItemKind
    options: tuple[AnswerOption, ...]
    min_value: int | None
    max_value: int | None
    min_label: str
    max_label: str
    required: bool
    scored: bool
    reverse: bool
    loinc: str | None
    # A name (for example "goal") whose text is filled in when the form is given; see item_text.
    context: str | None = None

    @property
    def numeric(self) -> bool:
        return self.kind != "text"

    def option(self, value: int) -> AnswerOption | None:
        return next((option for option in self.options if option.value == value), None)


@dataclass(frozen=True)
class SubscaleDetail:
    title: str
    cutoff: float | None = None


@dataclass(frozen=True)
class Band:
    min: float
    max: float
    label: str
    severity: int


@dataclass(frozen=True)
class RiskRule:
    link_id: str
    min_value: int
    message: str
    urgent: bool


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    title: str
    short_title: str
    kind: str
    respondent: str
    family: str
    age_bands: frozenset[str]
    items: tuple[Item, ...]
    total_items: tuple[str, ...]
    subscales: dict[str, tuple[str, ...]] = field(hash=False)
    max_missing: int
    prorate: bool
    direction: Direction
    bands: tuple[Band, ...]
    risk_rules: tuple[RiskRule, ...]
    cutoff: float | None
    reliability: float | None
    clinical_mean: float | None
    clinical_sd: float | None
    functional_mean: float | None
    functional_sd: float | None
    loinc_panel: str | None
    loinc_total: str | None
    attribution: str
    sources: tuple[str, ...]
    questionnaire: dict[str, Any] = field(hash=False, compare=False, repr=False)
    description: str = ""
    # A published reliable-change criterion in points (rapport.core.reliable), if there is one.
    reliable_change: ReliableChangeRule | None = None
    # Per subscale name: how people read it ("Separation anxiety") and its published cut-off.
    subscale_details: dict[str, SubscaleDetail] = field(default_factory=dict, hash=False)

    def subscale_title(self, name: str) -> str:
        detail = self.subscale_details.get(name)
        return detail.title if detail else name.replace("_", " ").capitalize()

    def subscale_cutoff(self, name: str) -> float | None:
        detail = self.subscale_details.get(name)
        return detail.cutoff if detail else None

    def item(self, link_id: str) -> Item:
        for item in self.items:
            if item.link_id == link_id:
                return item
        raise KeyError(f"{self.id} has no item '{link_id}'")

    @property
    def is_outcome(self) -> bool:
        """Tracks how the person is doing over treatment (symptoms, wellbeing), as opposed to
        rating the alliance or progress on goals: the measures change is judged on."""
        return self.kind == "outcome"

    @property
    def is_rapports_own(self) -> bool:
        """Written by this project: no third party's terms ask for a notice on the form."""
        return self.attribution.startswith(RAPPORTS_OWN)

    @property
    def score_range(self) -> tuple[float, float]:
        """Lowest and highest possible total (reverse scoring maps an item's range onto itself)."""
        low = high = 0
        for link_id in self.total_items:
            item = self.item(link_id)
            low += item.min_value or 0
            high += item.max_value or 0
        return float(low), float(high)

    @property
    def scored_items(self) -> tuple[Item, ...]:
        """Items that count towards the total or a subscale, in form order."""
        return tuple(item for item in self.items if item.scored)

    @property
    def text_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.kind == "text")


@dataclass(frozen=True)
class Flag:
    link_id: str
    message: str
    urgent: bool


@dataclass(frozen=True)
class ScoreResult:
    total: float | None
    subscales: dict[str, float | None] = field(hash=False)
    band: Band | None
    flags: tuple[Flag, ...]
    missing: tuple[str, ...]
    prorated: bool
    complete: bool


def item_text(item: Item, context: Mapping[str, str] | None = None) -> str:
    """The item's question, with its context (for example the plan goal) when one is given.

    `goal-progress` asks "How close are you to this goal?"; at administration time the goal's
    own words are shown with it: item_text(item, {"goal": "Sleep through most nights"}) gives
    'How close are you to this goal? (Sleep through most nights)'.
    """
    if item.context and context and context.get(item.context, "").strip():
        return f"{item.text} ({context[item.context].strip()})"
    return item.text


def family_title(instruments: Sequence[Instrument]) -> str:
    """What a family of instruments (the versions of one measure) is called: its first
    version's short title."""
    return instruments[0].short_title or instruments[0].title
