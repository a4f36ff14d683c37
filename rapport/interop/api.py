"""API: FHIR R4 exchange. A client's whole record as a Bundle (`Patient/{id}/$everything`, as
the client's FHIR download), and a practice admin's import of a Bundle (`$import`, as
`rapport fhir import`: everything checked first, then all or nothing). Both need a token with
the fhir scope."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Status
from ninja.params import functions as params

from rapport.api.auth import caller
from rapport.api.schemas import REFUSALS, Refusal, ResourceProblem, Strict
from rapport.interop.queries import practice_for_export, staff_client_export
from rapport.interop.services import admin_fhir_import
from rapport.links import fhir_base

router = Router(tags=["fhir"])


class ImportResult(Strict):
    dry_run: bool
    stored: int  # responses
    # The other records made (or that would be), by the resource type they were read from.
    created: dict[str, int]
    already_there: int
    not_stored: dict[str, int]


@router.get(
    "/fhir/Patient/{client_id}/$everything",
    response={200: dict[str, Any], 503: Refusal, **REFUSALS},
    url_name="fhir_everything",
)
def fhir_everything(request: HttpRequest, client_id: int) -> dict[str, Any]:
    """The client's whole record (all their episodes, private notes never) as a FHIR R4
    collection Bundle, for the clinicians in their care (not under break-glass: 403)."""
    user = caller(request, "fhir")
    fhir_base()  # no base configured: 503, before anything is read
    _, bundle = staff_client_export(user, client_id, via="api")
    return bundle


@router.post(
    "/fhir/$import",
    response={200: ImportResult, 503: Refusal, **REFUSALS},
    url_name="fhir_import",
)
def fhir_import_api(
    request: HttpRequest,
    bundle: Annotated[dict[str, Any], params.Body(description="A FHIR R4 collection Bundle.")],
    dry_run: Annotated[bool, params.Query()] = False,
) -> Status[ImportResult | Refusal]:
    """Import a Bundle into your practice (practice admins): whole records (staff, clients,
    guardians, episodes, sessions, problems, plans, alerts and responses), as `rapport fhir
    import` does. Every resource is checked first and every problem listed (422, nothing
    stored); otherwise what it holds is stored in one transaction. A second import of the same
    data stores nothing again."""
    user = caller(request, "fhir")
    if not user.is_admin:
        raise PermissionDenied("Imports are for a practice admin.")
    practice = practice_for_export(user.staff_practice_id)
    if practice is None:  # staff always belong to a practice; refused all the same
        raise PermissionDenied("Imports are for a practice admin.")
    fhir_base()  # no base configured: 503, before anything is read
    outcome = admin_fhir_import(
        actor=user, practice=practice, document=bundle, dry_run=dry_run, via="api"
    )
    plan = outcome.plan
    if plan.problems:
        listed = [
            ResourceProblem(resource=p.resource, path=p.path, message=p.message)
            for p in plan.problems
        ]
        count = len(listed)
        return Status(
            422,
            Refusal(
                detail=f"Not imported ({count} problem(s)); nothing was stored.",
                problems=listed,
            ),
        )
    return Status(
        200,
        ImportResult(
            dry_run=dry_run,
            stored=len(plan.responses),
            created=dict(sorted(Counter(p.kind for p in plan.records).items())),
            already_there=len(plan.already_there),
            not_stored=dict(sorted(plan.not_stored.items())),
        ),
    )
