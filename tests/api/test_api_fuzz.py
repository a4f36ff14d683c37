"""Schemathesis over the committed OpenAPI document, against the app in this process: every
operation is called with generated requests (a clinician's write token, and a practice admin's
fhir token for the FHIR operations) and must give no server error and nothing the document
does not describe — its statuses, content types and response schemas.

Cases per operation: RAPPORT_FUZZ_CASES (10 by default, to keep `make test` within its budget;
`make fuzz` runs 1,000).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rapport.accounts.services import api_token_create
from rapport.wsgi import application
from tests import conftest
from tests.authorization.matrix_cast import add_measures

CASES = int(os.environ.get("RAPPORT_FUZZ_CASES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_path(Path(__file__).with_name("openapi.json"))
schema.app = application


@pytest.fixture(scope="module")
def tokens(django_db_setup: None, django_db_blocker: Any):  # type: ignore[no-untyped-def]
    """The cast with measures and alerts, and a token for a clinician and one for the admin."""

    def build() -> dict[str, str]:
        cast = add_measures(conftest.build_cast())
        _, write = api_token_create(actor=None, user=cast.clinician, name="fuzz", scope="write")
        _, fhir = api_token_create(actor=None, user=cast.admin, name="fuzz", scope="fhir")
        return {"write": write, "fhir": fhir}

    yield from conftest.built_once(django_db_blocker, build)


@pytest.fixture(autouse=True)
def _fuzzing_settings(settings):  # type: ignore[no-untyped-def]
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    settings.RAPPORT_FHIR_BASE = "https://rapport.example.org/fhir"
    settings.RAPPORT_API_RATE_PER_MINUTE = 10000
    cache.clear()
    # The requests go through the WSGI handler, which closes the database connection after each
    # one; the test's transaction must outlive them (Django's test client does the same).
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=CASES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@pytest.mark.django_db
def test_no_generated_request_breaks_the_api_or_its_document(case, tokens):  # type: ignore[no-untyped-def]
    token = tokens["fhir" if "/fhir/" in case.path else "write"]
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
