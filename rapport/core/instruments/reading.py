"""Reading a definition file: every problem is collected and reported at once."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from rapport.core.instruments.model import (
    _FHIR_ID,
    _FHIR_NAME,
    _LINK_ID,
    _LOINC_CODE,
    _SLUG,
    AGE_BANDS,
    DIRECTIONS,
    FHIR_ITEM_TYPES,
    FORMER_PLACEHOLDER_BASE,
    INSTRUMENT_KINDS,
    ITEM_CONTEXT,
    ITEM_CONTROL,
    ITEM_KINDS,
    LOINC,
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
    AnswerOption,
    Band,
    Direction,
    Instrument,
    InstrumentError,
    Item,
    ItemKind,
    RiskRule,
)
from rapport.core.instruments.subscales import parse_subscale_details
from rapport.core.reliable import ReliableChangeRule

# --- Reading a definition ------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.lines.append(f"{where}: {message}")


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: object) -> int | None:
    """An int from a JSON number that is a whole number (2 or 2.0), else None."""
    if not _is_number(value):
        return None
    number = cast(float, value)
    return int(number) if float(number).is_integer() else None


def _extensions(raw: Mapping[str, Any], where: str, problems: _Problems) -> list[Mapping[str, Any]]:
    extensions = raw.get("extension", [])
    if not isinstance(extensions, list):
        problems.add(where, "extension must be a list")
        return []
    good: list[Mapping[str, Any]] = []
    for position, extension in enumerate(extensions, start=1):
        if not isinstance(extension, Mapping) or not isinstance(extension.get("url"), str):
            problems.add(where, f"extension {position} has no url")
        else:
            good.append(extension)
    return good


def _extension(extensions: list[Mapping[str, Any]], url: str) -> Mapping[str, Any] | None:
    return next((extension for extension in extensions if extension["url"] == url), None)


def _item_control(extensions: list[Mapping[str, Any]]) -> str | None:
    control = _extension(extensions, ITEM_CONTROL)
    if control is None:
        return None
    concept = control.get("valueCodeableConcept")
    codings = concept.get("coding") if isinstance(concept, Mapping) else None
    if isinstance(codings, list):
        for coding in codings:
            if isinstance(coding, Mapping) and isinstance(coding.get("code"), str):
                return cast(str, coding["code"])
    return None


def _loinc_of(codes: object, where: str, problems: _Problems) -> str | None:
    if codes is None:
        return None
    if not isinstance(codes, list):
        problems.add(where, "code must be a list of codings")
        return None
    loinc: str | None = None
    for position, coding in enumerate(codes, start=1):
        if not isinstance(coding, Mapping) or not _text(coding.get("code")):
            problems.add(where, f"code {position} has no code")
            continue
        if not _text(coding.get("system")):
            problems.add(where, f"code {position} has no system")
            continue
        if coding["system"] == LOINC:
            if not _LOINC_CODE.fullmatch(coding["code"]):
                problems.add(where, f"code {position}: '{coding['code']}' is not a LOINC code")
            elif loinc is None:
                loinc = coding["code"]
    return loinc


def _parse_options(
    raw: Mapping[str, Any], where: str, problems: _Problems
) -> tuple[AnswerOption, ...]:
    if "answerValueSet" in raw and "answerOption" not in raw:
        problems.add(where, "answerValueSet is not supported; list the answers in answerOption")
        return ()
    options_raw = raw.get("answerOption")
    if not isinstance(options_raw, list) or not options_raw:
        problems.add(where, "a choice item needs a non-empty answerOption list")
        return ()
    options: list[AnswerOption] = []
    values: set[int] = set()
    codes: set[str] = set()
    for position, option in enumerate(options_raw, start=1):
        label = f"answerOption {position}"
        if not isinstance(option, Mapping):
            problems.add(where, f"{label} is not an object")
            continue
        coding = option.get("valueCoding")
        if not isinstance(coding, Mapping):
            problems.add(where, f"{label} has no valueCoding")
            continue
        code, display = _text(coding.get("code")), _text(coding.get("display"))
        system = coding.get("system")
        if code is None:
            problems.add(where, f"{label} has no code")
        if display is None:
            problems.add(where, f"{label} has no display text")
        if system is not None and not _text(system):
            problems.add(where, f"{label} has an empty system")
        ordinal = _extension(_extensions(option, f"{where}: {label}", problems), ORDINAL_VALUE)
        value: int | None = None
        if ordinal is None:
            problems.add(where, f"{label} has no ordinalValue")
        else:
            raw_value = ordinal.get("valueDecimal", ordinal.get("valueInteger"))
            value = _whole(raw_value)
            if value is None:
                problems.add(where, f"{label} ordinalValue must be a whole number")
        if value is not None:
            if value in values:
                problems.add(where, f"{label} repeats the value {value}")
            values.add(value)
        if code is not None:
            if code in codes:
                problems.add(where, f"{label} repeats the code '{code}'")
            codes.add(code)
        if code is not None and display is not None and value is not None:
            options.append(
                AnswerOption(
                    value=value,
                    label=display,
                    code=code,
                    system=cast(str, system) if system else None,
                )
            )
    return tuple(sorted(options, key=lambda option: option.value))


def _parse_slider(
    raw: Mapping[str, Any], extensions: list[Mapping[str, Any]], where: str, problems: _Problems
) -> tuple[int | None, int | None, str, str]:
    bounds: list[int | None] = []
    for url, name in ((MIN_VALUE, "minValue"), (MAX_VALUE, "maxValue")):
        extension = _extension(extensions, url)
        if extension is None:
            problems.add(where, f"an integer item needs a {name} extension")
            bounds.append(None)
            continue
        value = extension.get("valueInteger")
        if not isinstance(value, int) or isinstance(value, bool):
            problems.add(where, f"{name} must be a valueInteger")
            bounds.append(None)
        else:
            bounds.append(value)
    low, high = bounds
    if low is not None and high is not None and low >= high:
        problems.add(where, f"minValue {low} must be below maxValue {high}")
    step = _extension(extensions, SLIDER_STEP)
    if step is not None and step.get("valueInteger") != 1:
        problems.add(where, "only a sliderStepValue of 1 is supported")
    labels = {"lower": "", "upper": ""}
    for child in raw.get("item", []) if isinstance(raw.get("item"), list) else []:
        if not isinstance(child, Mapping) or child.get("type") != "display":
            problems.add(where, "an integer item may only hold display items (its end labels)")
            continue
        control = _item_control(_extensions(child, where, problems))
        if control not in labels:
            problems.add(where, "a label under an integer item needs item-control lower or upper")
        elif not _text(child.get("text")):
            problems.add(where, f"the {control} label has no text")
        else:
            labels[control] = cast(str, child["text"]).strip()
    return low, high, labels["lower"], labels["upper"]


def _parse_items(raw_items: object, problems: _Problems) -> tuple[list[Item], set[str]]:
    """Every well-formed item, and every linkId seen (so later checks don't repeat errors)."""
    if not isinstance(raw_items, list) or not raw_items:
        problems.add("questionnaire", "item must be a non-empty list")
        return [], set()
    items: list[Item] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_items, start=1):
        where = f"item {index}"
        if not isinstance(raw, Mapping):
            problems.add(where, "not an object")
            continue
        link_id = raw.get("linkId")
        ok = True
        if not isinstance(link_id, str) or not link_id:
            problems.add(where, "linkId is missing")
            ok = False
            link_id = ""
        else:
            where = f"item '{link_id}'"
            if not _LINK_ID.fullmatch(link_id):
                problems.add(
                    where, "linkId may use only letters, digits, '.', '_' and '-' (64 at most)"
                )
                ok = False
            if link_id in seen:
                problems.add(where, "linkId is used more than once")
                ok = False
            seen.add(link_id)
        text = _text(raw.get("text"))
        if text is None:
            problems.add(where, "text is missing")
            ok = False
        fhir_type = raw.get("type")
        kind: ItemKind | None = None
        if not isinstance(fhir_type, str) or fhir_type not in FHIR_ITEM_TYPES:
            problems.add(where, f"type {fhir_type!r} is not a FHIR item type")
        elif fhir_type not in ITEM_KINDS:
            problems.add(
                where, f"type '{fhir_type}' is not supported (use choice, integer, text or string)"
            )
        else:
            kind = ITEM_KINDS[fhir_type]
        required = raw.get("required", False)
        if not isinstance(required, bool):
            problems.add(where, "required must be true or false")
            required = False
        loinc = _loinc_of(raw.get("code"), where, problems)
        extensions = _extensions(raw, where, problems)
        context_extension = _extension(extensions, ITEM_CONTEXT)
        context: str | None = None
        if context_extension is not None:
            context = _text(context_extension.get("valueString"))
            if context is None or not _SLUG.fullmatch(context):
                problems.add(where, "item-context needs a valueString such as 'goal'")
        options: tuple[AnswerOption, ...] = ()
        low: int | None = None
        high: int | None = None
        min_label = max_label = ""
        if kind == "choice":
            options = _parse_options(raw, where, problems)
            if options:
                low, high = options[0].value, options[-1].value
        elif kind == "slider":
            low, high, min_label, max_label = _parse_slider(raw, extensions, where, problems)
        if kind in ("choice", "text") and raw.get("item"):
            problems.add(where, "nested items are not supported here")
        if kind == "text" and raw.get("answerOption"):
            problems.add(where, "a text item cannot have answerOption")
        if not ok or kind is None or text is None:
            continue
        if kind != "text" and (low is None or high is None):
            continue
        items.append(
            Item(
                link_id=link_id,
                text=text,
                kind=kind,
                options=options,
                min_value=low,
                max_value=high,
                min_label=min_label,
                max_label=max_label,
                required=required,
                scored=False,
                reverse=False,
                loinc=loinc,
                context=context,
            )
        )
    return items, seen


@dataclass
class _Header:
    id: str = ""
    version: str = ""
    title: str = ""
    description: str = ""
    loinc_panel: str | None = None


def _parse_header(q: Mapping[str, Any], problems: _Problems) -> _Header:
    header = _Header()
    where = "questionnaire"
    if q.get("resourceType") != "Questionnaire":
        problems.add(where, "resourceType must be 'Questionnaire'")
    identifier = q.get("id")
    if not isinstance(identifier, str) or not _FHIR_ID.fullmatch(identifier):
        problems.add(where, "id must be 1-64 letters, digits, '-' or '.'")
    else:
        header.id = identifier
    url = q.get("url")
    own = isinstance(url, str) and OWN_NAME.fullmatch(url) and url.startswith("Questionnaire/")
    if not own and (not isinstance(url, str) or not re.match(r"(https?://|urn:)\S+$", url)):
        problems.add(
            where,
            "url must be an absolute canonical URL, or Questionnaire/<id> for one of the "
            "practice's own",
        )
    version = _text(q.get("version"))
    if version is None:
        problems.add(where, "version is missing")
    else:
        header.version = version
    name = q.get("name")
    if not isinstance(name, str) or not _FHIR_NAME.fullmatch(name):
        problems.add(where, "name must start with a capital letter and use letters, digits or _")
    title = _text(q.get("title"))
    if title is None:
        problems.add(where, "title is missing")
    else:
        header.title = title
    status = q.get("status")
    if status not in PUBLICATION_STATUSES:
        allowed = ", ".join(sorted(PUBLICATION_STATUSES))
        problems.add(where, f"status {status!r} is not one of {allowed}")
    for key in ("copyright", "description"):
        if key in q and not isinstance(q[key], str):
            problems.add(where, f"{key} must be text")
    header.description = _text(q.get("description")) or ""
    header.loinc_panel = _loinc_of(q.get("code"), where, problems)
    return header


def _link_list(
    value: object,
    where: str,
    numeric: Mapping[str, Item],
    seen: set[str],
    problems: _Problems,
    *,
    allow_empty: bool,
) -> tuple[str, ...]:
    if not isinstance(value, list) or (not value and not allow_empty):
        problems.add(
            where, "must be a " + ("" if allow_empty else "non-empty ") + "list of linkIds"
        )
        return ()
    good: list[str] = []
    for link_id in value:
        if not isinstance(link_id, str):
            problems.add(where, f"{link_id!r} is not a linkId")
        elif link_id in good:
            problems.add(where, f"'{link_id}' is listed twice")
        elif link_id in numeric:
            good.append(link_id)
        elif link_id in seen:
            problems.add(where, f"'{link_id}' is not a choice or integer item")
        else:
            problems.add(where, f"'{link_id}' is not an item of this questionnaire")
    return tuple(good)


def _optional_number(
    scoring: Mapping[str, Any], key: str, where: str, problems: _Problems
) -> float | None:
    value = scoring.get(key)
    if value is None:
        return None
    if not _is_number(value):
        problems.add(where, f"{key} must be a number or null")
        return None
    return float(value)


def _check_bands(
    bands: list[Band], score_range: tuple[float, float] | None, problems: _Problems
) -> None:
    where = "scoring.bands"
    ordered = sorted(bands, key=lambda band: band.min)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.min <= before.max:
            problems.add(where, f"'{before.label}' and '{after.label}' overlap")
        elif after.min > before.max + 1:
            problems.add(
                where,
                f"gap between '{before.label}' (to {before.max:g}) and "
                f"'{after.label}' (from {after.min:g})",
            )
    if score_range is not None and ordered:
        low, high = score_range
        if ordered[0].min != low:
            problems.add(where, f"the lowest band starts at {ordered[0].min:g}, not {low:g}")
        if ordered[-1].max != high:
            problems.add(where, f"the highest band ends at {ordered[-1].max:g}, not {high:g}")
    labels = [band.label for band in bands]
    for label in sorted({label for label in labels if labels.count(label) > 1}):
        problems.add(where, f"the label '{label}' is used twice")


def _parse_bands(value: object, problems: _Problems) -> list[Band]:
    where = "scoring.bands"
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(where, "must be a list")
        return []
    bands: list[Band] = []
    for position, raw in enumerate(value, start=1):
        here = f"{where}[{position}]"
        if not isinstance(raw, Mapping):
            problems.add(here, "not an object")
            continue
        low, high = _whole(raw.get("min")), _whole(raw.get("max"))
        label = _text(raw.get("label"))
        severity = raw.get("severity")
        ok = True
        if low is None or high is None:
            problems.add(here, "min and max must be whole numbers")
            ok = False
        elif low > high:
            problems.add(here, f"min {low} is above max {high}")
            ok = False
        if label is None:
            problems.add(here, "label is missing")
            ok = False
        if not isinstance(severity, int) or isinstance(severity, bool) or severity < 0:
            problems.add(here, "severity must be a whole number from 0")
            ok = False
        if ok:
            bands.append(
                Band(
                    float(cast(int, low)),
                    float(cast(int, high)),
                    cast(str, label),
                    cast(int, severity),
                )
            )
    return bands


def _parse_sources(value: object, problems: _Problems) -> tuple[tuple[str, ...], set[str]]:
    where = "scoring.sources"
    if not isinstance(value, list) or not value:
        problems.add(where, "must list at least one source")
        return (), set()
    lines: list[str] = []
    topics: set[str] = set()
    for position, raw in enumerate(value, start=1):
        here = f"{where}[{position}]"
        if not isinstance(raw, Mapping):
            problems.add(here, "must be an object with supports and citation")
            continue
        citation = _text(raw.get("citation"))
        supports = raw.get("supports")
        if citation is None:
            problems.add(here, "citation is missing")
        if not isinstance(supports, list) or not supports:
            problems.add(here, "supports must list what the source is for")
            continue
        unknown = [topic for topic in supports if topic not in SOURCE_TOPICS]
        if unknown:
            problems.add(
                here, f"unknown supports {unknown}; use some of {', '.join(SOURCE_TOPICS)}"
            )
            continue
        if citation is not None:
            topics.update(supports)
            lines.append(f"{', '.join(supports)}: {citation}")
    return tuple(lines), topics


def _without_placeholder(value: Any) -> Any:
    """`value` with the former placeholder host taken off Rapport's own names (a copy)."""
    if isinstance(value, Mapping):
        return {key: _without_placeholder(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_without_placeholder(inner) for inner in value]
    if isinstance(value, str) and value.startswith(FORMER_PLACEHOLDER_BASE):
        rest = value.removeprefix(FORMER_PLACEHOLDER_BASE)
        return rest if OWN_NAME.fullmatch(rest) else value
    return value


def parse_instrument(document: Mapping[str, Any]) -> Instrument:
    """Read and check a definition file; raise InstrumentError listing every problem found."""
    problems = _Problems()
    if not isinstance(document, Mapping):
        raise InstrumentError(
            ["the definition must be a JSON object with questionnaire and scoring"]
        )
    for key in sorted(set(document) - {"questionnaire", "scoring"}):
        problems.add("definition", f"unknown key '{key}'")
    q = document.get("questionnaire")
    s = document.get("scoring")
    if not isinstance(q, Mapping) or not q:
        problems.add("definition", "'questionnaire' is missing, empty or not an object")
        q = {}
    if not isinstance(s, Mapping) or not s:
        problems.add("definition", "'scoring' is missing, empty or not an object")
        s = {}
    if not q or not s:  # without both halves, cross-checks would only repeat the same problem
        raise InstrumentError(problems.lines)
    q = _without_placeholder(q)
    header = _parse_header(q, problems)
    items, seen = _parse_items(q.get("item"), problems)
    numeric = {item.link_id: item for item in items if item.numeric}

    where = "scoring"
    for key in sorted(set(s) - SCORING_KEYS):
        problems.add(where, f"unknown key '{key}'")

    def choice(key: str, allowed: Sequence[str]) -> str:
        value = s.get(key)
        if value not in allowed:
            problems.add(where, f"{key} {value!r} is not one of {', '.join(allowed)}")
            return allowed[0]
        return cast(str, value)

    short_title = _text(s.get("short_title"))
    if short_title is None or len(short_title) > 40:
        problems.add(where, "short_title is missing or longer than 40 characters")
    kind = choice("kind", INSTRUMENT_KINDS)
    respondent = choice("respondent", RESPONDENTS)
    direction = cast(Direction, choice("direction", DIRECTIONS))
    family = s.get("family")
    if not isinstance(family, str) or not _SLUG.fullmatch(family):
        problems.add(where, "family must be a short lower-case name such as 'checkin'")
    ages = s.get("age_bands")
    if (
        not isinstance(ages, list)
        or not ages
        or any(age not in AGE_BANDS for age in ages)
        or len(set(ages)) != len(ages)
    ):
        problems.add(where, f"age_bands must list some of {', '.join(AGE_BANDS)} (each once)")
        ages = []
    attribution = _text(s.get("attribution"))
    if attribution is None:
        problems.add(where, "attribution is missing")

    total_items = _link_list(
        s.get("total_items"), "scoring.total_items", numeric, seen, problems, allow_empty=False
    )
    subscales: dict[str, tuple[str, ...]] = {}
    raw_subscales = s.get("subscales", {})
    if not isinstance(raw_subscales, Mapping):
        problems.add("scoring.subscales", "must be an object of name: [linkIds]")
    else:
        for name, members in raw_subscales.items():
            if not _SLUG.fullmatch(str(name)):
                problems.add("scoring.subscales", f"name '{name}' must be short and lower-case")
                continue
            subscales[name] = _link_list(
                members, f"scoring.subscales.{name}", numeric, seen, problems, allow_empty=False
            )
    subscale_details, detail_problems = parse_subscale_details(s.get("subscale_details"), subscales)
    for line in detail_problems:
        problems.add("scoring.subscale_details", line)
    scored = set(total_items).union(*subscales.values())
    reverse = _link_list(
        s.get("reverse_items", []),
        "scoring.reverse_items",
        numeric,
        seen,
        problems,
        allow_empty=True,
    )
    for link_id in reverse:
        if link_id not in scored:
            problems.add("scoring.reverse_items", f"'{link_id}' is not in the total or a subscale")

    missing = s.get("missing")
    max_missing, prorate = 0, False
    if not isinstance(missing, Mapping):
        problems.add("scoring.missing", "must be an object with max_missing and prorate")
    else:
        raw_max, raw_prorate = missing.get("max_missing"), missing.get("prorate")
        if not isinstance(raw_max, int) or isinstance(raw_max, bool) or raw_max < 0:
            problems.add("scoring.missing", "max_missing must be a whole number from 0")
        else:
            max_missing = raw_max
        if not isinstance(raw_prorate, bool):
            problems.add("scoring.missing", "prorate must be true or false")
        else:
            prorate = raw_prorate
        if max_missing and not prorate:
            problems.add("scoring.missing", "max_missing above 0 needs prorate: true")
        if total_items and max_missing >= len(total_items):
            problems.add(
                "scoring.missing",
                f"max_missing {max_missing} leaves no answered item of {len(total_items)}",
            )

    score_range: tuple[float, float] | None = None
    if total_items and len(total_items) == len(_as_list(s.get("total_items"))):
        score_range = (
            float(sum(cast(int, numeric[link].min_value) for link in total_items)),
            float(sum(cast(int, numeric[link].max_value) for link in total_items)),
        )
    bands = _parse_bands(s.get("bands"), problems)
    _check_bands(bands, score_range, problems)

    cutoff = _optional_number(s, "cutoff", where, problems)
    if cutoff is not None and score_range and not score_range[0] <= cutoff <= score_range[1]:
        problems.add(
            where,
            f"cutoff {cutoff:g} is outside the score range {score_range[0]:g}-{score_range[1]:g}",
        )
    reliability = _optional_number(s, "reliability", where, problems)
    if reliability is not None and not 0 < reliability < 1:
        problems.add(where, "reliability must be between 0 and 1 (exclusive)")

    norms: dict[str, float | None] = dict.fromkeys(NORM_KEYS)
    raw_norms = s.get("norms", {})
    if not isinstance(raw_norms, Mapping):
        problems.add("scoring.norms", "must be an object")
    else:
        for key in sorted(set(raw_norms) - set(NORM_KEYS)):
            problems.add("scoring.norms", f"unknown key '{key}'")
        for key in NORM_KEYS:
            norms[key] = _optional_number(raw_norms, key, "scoring.norms", problems)
        for group in ("clinical", "functional"):
            mean, sd = norms[f"{group}_mean"], norms[f"{group}_sd"]
            if (mean is None) != (sd is None):
                problems.add("scoring.norms", f"{group}_mean and {group}_sd go together")
            if sd is not None and sd <= 0:
                problems.add("scoring.norms", f"{group}_sd must be above 0")
            if mean is not None and score_range and not score_range[0] <= mean <= score_range[1]:
                problems.add("scoring.norms", f"{group}_mean is outside the score range")

    risk_rules: list[RiskRule] = []
    raw_rules = s.get("risk_rules", [])
    if not isinstance(raw_rules, list):
        problems.add("scoring.risk_rules", "must be a list")
        raw_rules = []
    for position, raw in enumerate(raw_rules, start=1):
        here = f"scoring.risk_rules[{position}]"
        if not isinstance(raw, Mapping):
            problems.add(here, "not an object")
            continue
        rule_item, threshold = raw.get("item"), raw.get("min_value")
        message, urgent = _text(raw.get("message")), raw.get("urgent")
        ok = True
        target: Item | None = numeric.get(rule_item) if isinstance(rule_item, str) else None
        if target is None:
            reason = "is not a choice or integer item" if rule_item in seen else "is not an item"
            problems.add(here, f"item {rule_item!r} {reason}")
            ok = False
        if not isinstance(threshold, int) or isinstance(threshold, bool):
            problems.add(here, "min_value must be a whole number")
            ok = False
        elif target is not None and not (
            cast(int, target.min_value) <= threshold <= cast(int, target.max_value)
        ):
            problems.add(
                here,
                f"min_value {threshold} is outside the answers of '{rule_item}' "
                f"({target.min_value}-{target.max_value})",
            )
            ok = False
        if message is None:
            problems.add(here, "message is missing")
            ok = False
        if not isinstance(urgent, bool):
            problems.add(here, "urgent must be true or false")
            ok = False
        if ok:
            risk_rules.append(
                RiskRule(
                    cast(str, rule_item),
                    cast(int, threshold),
                    cast(str, message),
                    cast(bool, urgent),
                )
            )

    loinc_total = s.get("loinc_total")
    if loinc_total is not None and (
        not isinstance(loinc_total, str) or not _LOINC_CODE.fullmatch(loinc_total)
    ):
        problems.add(where, f"loinc_total {loinc_total!r} is not a LOINC code")
        loinc_total = None

    sources, topics = _parse_sources(s.get("sources"), problems)
    reliable_change = _parse_reliable_change(
        s.get("reliable_change"), direction, score_range, sources, problems
    )
    needs = {
        "reliable_change": reliable_change is not None,
        "bands": bool(bands),
        "cutoff": cutoff is not None,
        "reliability": reliability is not None,
        "clinical_norms": norms["clinical_mean"] is not None,
        "functional_norms": norms["functional_mean"] is not None,
        "loinc": bool(header.loinc_panel or loinc_total or any(item.loinc for item in items)),
    }
    for topic, needed in needs.items():
        if needed and topic not in topics:
            problems.add(where, f"{topic} has no source (add one with supports ['{topic}'])")

    if problems.lines:
        raise InstrumentError(problems.lines)

    reverse_set = set(reverse)
    final_items = tuple(
        replace(item, scored=item.link_id in scored, reverse=item.link_id in reverse_set)
        for item in items
    )
    return Instrument(
        id=header.id,
        version=header.version,
        title=header.title,
        short_title=cast(str, short_title),
        kind=kind,
        respondent=respondent,
        family=cast(str, family),
        age_bands=frozenset(cast(list[str], ages)),
        items=final_items,
        total_items=total_items,
        subscales=subscales,
        max_missing=max_missing,
        prorate=prorate,
        direction=direction,
        bands=tuple(sorted(bands, key=lambda band: band.min)),
        risk_rules=tuple(risk_rules),
        cutoff=cutoff,
        reliability=reliability,
        clinical_mean=norms["clinical_mean"],
        clinical_sd=norms["clinical_sd"],
        functional_mean=norms["functional_mean"],
        functional_sd=norms["functional_sd"],
        loinc_panel=header.loinc_panel,
        loinc_total=loinc_total,
        attribution=cast(str, attribution),
        sources=sources,
        questionnaire=copy.deepcopy(dict(q)),
        description=header.description,
        reliable_change=reliable_change,
        subscale_details=subscale_details,
    )


def _parse_reliable_change(
    raw: object,
    direction: str,
    score_range: tuple[float, float] | None,
    sources: tuple[str, ...],
    problems: _Problems,
) -> ReliableChangeRule | None:
    """`{"name": ..., "points": 6, "caseness": 10}`: a published criterion, change of at least
    `points` (inclusive), the clinical range from `caseness` on."""
    if raw is None:
        return None
    where = "scoring.reliable_change"
    if not isinstance(raw, Mapping):
        problems.add(where, "must be an object with name, points and caseness")
        return None
    for key in sorted(set(raw) - {"name", "points", "caseness"}):
        problems.add(where, f"unknown key '{key}'")
    name = _text(raw.get("name"))
    points = _optional_number(raw, "points", where, problems)
    caseness = _optional_number(raw, "caseness", where, problems)
    ok = True
    if name is None:
        problems.add(where, "name is missing (for example 'NHS Talking Therapies criterion')")
        ok = False
    if points is None or not points > 0:
        problems.add(where, "points must be a number above 0")
        ok = False
    elif score_range and points > score_range[1] - score_range[0]:
        problems.add(where, f"points {points:g} is larger than the whole score range")
        ok = False
    if caseness is not None and score_range and not score_range[0] <= caseness <= score_range[1]:
        problems.add(where, f"caseness {caseness:g} is outside the score range")
        ok = False
    if not ok or direction not in ("lower", "higher"):
        return None
    return ReliableChangeRule(
        points=cast(float, points),
        direction=direction,
        inclusive=True,
        caseness=caseness,
        name=cast(str, name),
        source=" ".join(line for line in sources if "reliable_change" in line.split(":")[0]),
    )


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
