"""Whole records from a FHIR import: who each resource is, and what each new one becomes.

A resource is known by its source, type and id ("Patient/abc" of https://elsewhere/fhir). One
is already there when an earlier import of that source stored it
(rapport.interop.models.ImportedResource remembers it for the practice), or when it comes from
this server (under our own FHIR base) and its id is Rapport's own for a record of this practice
(an export of this practice brought back); see Identities. Everything else is planned here as
a `Planned` record: the values its model takes and the references it needs, read from the
resource and checked, every problem listed with its resource and path. Nothing here writes;
rapport.interop.services stores a plan without problems, all of it in one transaction.

How each resource type is read (and which are not stored, and why):
- Practitioner (with its PractitionerRole): the staff account of this practice with the same
  email; otherwise a new staff account that is inactive and has no usable password, so nobody
  can sign in with it until an admin invites them (an import never makes a login silently).
  An email that is another practice's account, or nobody's staff, is a problem.
- Patient: a client (without a portal login). RelatedPerson: a guardian link, its guardian an
  inactive account without a password as above; the guardian's Consent says what the link shares.
- EpisodeOfCare: an episode (its diagnoses' ranks the problems' priorities). Condition: a
  problem of the episode whose diagnoses list it. Encounter: a session.
- QuestionnaireResponse: a response, scored by Rapport (rapport.interop.importing).
- CarePlan and Goal: plan versions (a chain of `replaces`) and their goals; Provenance and the
  goals' acceptance extension: the client's or guardian's answers to a version.
- DetectedIssue: an alert of a kind Rapport knows (with its Flag, which says the same).
- Not stored: Observation (scores are Rapport's own, recomputed from the answers, never
  trusted); Questionnaire (read only to match an instrument); Organization (the practice is the
  one imported into).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from rapport.accounts.models import STAFF_ROLES, Role, User
from rapport.alerts.models import Alert
from rapport.care.models import Episode, Session
from rapport.core.fhir import codes
from rapport.core.fhir.resources import ID_PREFIXES
from rapport.interop.models import ImportedResource
from rapport.measures.models import Response
from rapport.people.models import Client, GuardianLink
from rapport.plans.models import PlanDecision, PlanVersion
from rapport.plans.models import PlanGoal as Goal
from rapport.plans.models import Problem as ProblemItem
from rapport.practices.models import Practice

Key = tuple[str, str]  # (resource type, id in the source)

# Read, but stored as no record of their own: why, for the dry run and the command's summary.
NOT_STORED = {
    "Observation": "scores are recomputed from the answers, never taken as sent",
    "Questionnaire": "read to match an instrument Rapport knows, not stored",
    "Organization": "the practice imported into",
}
# Read into another resource's record (and remembered, so a second import skips them too).
FOLDED = {"PractitionerRole": "Practitioner", "Consent": "RelatedPerson", "Flag": "DetectedIssue"}

# Where Rapport's own id of each kind points, and how that record belongs to a practice.
OWN: dict[str, tuple[type[models.Model], str]] = {
    "Organization": (Practice, "pk"),
    "Practitioner": (User, "practice_id"),
    "PractitionerRole": (User, "practice_id"),
    "Patient": (Client, "practice_id"),
    "RelatedPerson": (GuardianLink, "client__practice_id"),
    "Consent": (GuardianLink, "client__practice_id"),
    "EpisodeOfCare": (Episode, "practice_id"),
    "Encounter": (Session, "episode__practice_id"),
    "Condition": (ProblemItem, "episode__practice_id"),
    "QuestionnaireResponse": (Response, "episode__practice_id"),
    "Observation": (Response, "episode__practice_id"),
    "CarePlan": (PlanVersion, "episode__practice_id"),
    "Goal": (Goal, "version__episode__practice_id"),
    "Provenance": (PlanDecision, "version__episode__practice_id"),
    "DetectedIssue": (Alert, "practice_id"),
    "Flag": (Alert, "practice_id"),
}
OWN_ID = {kind: re.compile(re.escape(prefix) + r"-(\d+)") for kind, prefix in ID_PREFIXES.items()}

EPISODE_STATUS = {
    "planned": "active",
    "waitlist": "active",
    "active": "active",
    "onhold": "on_hold",
    "finished": "closed",
    "cancelled": "closed",
}
PROBLEM_STATUS = {"active": "active", "recurrence": "active", "relapse": "active"}
PROBLEM_STATUS |= {"inactive": "dropped", "remission": "resolved", "resolved": "resolved"}
# An Encounter that did not take place says no more than "cancelled": whose choice it was (or a
# missed appointment) is not in R4, so it comes back as cancelled by the client.
ATTENDANCE = {"planned": "scheduled", "finished": "attended", "cancelled": "cancelled_client"}
RELATIONSHIPS = {code: kind for kind, (code, _) in codes.RELATIONSHIP_CODES.items()}
SHARING = {
    "client-answers": "may_see_client_answers",
    "client-free-text": "may_see_client_free_text",
    "plan-summary": "may_see_plan_summary",
    "schedule": "may_see_schedule",
}


@dataclass
class Planned:
    """One record an import would make: its model's values and the resources it refers to."""

    kind: str  # the resource type it is read from
    key: Key
    what: str  # plain words for the dry run: "client Ana Ruiz"
    values: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, Key] = field(default_factory=dict)
    # Resources read into this one, remembered with it (a PractitionerRole, a Consent, a Flag).
    folded: list[Key] = field(default_factory=list)


def key_of(reference: object) -> Key | None:
    """("Patient", "abc") from "Patient/abc" or a full URL ending so; None for anything else."""
    if not isinstance(reference, dict):
        return None
    text = str(reference.get("reference") or "").split("/_history/")[0]
    parts = text.rstrip("/").split("/")
    if len(parts) < 2 or not parts[-2][:1].isupper() or not parts[-1]:
        return None
    return parts[-2], parts[-1]


def name_of(key: Key) -> str:
    return f"{key[0]}/{key[1]}"


class Identities:
    """Which resources are already there, as which record; and those made as an import goes.

    A resource sent is known by its source (the FHIR base its entry's fullUrl is under, "" where
    the file names none) with its type and id. Rapport's own ids ("rapport-client-7") are
    trusted only for what this server sent: a resource under our own FHIR base. Any other
    source (another Rapport server's file, whose ids may happen to name records here) is
    matched only to what an earlier import of that same source stored, and otherwise created.
    A reference to a resource not sent along names a record here by our id only where the
    import names no other server: a form tool's response refers to the client by the id
    Rapport gave it; another server's file refers to its own records."""

    def __init__(self, practice_id: int, sent: Mapping[Key, str], base: str) -> None:
        self.practice_id = practice_id
        self.sent = dict(sent)
        self.base = base
        self.foreign = sorted({source for source in self.sent.values() if source not in ("", base)})
        self.known = {
            (row.source, row.resource_type, row.source_id): row.object_id
            for row in ImportedResource.objects.filter(practice_id=practice_id)
        }
        self.made: dict[Key, int] = {}
        self._own: dict[Key, int | None] = {}
        self._own_records(key for key, source in self.sent.items() if source == base)

    def source_of(self, key: Key) -> str:
        return self.sent.get(key, "")

    def _own_records(self, keys: Iterable[Key]) -> None:
        """Which of `keys` carry Rapport's own id for a record of this practice: a query a
        type, however many resources."""
        wanted: dict[str, dict[int, Key]] = {}
        for key in keys:
            pattern = OWN_ID.get(key[0])
            matched = pattern.fullmatch(key[1]) if pattern and key[0] in OWN else None
            self._own[key] = None
            if matched is not None:
                wanted.setdefault(key[0], {})[int(matched.group(1))] = key
        for kind, by_pk in wanted.items():
            model, path = OWN[kind]
            found = model._default_manager.filter(
                pk__in=list(by_pk), **{path: self.practice_id}
            ).values_list("pk", flat=True)
            for pk in found:
                self._own[by_pk[pk]] = pk

    def _own_record(self, key: Key) -> int | None:
        if key not in self._own:
            self._own_records([key])
        return self._own[key]

    def existing(self, key: Key) -> int | None:
        if key[0].startswith("pk:"):  # a record found by other means (an open episode)
            return int(key[1])
        if key in self.made:
            return self.made[key]
        if key in self.sent:
            source = self.sent[key]
            found = self.known.get((source, *key))
            if found is None and source == self.base:
                found = self._own_record(key)
            return found
        for source in self.foreign or [self.base, ""]:
            found = self.known.get((source, *key))
            if found is not None:
                return found
        return None if self.foreign else self._own_record(key)

    def resolves(self, key: Key | None) -> bool:
        return key is not None and (key in self.sent or self.existing(key) is not None)


# --- Reading values ---------------------------------------------------------------------------


def moment(value: object) -> datetime | None:
    """A date and time with its zone (a date alone is not enough for a record's moment)."""
    try:
        found = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def codings(concept: object) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def own_code(concept: object, name: str) -> str | None:
    """The code of one of Rapport's own code systems (under any base) in a concept."""
    for coding in codings(concept):
        if str(coding.get("system", "")).endswith(f"/CodeSystem/{name}"):
            return str(coding.get("code", ""))
    return None


def person_name(resource: dict[str, Any], use: str | None = None) -> str:
    for name in resource.get("name") or []:
        if use is not None and name.get("use") != use:
            continue
        words = name.get("text") or " ".join([*name.get("given", []), name.get("family", "")])
        if str(words).strip():
            return str(words).strip()
    return ""


def telecom(resource: dict[str, Any], system: str) -> str:
    for contact in resource.get("telecom") or []:
        if contact.get("system") == system and contact.get("value"):
            return str(contact["value"]).strip()
    return ""


@dataclass(frozen=True)
class Problem:
    resource: str  # "QuestionnaireResponse/abc", or the file and line for what could not be read
    path: str  # where in the resource, "" for the whole of it
    # In English with %(name)s placeholders, marked for the catalogue: the page says it in its
    # reader's language (`said`); the command line and the API in English (`message`).
    words: str
    values: Mapping[str, object] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.words % self.values if self.values else self.words

    def said(self) -> str:
        """The problem in the reader's language."""
        return gettext(self.words) % self.values if self.values else gettext(self.words)

    def __str__(self) -> str:
        where = f"{self.resource} {self.path}".strip()
        return f"{where}: {self.message}"


class Reading:
    """What planning an import shares: the resources by key, who is already there, what is
    planned so far, and the problems."""

    def __init__(self, practice_id: int, sent: list[tuple[dict[str, Any], str]], base: str) -> None:
        """`sent`: each resource with its source (see Identities)."""
        self.practice_id = practice_id
        self.by_key: dict[Key, dict[str, Any]] = {}
        self.sources: dict[Key, str] = {}
        self.problems: list[Problem] = []
        for resource, source in sent:
            if isinstance(resource, dict) and resource.get("id"):
                key = (str(resource.get("resourceType")), str(resource["id"]))
                if key in self.by_key:
                    self.problem(key, "id", gettext_noop("is in this import twice"))
                self.by_key.setdefault(key, resource)
                self.sources.setdefault(key, source)
        self.ids = Identities(practice_id, self.sources, base)
        self.zone = zoneinfo.ZoneInfo(Practice.objects.get(pk=practice_id).time_zone)
        self.planned: dict[Key, Planned] = {}
        self.already_there: list[str] = []

    def problem(
        self, key: Key, path: str, words: str, values: Mapping[str, object] | None = None
    ) -> None:
        self.problems.append(Problem(name_of(key), path, words, values or {}))

    def of(self, kind: str) -> list[tuple[Key, dict[str, Any]]]:
        return [(key, r) for key, r in self.by_key.items() if key[0] == kind]

    def new(self, key: Key) -> bool:
        """Not there yet: to be planned. One already there is counted as such."""
        if self.ids.existing(key) is None:
            return True
        self.already_there.append(name_of(key))
        return False

    def ref(self, key: Key, resource: dict[str, Any], path: str, kind: str) -> Key | None:
        """The resource of type `kind` that `path` refers to, sent along or already there."""
        value: Any = resource
        for part in path.split("."):
            if isinstance(value, list):
                value = value[int(part)] if part.isdigit() and int(part) < len(value) else None
            elif isinstance(value, dict):
                value = value.get(part)
        target = key_of(value)
        if target is None or target[0] != kind:
            self.problem(
                key, path, gettext_noop("a reference to a %(kind)s is needed"), {"kind": kind}
            )
            return None
        if not self.ids.resolves(target):
            self.problem(
                key,
                path,
                gettext_noop("%(record)s is neither in this import nor stored"),
                {"record": name_of(target)},
            )
            return None
        return target

    def add(self, planned: Planned) -> None:
        self.planned[planned.key] = planned


# --- People ---------------------------------------------------------------------------------


def plan_practitioners(reading: Reading) -> None:
    roles: dict[Key, tuple[Key, str]] = {}
    for key, role in reading.of("PractitionerRole"):
        who = key_of(role.get("practitioner"))
        code = next((own_code(c, "staff-role") for c in role.get("code") or []), None)
        if who is not None:
            roles[who] = (key, code or "")
    taken: set[str] = set()
    for key, resource in reading.of("Practitioner"):
        role_key, code = roles.get(key, (None, ""))
        if not reading.new(key):
            if role_key is not None and reading.ids.existing(role_key) is None:
                reading.already_there.append(name_of(role_key))
            continue
        email = telecom(resource, "email").lower()
        if not email:
            reading.problem(
                key, "telecom", gettext_noop("an email address is needed to match or add staff")
            )
            continue
        if email in taken:
            reading.problem(
                key,
                "telecom",
                gettext_noop("%(email)s is another practitioner's in this import"),
                {"email": email},
            )
            continue
        taken.add(email)
        user = User.objects.filter(email__iexact=email).first()
        staff_role = code if code in (Role.CLINICIAN, Role.SUPERVISOR) else Role.CLINICIAN
        name = person_name(resource) or email
        planned = Planned("Practitioner", key, f"staff account {name} ({email})")
        if user is not None:
            if user.practice_id != reading.practice_id or user.role not in STAFF_ROLES:
                reading.problem(
                    key,
                    "telecom",
                    gettext_noop("%(email)s is an account outside this practice"),
                    {"email": email},
                )
                continue
            planned.what = f"staff account {user.full_name} ({email}), already here"
            planned.values = {"match": user.pk}
        else:
            planned.values = {"email": email, "full_name": name[:200], "role": staff_role}
        if role_key is not None:
            planned.folded.append(role_key)
        reading.add(planned)


def plan_clients(reading: Reading) -> None:
    for key, resource in reading.of("Patient"):
        if not reading.new(key):
            continue
        born = day(resource.get("birthDate"))
        full = person_name(resource, "official") or person_name(resource)
        if born is None:
            reading.problem(key, "birthDate", gettext_noop("a date of birth is needed"))
        if not full:
            reading.problem(key, "name", gettext_noop("a name is needed"))
        if born is None or not full:
            continue
        language = next(
            (
                str(c["language"].get("text") or "").strip()
                for c in resource.get("communication") or []
                if isinstance(c.get("language"), dict)
            ),
            "",
        )
        address = "\n".join(
            str(a.get("text") or "").strip() for a in resource.get("address") or []
        ).strip()
        values = {
            "full_name": full[:200],
            "preferred_name": person_name(resource, "usual")[:100],
            "date_of_birth": born,
            "email": telecom(resource, "email"),
            "phone": telecom(resource, "phone")[:40],
            "address": address,
            "preferred_language": language[:60] or "English",
            "status": "active" if resource.get("active", True) else "discharged",
        }
        reading.add(Planned("Patient", key, f"client {values['full_name']}", values))


def _consents(reading: Reading) -> dict[Key, tuple[Key, dict[str, Any]]]:
    """Each guardian's Consent (the RelatedPerson it permits the record to), by guardian."""
    found: dict[Key, tuple[Key, dict[str, Any]]] = {}
    for key, consent in reading.of("Consent"):
        provision = consent.get("provision") or {}
        for actor in provision.get("actor") or []:
            who = key_of(actor.get("reference"))
            if who is not None and who[0] == "RelatedPerson":
                found[who] = (key, consent)
    return found


def _relationship(resource: dict[str, Any]) -> str:
    labels = {str(label).lower(): value for value, label in GuardianLink.Relationship.choices}
    for concept in resource.get("relationship") or []:
        named = labels.get(str(concept.get("text", "")).lower())
        coded = [RELATIONSHIPS.get(str(c.get("code"))) for c in codings(concept)]
        found = named or next((c for c in coded if c), None)
        if found:
            return found
    return "other"


def plan_guardians(reading: Reading) -> None:
    consents = _consents(reading)
    for key, resource in reading.of("RelatedPerson"):
        consent_key, consent = consents.get(key, (None, {}))
        if not reading.new(key):
            if consent_key is not None and reading.ids.existing(consent_key) is None:
                reading.already_there.append(name_of(consent_key))
            continue
        client = reading.ref(key, resource, "patient", "Patient")
        email = telecom(resource, "email").lower()
        name = person_name(resource) or email
        if not email:
            reading.problem(
                key, "telecom", gettext_noop("an email address is needed to add a guardian")
            )
            continue
        user = User.objects.filter(email__iexact=email).first()
        if user is not None and (
            user.role != Role.GUARDIAN or user.practice_id != reading.practice_id
        ):
            reading.problem(
                key,
                "telecom",
                gettext_noop("%(email)s is an account that is not a guardian here"),
                {"email": email},
            )
            continue
        if client is None:
            continue
        values: dict[str, Any] = {
            "email": email,
            "full_name": name[:200],
            "match": user.pk if user else None,
            "relationship": _relationship(resource),
            "is_active": bool(resource.get("active", True)),
        }
        planned = Planned("RelatedPerson", key, f"guardian {name} ({email})", values)
        planned.refs["client"] = client
        if consent_key is not None:
            planned.folded.append(consent_key)
            values.update(_sharing(consent))
            values["created_at"] = moment(consent.get("dateTime"))
        reading.add(planned)


def _sharing(consent: dict[str, Any]) -> dict[str, bool]:
    """The parts of the record a guardian's Consent permits or denies (what it does not name
    keeps the link's default)."""
    shared: dict[str, bool] = {}
    for provision in (consent.get("provision") or {}).get("provision") or []:
        for concept in provision.get("code") or []:
            field_name = SHARING.get(own_code(concept, "guardian-sharing") or "")
            if field_name:
                shared[field_name] = provision.get("type") == "permit"
    return shared


# --- Care -----------------------------------------------------------------------------------


def plan_episodes(reading: Reading) -> None:
    for key, resource in reading.of("EpisodeOfCare"):
        if not reading.new(key):
            continue
        client = reading.ref(key, resource, "patient", "Patient")
        clinician = reading.ref(key, resource, "careManager", "Practitioner")
        period = resource.get("period") or {}
        start, end = day(period.get("start")), day(period.get("end"))
        status = EPISODE_STATUS.get(str(resource.get("status")))
        if start is None:
            reading.problem(
                key, "period.start", gettext_noop("the date the episode began is needed")
            )
        if status is None:
            reading.problem(
                key, "status", gettext_noop("an episode of care that took place is needed")
            )
        elif status == "closed" and end is None:
            reading.problem(
                key, "period.end", gettext_noop("a finished episode needs the date it ended")
            )
        if client is None or clinician is None or start is None or status is None:
            continue
        if status == "closed" and end is None:
            continue
        values: dict[str, Any] = {"start_date": start, "end_date": end, "status": status}
        # R4 says no more than "finished": the reason is Rapport's usual one.
        values["closure_reason"] = "completed" if status == "closed" else ""
        planned = Planned("EpisodeOfCare", key, f"episode from {start}", values)
        planned.refs = {"client": client, "clinician": clinician}
        reading.add(planned)


def diagnoses(reading: Reading) -> dict[Key, tuple[Key, int]]:
    """Each Condition's episode and rank, from the EpisodeOfCare that lists it."""
    found: dict[Key, tuple[Key, int]] = {}
    for key, episode in reading.of("EpisodeOfCare"):
        for index, diagnosis in enumerate(episode.get("diagnosis") or []):
            condition = key_of(diagnosis.get("condition"))
            if condition is not None:
                found[condition] = (key, int(diagnosis.get("rank") or index + 1))
    return found


def plan_problems(reading: Reading) -> None:
    listed = diagnoses(reading)
    for key, resource in reading.of("Condition"):
        if not reading.new(key):
            continue
        if key not in listed:
            reading.problem(
                key, "", gettext_noop("no EpisodeOfCare of this import lists it as a diagnosis")
            )
            continue
        episode, rank = listed[key]
        recorder = reading.ref(key, resource, "recorder", "Practitioner")
        text = str((resource.get("code") or {}).get("text") or "").strip()
        status_code = next(
            (str(c.get("code")) for c in codings(resource.get("clinicalStatus"))), "active"
        )
        if not text:
            reading.problem(key, "code.text", gettext_noop("the problem in words is needed"))
        if recorder is None or not text:
            continue
        values = {
            "title": text[:120],
            "client_words": text,
            "status": PROBLEM_STATUS.get(status_code, "active"),
            "priority": rank,
            "created_at": moment(resource.get("recordedDate")),
        }
        planned = Planned("Condition", key, f"problem {values['title']!r}", values)
        planned.refs = {"episode": episode, "recorder": recorder}
        reading.add(planned)


MODALITIES = frozenset({"in_person", "video", "phone", "text"})


def plan_sessions(reading: Reading) -> None:
    by_class = {"AMB": "in_person", "VR": "video"}
    for key, resource in reading.of("Encounter"):
        if not reading.new(key):
            continue
        episode = reading.ref(key, resource, "episodeOfCare.0", "EpisodeOfCare")
        clinician = reading.ref(key, resource, "participant.0.individual", "Practitioner")
        period = resource.get("period") or {}
        start, end = moment(period.get("start")), moment(period.get("end"))
        if start is None:
            reading.problem(
                key, "period.start", gettext_noop("a start with its time zone is needed")
            )
        if episode is None or clinician is None or start is None:
            continue
        minutes = (resource.get("length") or {}).get("value")
        if minutes is None:
            minutes = (end - start).total_seconds() // 60 if end is not None else 50
        if not 5 <= int(minutes) <= 480:
            reading.problem(
                key, "length", gettext_noop("a session lasts from 5 minutes to 8 hours")
            )
            continue
        coded = [own_code(t, "session-modality") for t in resource.get("type") or []]
        modality = next((m for m in coded if m in MODALITIES), None)
        modality = modality or by_class.get(str((resource.get("class") or {}).get("code")))
        values = {
            "scheduled_start": start,
            "duration_minutes": int(minutes),
            "modality": modality or "in_person",
            "attendance": ATTENDANCE.get(str(resource.get("status")), "scheduled"),
        }
        planned = Planned("Encounter", key, f"session on {start:%Y-%m-%d %H:%M}", values)
        planned.refs = {"episode": episode, "clinician": clinician}
        reading.add(planned)


def open_episode(reading: Reading, client: Key, when: datetime) -> Key | None:
    """The episode of a client (stored, or planned in this import) a moment belongs to: the
    one open that day in the practice's time zone (begun last, where two were), else the last
    begun before it (a form answered after discharge, at follow-up)."""
    on = timezone.localtime(when, reading.zone).date()
    found: list[tuple[date, date | None, Key]] = []
    pk = reading.ids.existing(client)
    if pk is not None:
        for episode in Episode.objects.filter(client_id=pk, practice_id=reading.practice_id):
            key = ("pk:EpisodeOfCare", str(episode.pk))
            found.append((episode.start_date, episode.end_date, key))
    for planned in reading.planned.values():
        if planned.kind == "EpisodeOfCare" and planned.refs["client"] == client:
            found.append((planned.values["start_date"], planned.values["end_date"], planned.key))
    begun = sorted((e for e in found if e[0] <= on), key=lambda e: e[0])
    open_then = [e for e in begun if e[1] is None or e[1] >= on]
    chosen = open_then or begun
    return chosen[-1][2] if chosen else None


def episode_of_session(reading: Reading, session: Key) -> Key | None:
    planned = reading.planned.get(session)
    if planned is not None:
        return planned.refs["episode"]
    pk = reading.ids.existing(session)
    if pk is None:
        return None
    found = Session.objects.filter(pk=pk).values_list("episode_id", flat=True).first()
    return ("pk:EpisodeOfCare", str(found)) if found else None
