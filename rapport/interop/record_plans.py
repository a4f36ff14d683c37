"""Treatment plans and alerts from a FHIR import (see rapport.interop.records for the rest).

A CarePlan is a plan version, its Goals the version's goals; the versions of an episode are
numbered in the order they were proposed, each `replaces` chain kept. Who answered a version
comes from its Provenance (an acceptance, and when) and its goals' acceptance extension (agree
or disagree). A DetectedIssue of a kind Rapport knows is an alert, its Flag (for a risk alert)
read into it; other DetectedIssues are listed as not stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_noop

from rapport.alerts.models import Alert
from rapport.core.fhir import codes
from rapport.core.fhir.plans import GOAL_ACCEPTANCE
from rapport.core.fhir.safety import ADMINISTRATIVE_KINDS
from rapport.core.instruments import Instrument
from rapport.interop.records import (
    Key,
    Planned,
    Reading,
    day,
    diagnoses,
    key_of,
    moment,
    name_of,
    open_episode,
    own_code,
)
from rapport.plans.goal_status import measure_families

ALERT_KINDS = frozenset(Alert.Kind.values) - ADMINISTRATIVE_KINDS


def _decisions(reading: Reading) -> dict[Key, dict[Key, dict[str, Any]]]:
    """Each plan version's answers, by the party who gave them: from the goals' acceptance
    extension (agreed or not) and the Provenance of an acceptance (when, and its own id)."""
    found: dict[Key, dict[Key, dict[str, Any]]] = {}
    listed = {
        goal: careplan
        for careplan, resource in reading.of("CarePlan")
        for goal in (key_of(g) for g in resource.get("goal") or [])
        if goal is not None
    }
    for key, goal in reading.of("Goal"):
        careplan = listed.get(key)
        for extension in goal.get("extension") or []:
            if extension.get("url") != GOAL_ACCEPTANCE or careplan is None:
                continue
            parts = {part.get("url"): part for part in extension.get("extension") or []}
            party = key_of((parts.get("individual") or {}).get("valueReference"))
            agreed = (parts.get("status") or {}).get("valueCode") == "agree"
            if party is not None:
                found.setdefault(careplan, {}).setdefault(party, {"accepted": agreed})
    for key, provenance in reading.of("Provenance"):
        careplan = next((key_of(t) for t in provenance.get("target") or []), None)
        party = next((key_of(a.get("who")) for a in provenance.get("agent") or []), None)
        if careplan is None or party is None or careplan[0] != "CarePlan":
            reading.problem(
                key, "target", gettext_noop("a plan version's acceptance needs who and what")
            )
            continue
        if reading.ids.existing(key) is not None:
            reading.already_there.append(name_of(key))
            continue
        answer = found.setdefault(careplan, {}).setdefault(party, {})
        answer.update({"accepted": True, "at": moment(provenance.get("recorded")), "key": key})
    return found


def plan_versions(reading: Reading) -> None:
    answers = _decisions(reading)
    listed = diagnoses(reading)
    replaced = {
        target
        for _, resource in reading.of("CarePlan")
        for target in (key_of(r) for r in resource.get("replaces") or [])
        if target is not None
    }
    for key, resource in sorted(reading.of("CarePlan"), key=lambda kr: str(kr[1].get("created"))):
        if not reading.new(key):
            continue
        client = reading.ref(key, resource, "subject", "Patient")
        author = reading.ref(key, resource, "author", "Practitioner")
        created = moment(resource.get("created"))
        started = moment((resource.get("period") or {}).get("start")) or created
        if created is None:
            reading.problem(key, "created", gettext_noop("the moment it was proposed is needed"))
        if client is None or author is None or created is None:
            continue
        addressed = [key_of(a) for a in resource.get("addresses") or []]
        episodes = {listed[a][0] for a in addressed if a in listed}
        episode = min(episodes) if episodes else open_episode(reading, client, created)
        if episode is None:
            reading.problem(
                key, "created", gettext_noop("the client had no episode of care begun by then")
            )
            continue
        parties = answers.get(key, {})
        decisions = []
        for party, answer in parties.items():
            if party[0] not in ("Patient", "RelatedPerson") or not reading.ids.resolves(party):
                reading.problem(
                    key,
                    "goal",
                    gettext_noop("%(who)s cannot answer this plan"),
                    {"who": name_of(party)},
                )
                continue
            at = answer.get("at") or started
            decisions.append((party, bool(answer.get("accepted")), at, answer.get("key")))
        values = {
            "proposed_at": created,
            "decided_at": started if decisions else None,
            "status": _status(str(resource.get("status")), key in replaced, decisions),
            "shared_formulation": str(resource.get("description") or ""),
            "decisions": decisions,
        }
        planned = Planned("CarePlan", key, f"plan version proposed {created:%Y-%m-%d}", values)
        planned.refs = {"client": client, "author": author, "episode": episode}
        reading.add(planned)


def _status(fhir_status: str, replaced: bool, decisions: list[tuple[Any, ...]]) -> str:
    """A version's status from its CarePlan's and its answers: one replaced since says only
    "revoked", so its answers tell whether it had been accepted."""
    accepted = any(d[1] for d in decisions)
    refused = any(not d[1] for d in decisions)
    if replaced:
        return "accepted" if accepted else "changes_requested" if refused else "superseded"
    if fhir_status in ("active", "completed"):
        return "accepted"
    return "changes_requested" if refused else "proposed"


def _measure(
    concept: dict[str, Any], families: dict[str, Instrument]
) -> tuple[str, str, str] | None:
    """(kind, family, subscale) of a goal's target measure: kind "measure", "rating" or
    "count"; None for a measure Rapport does not know."""
    family_of = {instrument.id: family for family, instrument in families.items()}
    for coding in concept.get("coding") or []:
        system, code = str(coding.get("system", "")), str(coding.get("code", ""))
        if system == codes.LOINC:
            found = next((f for f, i in families.items() if i.loinc_total == code), None)
            return ("measure", found, "") if found else None
        if system.endswith("/CodeSystem/instrument-total") and code in family_of:
            return "measure", family_of[code], ""
        if system.endswith("/CodeSystem/instrument-subscale"):
            instrument, _, subscale = code.partition(".")
            return ("measure", family_of[instrument], subscale) if instrument in family_of else None
        if system.endswith("/CodeSystem/goal-measure"):
            return ("rating", "", "") if code == "goal-rating" else ("count", "", "")
    return None


def plan_goals(reading: Reading) -> None:
    families = measure_families(reading.practice_id)
    position = {
        goal: (careplan, index)
        for careplan, resource in reading.of("CarePlan")
        for index, goal in enumerate(key_of(g) for g in resource.get("goal") or [])
        if goal is not None
    }
    for key, resource in reading.of("Goal"):
        if not reading.new(key):
            continue
        if key not in position:
            reading.problem(key, "", gettext_noop("no CarePlan of this import holds this goal"))
            continue
        careplan, index = position[key]
        if careplan not in reading.planned:
            reading.problem(
                key, "", gettext_noop("the goals of a plan version already stored do not change")
            )
            continue
        title = str((resource.get("description") or {}).get("text") or "").strip()
        targets = resource.get("target") or [{}]
        measure = _measure(targets[0].get("measure") or {}, families)
        if not title:
            reading.problem(key, "description.text", gettext_noop("the goal in words is needed"))
        if measure is None:
            reading.problem(key, "target[0].measure", gettext_noop("not a measure Rapport knows"))
        if not title or measure is None:
            continue
        kind, family, subscale = measure
        quantity = targets[0].get("detailQuantity")
        if kind == "measure":
            benchmark = "measure_target" if quantity else "reliable_improvement"
        else:
            benchmark = kind
        comparator = (quantity or {}).get("comparator")
        problems: list[Key] = []
        values: dict[str, Any] = {
            "title": title[:200],
            "benchmark": benchmark,
            "family": family,
            "subscale": subscale,
            "target": (quantity or {}).get("value"),
            "count_direction": "at_most" if comparator in ("<", "<=") else "at_least",
            "target_date": day(targets[0].get("dueDate")) if targets[0].get("dueDate") else None,
            "position": index,
            "problems": problems,
        }
        for number in range(len(resource.get("addresses") or [])):
            problem = reading.ref(key, resource, f"addresses.{number}", "Condition")
            if problem is not None:
                problems.append(problem)
        planned = Planned("Goal", key, f"goal {values['title']!r}", values)
        planned.refs = {"version": careplan}
        reading.add(planned)


def plan_alerts(reading: Reading, not_stored: dict[str, int]) -> set[Key]:
    """The alerts; returns the responses an alert of the import was raised by (their risk
    answers open no second alert)."""
    flags: dict[Key, tuple[Key, dict[str, Any]]] = {}
    for key, flag in reading.of("Flag"):
        issue = next(
            (
                key_of(e.get("valueReference"))
                for e in flag.get("extension") or []
                if e.get("url") == codes.FLAG_DETAIL
            ),
            None,
        )
        if issue is None:
            not_stored["Flag (without the DetectedIssue Rapport's alerts are)"] = (
                not_stored.get("Flag (without the DetectedIssue Rapport's alerts are)", 0) + 1
            )
        else:
            flags[issue] = (key, flag)
    raised_by: set[Key] = set()
    for key, resource in reading.of("DetectedIssue"):
        evidence = [
            found
            for e in resource.get("evidence") or []
            for found in (key_of(d) for d in e.get("detail") or [])
            if found is not None and found[0] == "QuestionnaireResponse"
        ]
        raised_by.update(evidence)
        flag_key, flag = flags.get(key, (None, {}))
        if not reading.new(key):
            continue
        kind = own_code(resource.get("code"), "alert-kind")
        if kind not in ALERT_KINDS:
            label = "DetectedIssue (not of a kind of alert Rapport raises)"
            not_stored[label] = not_stored.get(label, 0) + 1
            continue
        episode = reading.ref(key, resource, "implicated.0", "EpisodeOfCare")
        opened = moment(resource.get("identifiedDateTime"))
        if opened is None:
            reading.problem(
                key, "identifiedDateTime", gettext_noop("the moment it was raised is needed")
            )
        if episode is None or opened is None:
            continue
        values: dict[str, Any] = {
            "kind": kind,
            "reason": str(resource.get("detail") or ""),
            "opened_at": opened,
            "severity": resource.get("severity"),
            "status": "open",
        }
        planned = Planned("DetectedIssue", key, f"{kind} alert of {opened:%Y-%m-%d}", values)
        planned.refs = {"episode": episode}
        for number, mitigation in enumerate(resource.get("mitigation") or []):
            step = own_code(mitigation.get("action"), "alert-action")
            if step not in ("acknowledged", "resolved"):
                continue
            at: datetime | None = moment(mitigation.get("date"))
            values[f"{step}_at"] = at
            values["status"] = "resolved" if step == "resolved" else values["status"]
            if values["status"] == "open":
                values["status"] = "acknowledged"
            if mitigation.get("author"):
                by = reading.ref(key, resource, f"mitigation.{number}.author", "Practitioner")
                if by is not None:
                    planned.refs[f"{step}_by"] = by
        if evidence and reading.ids.resolves(evidence[0]):
            planned.refs["response"] = evidence[0]
        if flag_key is not None:
            planned.folded.append(flag_key)
            session = key_of(flag.get("encounter"))
            if session is not None and reading.ids.resolves(session):
                planned.refs["session"] = session
        reading.add(planned)
    return raised_by
