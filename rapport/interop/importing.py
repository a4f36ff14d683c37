"""Reading a FHIR R4 import and checking all of it before anything is stored.

`read_import` reads a collection Bundle (a JSON file) or a Bulk-data style folder of NDJSON
files; `plan_import` checks every resource (the fhir.resources R4B models, then Rapport's own
rules) and makes the plan of what would be stored, listing every problem with its resource and
path. Nothing here writes: rapport.interop.services.fhir_import stores a plan without problems.

What is imported so far: a client's own QuestionnaireResponses for an instrument Rapport knows,
attached to the episode of that client (a client of the practice, named by the id Rapport's
export gives it) that was open when they answered. The questionnaire is matched by its canonical
URL (Rapport's own, or the instrument's) or by the LOINC code of the questionnaire (a LOINC
canonical, or the code of the Questionnaire resource sent along), its items by linkId or by
their LOINC code; Rapport scores the answers itself and never reads a total that was sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from rapport.care.models import Episode
from rapport.core.fhir.questionnaires import absolute
from rapport.core.instruments import Instrument, clean_answers, score, validate_answers
from rapport.measures.models import Response
from rapport.measures.registry import instruments_for
from rapport.people.models import Client

RAPPORT_CLIENT = re.compile(r"Patient/rapport-client-(\d+)")
LOINC_CANONICAL = re.compile(r"https?://loinc\.org/q/(\d{1,8}-\d)")
KNOWN_TYPES = frozenset(
    {
        "Organization",
        "Practitioner",
        "PractitionerRole",
        "Patient",
        "RelatedPerson",
        "EpisodeOfCare",
        "Encounter",
        "Questionnaire",
        "QuestionnaireResponse",
        "Observation",
        "Condition",
        "CarePlan",
        "Goal",
        "DetectedIssue",
        "Flag",
        "Consent",
        "Provenance",
    }
)


@dataclass(frozen=True)
class Problem:
    resource: str  # "QuestionnaireResponse/abc", or the file and line for what could not be read
    path: str  # where in the resource, "" for the whole of it
    message: str

    def __str__(self) -> str:
        where = f"{self.resource} {self.path}".strip()
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class PlannedResponse:
    source: str  # "QuestionnaireResponse/<id>"
    client_pk: int
    episode_pk: int
    instrument: Instrument
    answers: dict[str, Any]
    authored: datetime
    total: float | None  # Rapport's own score of the answers


@dataclass
class ImportPlan:
    responses: list[PlannedResponse] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)
    # Resources read and checked but not stored yet by this import (see the module's note).
    not_stored: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def read_import(path: Path) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The resources of a Bundle file or an NDJSON folder, and what could not be read."""
    problems: list[Problem] = []
    if path.is_dir():
        found: list[dict[str, Any]] = []
        files = sorted(path.glob("*.ndjson"))
        if not files:
            problems.append(Problem(str(path), "", "no .ndjson file in this folder"))
        for file in files:
            for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError as error:
                    problems.append(Problem(f"{file.name} line {number}", "", error.msg))
        return found, problems
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        return [], [Problem(path.name, f"line {error.lineno}", f"not JSON: {error.msg}")]
    return bundle_resources(document, path.name)


def bundle_resources(document: object, name: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The resources of a Bundle already read (a file's, or the body of an API call)."""
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        return [], [Problem(name, "resourceType", "a Bundle (or an NDJSON folder) is needed")]
    entries = document.get("entry") or []
    if not isinstance(entries, list):
        return [], [Problem(name, "entry", "a Bundle's entries are a list")]
    return [e["resource"] for e in entries if isinstance(e, dict) and "resource" in e], []


def _name(resource: Any, position: int) -> str:
    if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
        return f"{resource['resourceType']}/{resource.get('id', f'#{position}')}"
    return f"resource #{position}"


def _validated(resources: list[dict[str, Any]], problems: list[Problem]) -> None:
    from fhir.resources.R4B import get_fhir_model_class  # noqa: PLC0415 -- heavy: for an import only

    for position, resource in enumerate(resources, 1):
        name = _name(resource, position)
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if kind not in KNOWN_TYPES:
            problems.append(Problem(name, "resourceType", f"{kind!r} is not a type Rapport reads"))
            continue
        try:
            get_fhir_model_class(str(kind)).model_validate(resource)
        except ValidationError as error:
            for detail in error.errors():
                where = ".".join(str(part) for part in detail["loc"])
                problems.append(Problem(name, where, detail["msg"]))


def _items(items: list[dict[str, Any]], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every answered item, groups opened, with its path in the response."""
    for index, item in enumerate(items):
        here = f"{path}[{index}]"
        yield here, item
        yield from _items(item.get("item") or [], f"{here}.item")


class _Matcher:
    def __init__(self, practice_id: int, base: str, resources: list[dict[str, Any]]) -> None:
        self.instruments = instruments_for(practice_id)
        self.base = base
        # The Questionnaires sent along, by canonical URL: their LOINC code names the instrument.
        self.sent = {
            str(r.get("url")): r
            for r in resources
            if isinstance(r, dict) and r.get("resourceType") == "Questionnaire" and r.get("url")
        }

    def instrument(self, canonical: str) -> Instrument | None:
        url = canonical.split("|", 1)[0]
        for instrument in self.instruments:
            if absolute(instrument.questionnaire["url"], self.base) == url:
                return instrument
        loinc = LOINC_CANONICAL.fullmatch(url)
        codes = {loinc.group(1)} if loinc else set()
        for coding in (self.sent.get(url) or {}).get("code") or []:
            if coding.get("system") == "http://loinc.org" and coding.get("code"):
                codes.add(str(coding["code"]))
        return next((i for i in self.instruments if i.loinc_panel and i.loinc_panel in codes), None)


def _answers(
    response: dict[str, Any], instrument: Instrument, name: str, problems: list[Problem]
) -> dict[str, Any]:
    by_link = {item.link_id: item for item in instrument.items}
    by_loinc = {item.loinc: item for item in instrument.items if item.loinc}
    answers: dict[str, Any] = {}
    for path, sent in _items(response.get("item") or [], "item"):
        link = str(sent.get("linkId", ""))
        item = by_link.get(link) or by_loinc.get(link.strip("/").split("/")[-1])
        if item is None:
            if link.strip("/").split("/")[-1] == instrument.loinc_total or not sent.get("answer"):
                continue  # a sent total is never read: Rapport scores the answers itself
            problems.append(
                Problem(name, f"{path}.linkId", f"{link!r} is not an item of {instrument.title}")
            )
            continue
        values = sent.get("answer") or []
        if not values:
            continue
        value = values[0]
        if "valueCoding" in value:
            code = value["valueCoding"].get("code")
            option = next((o for o in item.options if o.code == code), None)
            if option is None:
                problems.append(
                    Problem(
                        name, f"{path}.answer[0]", f"{code!r} is not an answer of {item.link_id}"
                    )
                )
                continue
            answers[item.link_id] = option.value
        elif "valueInteger" in value or "valueDecimal" in value:
            answers[item.link_id] = value.get("valueInteger", value.get("valueDecimal"))
        elif "valueString" in value:
            answers[item.link_id] = value["valueString"]
        else:
            problems.append(
                Problem(name, f"{path}.answer[0]", "an answer of a kind Rapport does not read")
            )
    for link_id, message in validate_answers(instrument, answers).items():
        problems.append(Problem(name, "item", f"{link_id}: {message}"))
    return answers


def _episode(client: Client, authored: datetime) -> Episode | None:
    day = authored.date()
    return (
        Episode.objects.filter(client=client, start_date__lte=day)
        .exclude(end_date__lt=day)
        .order_by("-start_date", "-pk")
        .first()
    )


def plan_import(resources: list[dict[str, Any]], practice_id: int, base: str) -> ImportPlan:
    """Check every resource and plan what would be stored; problems are listed, never raised."""
    plan = ImportPlan()
    _validated(resources, plan.problems)
    matcher = _Matcher(practice_id, base, resources)
    for position, resource in enumerate(resources, 1):
        if not isinstance(resource, dict):
            continue
        kind = str(resource.get("resourceType"))
        if kind != "QuestionnaireResponse":
            plan.not_stored[kind] = plan.not_stored.get(kind, 0) + 1
            continue
        name = _name(resource, position)
        _plan_response(resource, name, practice_id, matcher, plan)
    return plan


def _plan_response(
    resource: dict[str, Any], name: str, practice_id: int, matcher: _Matcher, plan: ImportPlan
) -> None:
    problems = plan.problems
    if resource.get("status") not in ("completed", "amended"):
        problems.append(Problem(name, "status", "only completed responses are imported"))
        return
    instrument = matcher.instrument(str(resource.get("questionnaire", "")))
    if instrument is None:
        problems.append(
            Problem(
                name, "questionnaire", "no instrument of this practice has this URL or LOINC code"
            )
        )
        return
    if instrument.respondent != "client":
        problems.append(
            Problem(name, "questionnaire", "only the client's own forms are imported so far")
        )
        return
    author = str((resource.get("author") or {}).get("reference", ""))
    subject = str((resource.get("subject") or {}).get("reference", ""))
    if author and author != subject:
        problems.append(
            Problem(name, "author", "only answers the client gave themselves are imported so far")
        )
        return
    matched = RAPPORT_CLIENT.fullmatch(subject)
    client = (
        Client.objects.filter(pk=int(matched.group(1)), practice_id=practice_id).first()
        if matched
        else None
    )
    if client is None:
        problems.append(
            Problem(name, "subject", f"{subject or 'nothing'} is not a client of this practice")
        )
        return
    try:
        authored = datetime.fromisoformat(str(resource.get("authored")))
    except ValueError:
        authored = None
    if authored is None or authored.tzinfo is None:
        problems.append(Problem(name, "authored", "a date and time with its time zone is needed"))
        return
    episode = _episode(client, authored)
    if episode is None:
        problems.append(
            Problem(name, "authored", "the client had no episode of care open that day")
        )
        return
    before = len(problems)
    answers = _answers(resource, instrument, name, problems)
    if len(problems) > before:
        return
    cleaned = clean_answers(instrument, answers)
    if Response.objects.filter(
        episode=episode, instrument_id=instrument.id, completed_at=authored, answers=cleaned
    ).exists():
        plan.already_there.append(name)
        return
    plan.responses.append(
        PlannedResponse(
            source=name,
            client_pk=client.pk,
            episode_pk=episode.pk,
            instrument=instrument,
            answers=answers,
            authored=authored,
            total=score(instrument, cleaned).total,
        )
    )
