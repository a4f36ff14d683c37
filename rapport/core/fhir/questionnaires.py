"""FHIR R4 Questionnaire and QuestionnaireResponse documents: plain dicts, ready for json.dumps.

The total score is deliberately not put into the QuestionnaireResponse: a response holds what the
respondent answered, and derived values belong to an Observation (code = the instrument's
`loinc_total`, for example 44261-6 for the PHQ-9, with `derivedFrom` pointing at the response),
as FHIR's guidance on questionnaire scores describes. That keeps the response valid against the
Questionnaire, whose items are only the questions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rapport.core.instruments import Instrument, clean_answers, item_text

RESPONSE_STATUSES = frozenset(
    {"in-progress", "completed", "amended", "entered-in-error", "stopped"}
)
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def absolute(name: str, base: str) -> str:
    """One of Rapport's own relative names ("Questionnaire/phq9") under the FHIR base; any
    other URL (LOINC's, HL7's, a licensed instrument's own) as it is."""
    return name if _ABSOLUTE.match(name) else f"{base}/{name}"


def _absolute_names(value: Any, base: str) -> Any:
    """A copy of `value` in which every `url` and `system` is absolute: Rapport's own under the
    base. (Only Rapport's own are relative: reading a definition refuses any other.)"""
    if isinstance(value, Mapping):
        return {
            key: absolute(inner, base)
            if key in ("url", "system") and isinstance(inner, str)
            else _absolute_names(inner, base)
            for key, inner in value.items()
        }
    if isinstance(value, list):
        return [_absolute_names(inner, base) for inner in value]
    return value


def canonical(instrument: Instrument, base: str) -> str:
    """The Questionnaire's canonical URL with its version: `url|version`."""
    return f"{absolute(instrument.questionnaire['url'], base)}|{instrument.version}"


# The language the instruments are written in; a form shown in another was translated.
SOURCE_LANGUAGE = "en"


def questionnaire_json(instrument: Instrument, base: str) -> dict[str, Any]:
    """The instrument's FHIR R4 Questionnaire, its own names under the FHIR base `base` (a copy;
    it always carries url and version)."""
    document: dict[str, Any] = _absolute_names(instrument.questionnaire, base)
    document["version"] = instrument.version
    return document


def questionnaire_id(instrument: Instrument) -> str:
    """The id of one version of an instrument's Questionnaire within an export: versions of one
    instrument are different resources, each its own canonical `url|version`."""
    raw = f"rapport-questionnaire-{instrument.id}-{instrument.version}"
    return re.sub(r"[^A-Za-z0-9\-.]", "-", raw)[:64]


def questionnaire_resource(instrument: Instrument, base: str) -> dict[str, Any]:
    """The Questionnaire as an export carries it: under the id of its version."""
    document = questionnaire_json(instrument, base)
    document["id"] = questionnaire_id(instrument)
    return document


def questionnaire_response_json(
    instrument: Instrument,
    answers: Mapping[str, object],
    *,
    response_id: str,
    subject_reference: str,
    authored: datetime,
    base: str,
    status: str = "completed",
    context: Mapping[str, str] | None = None,
    language: str = SOURCE_LANGUAGE,
) -> dict[str, Any]:
    """A FHIR R4 QuestionnaireResponse for one administration.

    `language` is the one the form was shown in: one other than the instrument's own (English)
    is stated as the resource's language, so that scores from a translated form stand out.

    Choice answers become valueCoding (the option's system, code and display), sliders
    valueInteger, free text valueString; unanswered items are left out. `context` fills in
    template items (for goal progress: {"goal": "<the goal's words>"}) in the item text; `base`
    is the FHIR base that Rapport's own names (the canonical, answer code systems) go under.
    Raises ValueError for a bad status, id, reference or a naive `authored`, and AnswerError
    (a ValueError) for answers the instrument does not allow.
    """
    if status not in RESPONSE_STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(sorted(RESPONSE_STATUSES))}")
    if not _FHIR_ID.fullmatch(response_id):
        raise ValueError("response_id must be 1-64 letters, digits, '-' or '.'")
    if not subject_reference.strip():
        raise ValueError("subject_reference is empty")
    if authored.tzinfo is None or authored.utcoffset() is None:
        raise ValueError("authored must carry a time zone (FHIR dateTime with a time needs one)")
    cleaned = clean_answers(instrument, answers)
    items: list[dict[str, Any]] = []
    for item in instrument.items:
        value = cleaned[item.link_id]
        if value is None:
            continue
        answer: dict[str, Any]
        if item.kind == "choice":
            option = item.option(int(value))
            if option is None:  # cannot happen: clean_answers accepted the value
                raise ValueError(f"item '{item.link_id}' has no answer {value}")
            coding: dict[str, Any] = {"code": option.code, "display": option.label}
            if option.system:
                coding = {"system": absolute(option.system, base), **coding}
            answer = {"valueCoding": coding}
        elif item.kind == "slider":
            answer = {"valueInteger": int(value)}
        else:
            answer = {"valueString": str(value)}
        items.append({"linkId": item.link_id, "text": item_text(item, context), "answer": [answer]})
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": response_id,
        "questionnaire": canonical(instrument, base),
        "status": status,
        "subject": {"reference": subject_reference},
        "authored": authored.isoformat(),
    }
    if language != SOURCE_LANGUAGE:
        response["language"] = language
    if items:
        response["item"] = items
    return response
