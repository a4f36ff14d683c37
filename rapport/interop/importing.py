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
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_noop
from pydantic import ValidationError

from rapport.core.fhir.questionnaires import absolute
from rapport.core.instruments import Instrument, clean_answers, score, validate_answers
from rapport.interop import record_plans, records
from rapport.interop.records import (
    NOT_STORED,
    Key,
    Planned,
    Problem,
    Reading,
    key_of,
    moment,
)
from rapport.measures.models import Response
from rapport.measures.registry import instruments_for

__all__ = [
    "ImportPlan",
    "PlannedResponse",
    "Problem",
    "import_summary",
    "plan_import",
    "read_import",
]

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
class PlannedResponse:
    source: str  # "QuestionnaireResponse/<id>"
    key: Key
    client: Key
    episode: Key
    instrument: Instrument
    respondent: str  # client, guardian or therapist: who answered
    author: Key | None  # the guardian's RelatedPerson or the therapist's Practitioner
    encounter: Key | None
    answers: dict[str, Any]
    authored: datetime
    total: float | None  # Rapport's own score of the answers
    language: str = "en"
    # Its risk answers open an alert, unless an alert of the import was raised by it.
    raises_alerts: bool = True


@dataclass
class ImportPlan:
    responses: list[PlannedResponse] = field(default_factory=list)
    # The other records the import would make, in the order they are stored.
    records: list[Planned] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)
    # Resources read and checked but stored as no record (see rapport.interop.records).
    not_stored: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Where each resource sent came from (see rapport.interop.records.Identities), and this
    # server's own FHIR base: storing remembers each record under its source.
    sources: dict[Key, str] = field(default_factory=dict)
    base: str = ""


# The request of a Bulk-data manifest: the FHIR base of the server that wrote the NDJSON.
EXPORT_REQUEST = re.compile(
    r"(https?://[^?#\s]+?)(?:/(?:Patient|Group)(?:/[^/?#\s]+)?)?/\$(?:export|everything)(?:[?#].*)?"
)
MANIFEST = "manifest.json"


def manifest_source(folder: Path) -> str:
    """The FHIR base an NDJSON folder says it came from (its Bulk-data manifest's request), ""
    where it has no manifest or names no base."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return ""
    request = manifest.get("request") if isinstance(manifest, dict) else None
    found = EXPORT_REQUEST.fullmatch(str(request or ""))
    return found.group(1) if found else ""


def entry_source(entry: dict[str, Any], resource: dict[str, Any]) -> str:
    """The FHIR base an entry's fullUrl puts its resource under ("https://x/fhir" of
    "https://x/fhir/Patient/abc"), "" where it names none (no fullUrl, or a urn:uuid)."""
    url = str(entry.get("fullUrl") or "")
    tail = f"/{resource.get('resourceType')}/{resource.get('id')}"
    if resource.get("id") and re.match(r"https?://", url) and url.endswith(tail):
        return url[: -len(tail)]
    return ""


def read_import(path: Path) -> tuple[list[dict[str, Any]], list[str], list[Problem]]:
    """The resources of a Bundle file or an NDJSON folder, the source of each (see
    rapport.interop.records.Identities), and what could not be read."""
    problems: list[Problem] = []
    if path.is_dir():
        found: list[dict[str, Any]] = []
        files = sorted(path.glob("*.ndjson"))
        if not files:
            problems.append(Problem(str(path), "", gettext_noop("no .ndjson file in this folder")))
        for file in files:
            for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    found.append(json.loads(line))
                except json.JSONDecodeError as error:
                    problems.append(Problem(f"{file.name} line {number}", "", error.msg))
        return found, [manifest_source(path)] * len(found), problems
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}"
        # The reader's own language frames the JSON parser's words, which are English only.
        return (
            [],
            [],
            [Problem(path.name, where, gettext_noop("not JSON: %(error)s"), {"error": error.msg})],
        )
    return bundle_resources(document, path.name)


def bundle_resources(
    document: object, name: str
) -> tuple[list[dict[str, Any]], list[str], list[Problem]]:
    """The resources of a Bundle already read (a file's, or the body of an API call), with the
    source each entry's fullUrl names."""
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        needed = gettext_noop("a Bundle (or an NDJSON folder) is needed")
        return [], [], [Problem(name, "resourceType", needed)]
    entries = document.get("entry") or []
    if not isinstance(entries, list):
        return [], [], [Problem(name, "entry", gettext_noop("a Bundle's entries are a list"))]
    kept = [e for e in entries if isinstance(e, dict) and "resource" in e]
    sources = [
        entry_source(e, e["resource"]) if isinstance(e["resource"], dict) else "" for e in kept
    ]
    return [e["resource"] for e in kept], sources, []


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
            problems.append(
                Problem(
                    name,
                    "resourceType",
                    gettext_noop("%(kind)s is not a type Rapport reads"),
                    {"kind": repr(kind)},
                )
            )
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
                Problem(
                    name,
                    f"{path}.linkId",
                    gettext_noop("%(link)s is not an item of %(form)s"),
                    {"link": repr(link), "form": instrument.title},
                )
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
                        name,
                        f"{path}.answer[0]",
                        gettext_noop("%(code)s is not an answer of %(item)s"),
                        {"code": repr(code), "item": item.link_id},
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
                Problem(
                    name,
                    f"{path}.answer[0]",
                    gettext_noop("an answer of a kind Rapport does not read"),
                )
            )
    for link_id, message in validate_answers(instrument, answers).items():
        problems.append(
            Problem(name, "item", "%(item)s: %(problem)s", {"item": link_id, "problem": message})
        )
    return answers


# The order records are planned (and stored) in: each after those it refers to.
PLANNERS = (
    records.plan_practitioners,
    records.plan_clients,
    records.plan_guardians,
    records.plan_episodes,
    records.plan_problems,
    records.plan_sessions,
)
RESPONDENT_OF = {"Patient": "client", "RelatedPerson": "guardian", "Practitioner": "therapist"}


def plan_import(
    resources: list[dict[str, Any]],
    practice_id: int,
    base: str,
    sources: list[str] | None = None,
) -> ImportPlan:
    """Check every resource and plan what would be stored; problems are listed, never raised.
    `sources`: the FHIR base each resource came from ("" or None: not named); Rapport's own ids
    are trusted only under `base`, this server's."""
    plan = ImportPlan(base=base)
    _validated(resources, plan.problems)
    named = sources if sources is not None else [""] * len(resources)
    reading = Reading(
        practice_id,
        [(r, s) for r, s in zip(resources, named, strict=True) if isinstance(r, dict)],
        base,
    )
    for planner in PLANNERS:
        planner(reading)
    matcher = _Matcher(practice_id, base, resources)
    raised_by = record_plans.plan_alerts(reading, plan.not_stored)
    for key, resource in reading.of("QuestionnaireResponse"):
        if reading.new(key):
            _plan_response(resource, key, matcher, reading, plan, key not in raised_by)
    record_plans.plan_versions(reading)
    record_plans.plan_goals(reading)
    for position, resource in enumerate(resources, 1):
        kind = str(resource.get("resourceType")) if isinstance(resource, dict) else ""
        if kind in NOT_STORED:
            plan.not_stored[kind] = plan.not_stored.get(kind, 0) + 1
        elif isinstance(resource, dict) and not resource.get("id"):
            plan.problems.append(
                Problem(
                    _name(resource, position),
                    "id",
                    gettext_noop("an id is needed to import it once"),
                )
            )
    plan.problems += reading.problems
    plan.records = list(reading.planned.values())
    plan.already_there = reading.already_there
    plan.sources = reading.sources
    return plan


def _plan_response(
    resource: dict[str, Any],
    key: Key,
    matcher: _Matcher,
    reading: Reading,
    plan: ImportPlan,
    raises_alerts: bool,
) -> None:
    name = f"{key[0]}/{key[1]}"
    problems = reading.problems
    if resource.get("status") not in ("completed", "amended"):
        problems.append(
            Problem(name, "status", gettext_noop("only completed responses are imported"))
        )
        return
    instrument = matcher.instrument(str(resource.get("questionnaire", "")))
    if instrument is None:
        problems.append(
            Problem(
                name,
                "questionnaire",
                gettext_noop("no instrument of this practice has this URL or LOINC code"),
            )
        )
        return
    client = reading.ref(key, resource, "subject", "Patient")
    author = key_of(resource.get("author"))
    respondent = RESPONDENT_OF.get(author[0], "") if author else "client"
    if author is not None and author[0] == "Patient" and author != client:
        problems.append(
            Problem(name, "author", gettext_noop("a client answers their own forms only"))
        )
        return
    if respondent != instrument.respondent:
        answered_by = {
            "client": gettext_noop("%(form)s is answered by the client"),
            "guardian": gettext_noop("%(form)s is answered by a guardian"),
            "therapist": gettext_noop("%(form)s is answered by a therapist"),
        }
        words = answered_by[instrument.respondent]
        problems.append(Problem(name, "author", words, {"form": instrument.title}))
        return
    if author is not None and respondent != "client" and not reading.ids.resolves(author):
        problems.append(
            Problem(
                name,
                "author",
                gettext_noop("%(record)s is not in this import"),
                {"record": f"{author[0]}/{author[1]}"},
            )
        )
        return
    encounter = key_of(resource.get("encounter"))
    if encounter is not None and not reading.ids.resolves(encounter):
        problems.append(
            Problem(name, "encounter", gettext_noop("this Encounter is not in this import"))
        )
        return
    authored = moment(resource.get("authored"))
    if authored is None:
        problems.append(
            Problem(name, "authored", gettext_noop("a date and time with its time zone is needed"))
        )
        return
    if client is None:
        return
    episode = (
        records.episode_of_session(reading, encounter) if encounter is not None else None
    ) or records.open_episode(reading, client, authored)
    if episode is None:
        problems.append(
            Problem(
                name, "authored", gettext_noop("the client had no episode of care begun by then")
            )
        )
        return
    before = len(problems)
    answers = _answers(resource, instrument, name, problems)
    if len(problems) > before:
        return
    cleaned = clean_answers(instrument, answers)
    stored = reading.ids.existing(episode)
    if (
        stored is not None
        and Response.objects.filter(
            episode_id=stored, instrument_id=instrument.id, completed_at=authored, answers=cleaned
        ).exists()
    ):
        plan.already_there.append(name)
        return
    plan.responses.append(
        PlannedResponse(
            source=name,
            key=key,
            client=client,
            episode=episode,
            instrument=instrument,
            respondent=respondent,
            author=author if respondent != "client" else None,
            encounter=encounter,
            answers=answers,
            authored=authored,
            total=score(instrument, cleaned).total,
            language=str(resource.get("language") or "en")[:8],
            raises_alerts=raises_alerts,
        )
    )


def import_summary(plan: ImportPlan, *, dry_run: bool) -> list[str]:
    """What an import stores (or would), a line a record, then the totals: the command's output
    and the admin page's dry run alike."""
    lines = source_lines(plan)
    verb = "Would create" if dry_run else "Creating"
    lines += [f"{verb} {p.key[0]}/{p.key[1]}: {p.what}" for p in plan.records]
    verb = "Would store" if dry_run else "Storing"
    lines += [
        f"{verb} {p.source}: {p.instrument.id} of {p.client[0]}/{p.client[1]}, scored {p.total}"
        for p in plan.responses
    ]
    for kind, count in sorted(plan.not_stored.items()):
        why = NOT_STORED.get(kind)
        lines.append(f"Not stored: {count} {kind}" + (f" ({why})" if why else ""))
    stored, created = ("would be stored", "would be created") if dry_run else ("stored", "created")
    lines.append(
        f"{len(plan.responses)} responses {stored}, {len(plan.records)} other records {created}; "
        f"{len(plan.already_there)} already there"
    )
    return lines


def source_lines(plan: ImportPlan) -> list[str]:
    """Where the resources came from, and so how they are matched to records already here."""
    counted = Counter(plan.sources.values())
    lines = []
    for source, count in sorted(counted.items(), key=lambda pair: (pair[0] != plan.base, pair)):
        if source == plan.base:
            lines.append(
                f"From this server ({source}): {count} resources; those of this practice's "
                "records are matched by their ids"
            )
        elif source:
            lines.append(
                f"From another server ({source}): {count} resources; matched only to what an "
                "earlier import from it stored, the others created"
            )
        else:
            lines.append(
                f"From a source the file does not name: {count} resources; matched only to what "
                "an earlier import of such a file stored, the others created"
            )
    return lines
