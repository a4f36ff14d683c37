"""Downloads of a client's record in exchange formats."""

from __future__ import annotations

import json
from typing import cast

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext_lazy
from django.views.decorators.http import require_http_methods

from rapport.accounts.decorators import role_required
from rapport.accounts.models import Role
from rapport.http import AuthenticatedHttpRequest
from rapport.interop.forms import FhirImportForm, ResearchExportForm
from rapport.interop.queries import (
    admin_practice_export,
    practice_for_export,
    staff_client_export,
)
from rapport.interop.research import admin_research_export
from rapport.interop.services import admin_fhir_import
from rapport.web import needs_fhir_base


@role_required(Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN)
@require_http_methods(["GET"])
@needs_fhir_base
def client_fhir(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    """The client's whole record (all their episodes) as a FHIR R4 collection Bundle."""
    client, bundle = staff_client_export(request.user, client_id)
    reply = HttpResponse(
        json.dumps(bundle, indent=2, ensure_ascii=False), content_type="application/fhir+json"
    )
    reply["Content-Disposition"] = f'attachment; filename="client-{client.pk}-fhir.json"'
    return reply


@role_required(Role.ADMIN)
@require_http_methods(["GET"])
@needs_fhir_base
def practice_fhir(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The admin's whole practice as one FHIR R4 collection Bundle, written as it is read."""
    practice, pieces = admin_practice_export(request.user)
    reply = StreamingHttpResponse(pieces, content_type="application/fhir+json")
    reply["Content-Disposition"] = f'attachment; filename="practice-{practice.pk}-fhir.json"'
    # role_required types every view as giving an HttpResponse; a streamed one serves alike.
    return cast(HttpResponse, reply)


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def research_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The admin's practice for research: answers, scores and episodes with their dictionary,
    pseudonymised unless identifiers are asked for with a reason; a zip file."""
    form = ResearchExportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        fmt = form.cleaned_data["format"]
        practice, archive, _ = admin_research_export(
            request.user,
            fmt=fmt,
            identified=form.cleaned_data["identified"],
            reason=form.cleaned_data["reason"],
        )
        name = f"practice-{practice.pk}-research-{fmt}.zip"
        reply = FileResponse(archive, as_attachment=True, filename=name)
        return cast(HttpResponse, reply)
    return render(request, "interop/research_export.html", {"form": form})


# Resource types as the page names what an import adds, counted, in the order it adds them.
IMPORTED_AS = {
    "Practitioner": ngettext_lazy("%(n)s staff account", "%(n)s staff accounts", "n"),
    "Patient": ngettext_lazy("%(n)s client", "%(n)s clients", "n"),
    "RelatedPerson": ngettext_lazy("%(n)s parent or guardian", "%(n)s parents or guardians", "n"),
    "EpisodeOfCare": ngettext_lazy("%(n)s episode of care", "%(n)s episodes of care", "n"),
    "Condition": ngettext_lazy("%(n)s problem", "%(n)s problems", "n"),
    "Encounter": ngettext_lazy("%(n)s session", "%(n)s sessions", "n"),
    "QuestionnaireResponse": ngettext_lazy(
        "%(n)s questionnaire response", "%(n)s questionnaire responses", "n"
    ),
    "CarePlan": ngettext_lazy("%(n)s treatment plan version", "%(n)s treatment plan versions", "n"),
    "Goal": ngettext_lazy("%(n)s goal", "%(n)s goals", "n"),
    "DetectedIssue": ngettext_lazy("%(n)s alert", "%(n)s alerts", "n"),
}


def _added(created: dict[str, int]) -> list[str]:
    """What an import adds, in the reader's language: "3 clients", "1 goal"."""
    return [
        str(words % {"n": created[kind]})
        for kind, words in IMPORTED_AS.items()
        if created.get(kind)
    ]


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
@needs_fhir_base
def fhir_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The admin's import of a FHIR R4 Bundle into their practice: checked whole first, the
    problems listed or what it would add; added in one go when asked."""
    form = FhirImportForm(request.POST or None, request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        practice = practice_for_export(request.user.staff_practice_id)
        if practice is None:  # staff always belong to a practice; refused all the same
            raise PermissionDenied("Imports are for a practice's admin.")
        outcome = admin_fhir_import(
            actor=request.user,
            practice=practice,
            document=form.cleaned_data["bundle"],
            # Two buttons: check only (the default), or import once checked.
            dry_run=request.POST.get("action") != "import",
            via="web",
        )
    created = _added(outcome.created) if outcome else []
    return render(
        request,
        "interop/fhir_import.html",
        {"form": form, "outcome": outcome, "created": created},
    )
