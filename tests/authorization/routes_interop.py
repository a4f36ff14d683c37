"""The matrix: exports of a client's record (interop).

A client's FHIR Bundle is downloaded by the clinical staff caring for them, like the client's
page: the same rows. A practice admin gets it from nobody's record without a grant (404), and
not under break-glass either (403, tests/authorization/break_glass.py): an emergency reader
reads the record, they do not take it away. A whole practice's export, FHIR or for research, is
the admin's alone, of their own practice (the route names no practice: it is the signed-in
admin's).
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.authorization.cases import LOGIN, Case, get, post, row


def empty_bundle() -> SimpleUploadedFile:
    body = b'{"resourceType": "Bundle", "type": "collection", "entry": []}'
    return SimpleUploadedFile("bundle.json", body, content_type="application/fhir+json")


# Columns:        adm  sup  osup cli  co   out  adult teen grd  anon

INTEROP_ROUTES: dict[str, list[Case]] = {
    "interop:client_fhir": [
        get(
            "own", row(404, 200, 404, 200, 200, 404, 403, 403, 403, LOGIN), client_id="adult_client"
        ),
        get(
            "adolescent",
            row(404, 200, 404, 200, 404, 404, 403, 403, 403, LOGIN),
            client_id="adolescent_client",
        ),
        get(
            "other",
            row(404, 404, 200, 404, 404, 200, 403, 403, 403, LOGIN),
            client_id="other_client",
        ),
        get(
            "foreign",
            row(404, 404, 404, 404, 404, 404, 403, 403, 403, LOGIN),
            client_id="foreign_client",
        ),
    ],
    "interop:practice_fhir": [
        get("own practice", row(200, 403, 403, 403, 403, 403, 403, 403, 403, LOGIN)),
    ],
    # Importing records: into the admin's own practice only (the route names none). The POST
    # checks an empty Bundle: a dry run, nothing stored.
    "interop:fhir_import": [
        get("own practice", row(200, 403, 403, 403, 403, 403, 403, 403, 403, LOGIN)),
        post(
            "own practice",
            row(200, 403, 403, 403, 403, 403, 403, 403, 403, LOGIN),
            lambda cast: {"bundle": empty_bundle(), "action": "check"},
        ),
    ],
    # The research export: the admin's own practice only (the route names none).
    "interop:research_export": [
        get("own practice", row(200, 403, 403, 403, 403, 403, 403, 403, 403, LOGIN)),
        post(
            "own practice",
            row(200, 403, 403, 403, 403, 403, 403, 403, 403, LOGIN),
            {"format": "csv"},
        ),
    ],
}
