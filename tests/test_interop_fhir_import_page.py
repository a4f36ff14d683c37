"""The admin's import page: a Bundle checked whole, what it would add (or every problem) listed,
added only when asked, by the same code as the API's `$import` and the command line."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rapport.accounts.models import User
from rapport.measures.models import Response
from rapport.people.models import Client
from tests.conftest import Cast, signed_in

BASE = "https://fhir.page.test/fhir"


@pytest.fixture(autouse=True)
def _fhir_base(settings: Any) -> None:
    settings.RAPPORT_FHIR_BASE = BASE


def record(*, born: str = "1990-05-04") -> dict[str, Any]:
    """A small record from another system: a therapist, a client, an episode, a PHQ-9."""
    resources = [
        {
            "resourceType": "Practitioner",
            "id": "t1",
            "name": [{"text": "Dr Nadia Okafor"}],
            "telecom": [{"system": "email", "value": "nadia@other-clinic.test"}],
        },
        {
            "resourceType": "Patient",
            "id": "p1",
            "name": [{"text": "Ines Garcia"}],
            "birthDate": born,
        },
        {
            "resourceType": "EpisodeOfCare",
            "id": "e1",
            "status": "active",
            "patient": {"reference": "Patient/p1"},
            "careManager": {"reference": "Practitioner/t1"},
            "period": {"start": "2026-01-05"},
        },
        {
            "resourceType": "QuestionnaireResponse",
            "id": "q1",
            "status": "completed",
            "questionnaire": "http://loinc.org/q/44249-1",
            "subject": {"reference": "Patient/p1"},
            "authored": "2026-02-02T10:00:00+00:00",
            "item": [
                {"linkId": f"/{code}", "answer": [{"valueCoding": {"code": "LA6569-3"}}]}
                for code in [
                    "44250-9",
                    "44255-8",
                    "44259-0",
                    "44254-1",
                    "44251-7",
                    "44258-2",
                    "44252-5",
                    "44253-3",
                    "44260-8",
                ]
            ],
        },
    ]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def upload(cast: Cast, bundle: dict[str, Any], action: str) -> str:
    web = signed_in(cast.admin)
    body = json.dumps(bundle).encode()
    reply = web.post(
        reverse("interop:fhir_import"),
        {"bundle": SimpleUploadedFile("b.json", body), "action": action},
    )
    assert reply.status_code == 200
    return reply.content.decode()


def test_checking_a_file_lists_what_it_would_add_and_adds_nothing(cast: Cast) -> None:
    page = upload(cast, record(), "check")

    assert "nothing was added yet" in page
    assert "1 client<" in page
    assert "1 staff account<" in page
    assert "1 questionnaire response<" in page
    assert not Client.objects.filter(full_name="Ines Garcia").exists()


def test_importing_adds_the_record_scored_by_rapport_and_the_therapist_cannot_sign_in(
    cast: Cast,
) -> None:
    page = upload(cast, record(), "import")

    assert "Added to the practice" in page
    client = Client.objects.get(full_name="Ines Garcia", practice=cast.practice)
    response = Response.objects.get(episode__client=client)
    assert (response.total, response.mode) == (9, "imported")
    therapist = User.objects.get(email="nadia@other-clinic.test")
    assert not therapist.is_active and not therapist.has_usable_password()
    assert "everything in it is already in the practice" in upload(cast, record(), "check")


def test_a_file_with_a_problem_lists_it_with_its_resource_and_path_and_adds_nothing(
    cast: Cast,
) -> None:
    page = upload(cast, record(born="not a date"), "import")

    assert "Nothing was added" in page
    assert "<strong>Patient/p1</strong> <code>birthDate</code>" in page
    assert not Client.objects.filter(full_name="Ines Garcia").exists()
