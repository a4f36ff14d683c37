"""Schemathesis over the committed OpenAPI document, against the app in this process (its WSGI
handler: no live server): every operation is called with generated requests (a clinician's
write token, and a practice admin's fhir token for the FHIR operations) and must give no server
error and nothing the document does not describe — its statuses, content types and response
schemas. Then the same as sequences: a state machine over the links schemathesis infers from
the document (an id one answer gives, the next call's path parameter), so that calls reach
records that exist and not only 404s.

Cases per operation: RAPPORT_FUZZ_CASES (200 by default, as CI runs them; `make fuzz` runs
1,000); scenarios of the state machine: RAPPORT_FUZZ_SCENARIOS (a tenth of the cases).
Kept cheap: one data set for the module, each case's writes rolled back to a savepoint instead
of the data built again, generation derandomized (the same cases every run), no deadline and
no health check that times the machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
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

CASES = int(os.environ.get("RAPPORT_FUZZ_CASES", "200"))
SCENARIOS = int(os.environ.get("RAPPORT_FUZZ_SCENARIOS", str(max(10, CASES // 10))))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Derandomized: the same cases every run, so a failure in CI is one anybody can run again.
# Timing health checks off: the machine is shared and its speed is not what is tested.
CHEAP = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)

schema = schemathesis.openapi.from_path(Path(__file__).with_name("openapi.json"))
schema.app = application


@pytest.fixture(scope="module")
def tokens(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, str]]:
    """The cast with measures and alerts, and a token for a clinician and one for the admin:
    built once for the module."""

    def build() -> dict[str, str]:
        cast = add_measures(conftest.build_cast())
        _, write = api_token_create(actor=None, user=cast.clinician, name="fuzz", scope="write")
        _, fhir = api_token_create(actor=None, user=cast.admin, name="fuzz", scope="fhir")
        return {"write": write, "fhir": fhir}

    yield from conftest.built_once(django_db_blocker, build)


@pytest.fixture(autouse=True)
def _fuzzing_settings(settings: Any) -> Iterator[None]:
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    settings.RAPPORT_FHIR_BASE = "https://rapport.example.org/fhir"
    settings.RAPPORT_API_RATE_PER_MINUTE = 100_000
    cache.clear()
    # The requests go through the WSGI handler, which closes the database connection after each
    # one; the test's transaction must outlive them (Django's test client does the same).
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)
    # The calls were counted against the tokens' rate limit: later tests on this worker start
    # from none (their tokens may have the same ids again).
    cache.clear()


@contextmanager
def rolled_back() -> Iterator[None]:
    """What a case (or a scenario) writes is undone at its end: the next starts from the same
    data, without it being built again."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def headers(tokens: dict[str, str], path: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['fhir' if '/fhir/' in path else 'write']}"}


@schema.parametrize()
@settings(CHEAP, max_examples=CASES)
@pytest.mark.django_db
def test_no_generated_request_breaks_the_api_or_its_document(case, tokens):  # type: ignore[no-untyped-def]
    with rolled_back():
        case.call_and_validate(headers=headers(tokens, case.path), checks=CHECKS)


@pytest.mark.django_db
def test_no_sequence_of_calls_following_the_documents_links_breaks_the_api(
    tokens: dict[str, str],
) -> None:
    machine = schema.as_state_machine()
    assert schema.statistic.transitions.total > 0  # links were inferred: it is stateful

    class Workflow(machine):  # type: ignore[valid-type,misc]
        def setup(self) -> None:
            self.scenario = rolled_back()
            self.scenario.__enter__()

        def teardown(self) -> None:
            self.scenario.__exit__(None, None, None)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers(tokens, case.path)}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    run_state_machine_as_test(
        Workflow, settings=settings(CHEAP, max_examples=SCENARIOS, stateful_step_count=6)
    )
