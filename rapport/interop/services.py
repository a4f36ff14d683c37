"""Writes of the interop app: storing a checked FHIR import, all or nothing."""

from __future__ import annotations

from django.db import transaction

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open
from rapport.audit.services import audit_record
from rapport.care.models import Episode
from rapport.interop.importing import ImportPlan
from rapport.measures.models import Assignment, Response
from rapport.practices.models import Practice

IMPORT_OBJECT_TYPE = "interop.fhir_import"


@transaction.atomic
def fhir_import(
    *,
    practice: Practice,
    plan: ImportPlan,
    actor: User | None = None,
    via: str = "command line",
) -> list[Response]:
    """Store a plan that has no problems in one transaction: each response on its own
    completed assignment, scored by Rapport, its risk answers raising alerts as a form filled
    in Rapport does. Audited, each response and the import as a whole, as made by `actor` (None:
    the system, for the command line) through `via`."""
    if plan.problems:
        raise ValueError("an import with problems is never stored")
    stored = []
    for planned in plan.responses:
        episode = Episode.objects.get(pk=planned.episode_pk, practice=practice)
        assignment = Assignment.objects.create(
            episode=episode,
            instrument_id=planned.instrument.id,
            respondent="client",
            respondent_key="client",
            status=Assignment.Status.COMPLETED,
            due_at=planned.authored,
        )
        response = Response.scored(
            assignment=assignment,
            instrument=planned.instrument,
            answers=planned.answers,
            mode=Response.Mode.CLINICIAN,
            completed_at=planned.authored,
        )
        response.save(force_insert=True)
        audit_record(
            actor=actor,
            action="import",
            obj=response,
            client_id=episode.client_id,
            practice_id=practice.pk,
            detail={"instrument": planned.instrument.id, "source": planned.source},
        )
        for flag in response.flags:
            alert_open(
                episode=episode,
                kind=Alert.Kind.RISK,
                urgent=flag["urgent"],
                reason=Alert.risk_reason(planned.instrument.short_title, flag),
                source_response=response,
            )
        stored.append(response)
    audit_record(
        actor=actor,
        action="import",
        object_type=IMPORT_OBJECT_TYPE,
        object_id=practice.pk,
        practice_id=practice.pk,
        detail={
            "format": "fhir-r4",
            "via": via,
            "responses": len(stored),
            "already_there": len(plan.already_there),
        },
    )
    return stored
