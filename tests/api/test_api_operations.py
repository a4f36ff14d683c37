"""The API's operations: the pages' access rules and audit, the token's scope, idempotent
answers, rate limits, and a JSON reason for every refusal."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client as WebClient

from rapport.accounts.services import api_token_create
from rapport.alerts.models import Alert
from rapport.audit.models import AuditEvent
from rapport.measures.models import Response
from tests.authorization.fixtures import (  # noqa: F401
    Prepared,
    cast_fixture,
    prepared_fixture,
    web_for,
)
from tests.authorization.matrix_cast import PHQ9_NONE

API = "/api/v1"


def call(user, scope: str = "write") -> WebClient:  # type: ignore[no-untyped-def]
    """A client sending a fresh token of `user` with `scope` on every request."""
    _, token = api_token_create(actor=None, user=user, name="test", scope=scope)
    return WebClient(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_clinician_lists_the_clients_in_their_care_and_the_list_is_audited(cast):
    reply = call(cast.clinician, "read").get(f"{API}/clients")

    assert reply.status_code == 200
    ids = {c["id"] for c in reply.json()["clients"]}
    assert ids == {cast.adult_client.pk, cast.adolescent_client.pk}
    event = AuditEvent.objects.filter(actor_id=cast.clinician.pk, action="list").latest("pk")
    assert event.detail["view"] == "api:client_list"
    assert sorted(event.detail["clients"]) == sorted(ids)


@pytest.mark.parametrize(
    "path",
    [
        "/clients/{c.pk}",
        "/clients/{c.pk}/episodes",
        "/episodes/{e.pk}",
        "/episodes/{e.pk}/sessions",
        "/episodes/{e.pk}/measures",
        "/episodes/{e.pk}/assignments",
        "/episodes/{e.pk}/responses",
        "/episodes/{e.pk}/scores",
        "/episodes/{e.pk}/plan",
    ],
)
def test_each_read_serves_ones_own_client_and_is_404_for_another_practices(cast, path):
    web = call(cast.clinician, "read")
    own = path.format(c=cast.adult_client, e=cast.adult_episode)
    foreign = path.format(c=cast.foreign_client, e=cast.foreign_episode)

    assert web.get(API + own).status_code == 200
    refused = web.get(API + foreign)
    assert refused.status_code == 404
    assert refused.json() == {"detail": "Not found."}
    assert AuditEvent.objects.filter(
        actor_id=cast.clinician.pk, outcome=AuditEvent.Outcome.DENIED
    ).exists()


def test_a_read_token_cannot_write_and_no_token_is_401(cast):
    url = f"{API}/alerts/{cast.own_alert.pk}/acknowledge"

    refused = call(cast.clinician, "read").post(url, {"note": "Phoned her"}, "application/json")
    anonymous = WebClient().post(url, {"note": "Phoned her"}, "application/json")

    assert refused.status_code == 403
    assert "scope" in refused.json()["detail"]
    assert anonymous.status_code == 401
    assert Alert.objects.get(pk=cast.own_alert.pk).status == Alert.Status.OPEN


def test_a_clinician_acknowledges_an_alert_once(cast):
    web = call(cast.clinician)
    url = f"{API}/alerts/{cast.own_alert.pk}/acknowledge"

    done = web.post(url, {"note": "Phoned her, safety plan agreed"}, "application/json")
    again = web.post(url, {"note": "Phoned her, safety plan agreed"}, "application/json")

    assert done.status_code == 200 and done.json()["status"] == "acknowledged"
    assert again.status_code == 422 and "already" in again.json()["detail"]
    assert (
        AuditEvent.objects.filter(action="acknowledge", object_id=str(cast.own_alert.pk)).count()
        == 1
    )


def test_unknown_fields_are_refused(cast):
    url = f"{API}/alerts/{cast.own_alert.pk}/acknowledge"
    reply = call(cast.clinician).post(
        url, {"note": "Phoned her", "status": "resolved"}, "application/json"
    )

    assert reply.status_code == 422


def test_an_answer_sent_twice_with_one_key_is_stored_once_and_another_body_is_409(cast):
    web = call(cast.clinician)
    url = f"{API}/assignments/{cast.own_assignment.pk}/response"
    body = {"answers": {k: int(v) for k, v in PHQ9_NONE.items()}}
    key = {"HTTP_IDEMPOTENCY_KEY": "retry-7"}

    first = web.post(url, body, "application/json", **key)
    again = web.post(url, body, "application/json", **key)
    other = web.post(url, {"answers": {**body["answers"], "phq9-1": 3}}, "application/json", **key)

    assert first.status_code == 201, first.json()
    assert again.status_code == 201 and again.json() == first.json()
    assert other.status_code == 409
    assert Response.objects.filter(assignment=cast.own_assignment).count() == 1
    assert first.json()["total"] == 0


def test_invalid_answers_are_422_with_the_reason_of_each(cast):
    url = f"{API}/assignments/{cast.own_assignment.pk}/response"
    reply = call(cast.clinician).post(url, {"answers": {"phq9-1": 9}}, "application/json")

    assert reply.status_code == 422
    assert "phq9-1" in reply.json()["errors"]


def test_a_measure_is_assigned_through_the_service_and_a_bad_one_is_422(cast):
    web = call(cast.clinician)
    url = f"{API}/episodes/{cast.adult_episode.pk}/measures"

    made = web.post(
        url,
        {"family": "gad7", "respondent": "client", "schedule": "every_session"},
        "application/json",
    )
    unknown = web.post(
        url,
        {"family": "nope", "respondent": "client", "schedule": "every_session"},
        "application/json",
    )

    assert made.status_code == 201 and made.json()["family"] == "gad7"
    assert unknown.status_code == 422
    assert AuditEvent.objects.filter(
        action="create", object_type="measures.measureplan", actor_id=cast.clinician.pk
    ).exists()


def test_a_session_call_needs_the_csrf_token_to_write(prepared: Prepared, cast):
    _, web = web_for(prepared, "clinician")
    web = WebClient(enforce_csrf_checks=True, HTTP_COOKIE=web.cookies.output(header="", sep=";"))
    url = f"{API}/alerts/{cast.own_alert.pk}/acknowledge"

    assert web.get(f"{API}/clients").status_code == 200
    refused = web.post(url, {"note": "Phoned her"}, "application/json")

    assert refused.status_code == 403
    assert Alert.objects.get(pk=cast.own_alert.pk).status == Alert.Status.OPEN


def test_portal_users_have_no_api(prepared: Prepared):
    _, web = web_for(prepared, "adult_client")

    assert web.get(f"{API}/clients").status_code == 403


def test_too_many_calls_are_429_with_retry_after(cast, settings):
    settings.RAPPORT_API_RATE_PER_MINUTE = 10
    cache.clear()
    web = call(cast.clinician, "read")

    codes = [web.get(f"{API}/alerts").status_code for _ in range(11)]

    assert codes[:10] == [200] * 10 and codes[10] == 429
    last = web.get(f"{API}/alerts")
    assert 1 <= int(last["Retry-After"]) <= 60
    cache.clear()


def test_the_fhir_export_needs_the_fhir_scope_and_is_audited_as_an_api_export(cast, settings):
    settings.RAPPORT_FHIR_BASE = "https://rapport.example.org/fhir"
    url = f"{API}/fhir/Patient/{cast.adult_client.pk}/$everything"

    assert call(cast.clinician, "write").get(url).status_code == 403
    reply = call(cast.clinician, "fhir").get(url)

    assert reply.status_code == 200
    assert reply.json()["resourceType"] == "Bundle"
    event = AuditEvent.objects.filter(action="export", actor_id=cast.clinician.pk).latest("pk")
    assert event.detail["via"] == "api"
    assert (
        call(cast.clinician, "fhir")
        .get(url.replace(str(cast.adult_client.pk), str(cast.foreign_client.pk)))
        .status_code
        == 404
    )


def test_the_fhir_import_is_for_an_admin_lists_problems_and_stores_nothing_on_a_dry_run(
    cast, settings
):
    settings.RAPPORT_FHIR_BASE = "https://rapport.example.org/fhir"
    url = f"{API}/fhir/$import"
    bad = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Basic"}}],
    }
    empty = {"resourceType": "Bundle", "type": "collection", "entry": []}

    assert call(cast.clinician, "fhir").post(url, bad, "application/json").status_code == 403
    admin = call(cast.admin, "fhir")
    refused = admin.post(url, bad, "application/json")
    dry = admin.post(f"{url}?dry_run=true", empty, "application/json")

    assert refused.status_code == 422
    assert refused.json()["problems"][0]["path"] == "resourceType"
    assert dry.status_code == 200 and dry.json()["stored"] == 0
