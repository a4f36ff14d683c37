"""Break-glass: a practice admin's read-only, audited, time-limited access to one client."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone

from rapport.audit.models import AuditEvent, BreakGlassGrant
from rapport.care.models import Attendance
from rapport.people.models import Client
from tests.authorization.bookkeeping import recorded_state
from tests.authorization.fixtures import (  # noqa: F401
    cast_fixture,
    prepared_fixture,
    shared_fixture,
)
from tests.authorization.matrix_cast import MatrixCast
from tests.authorization.payloads import (
    ALERT_NOTE,
    NEW_RUPTURE,
    PHQ9_FORM,
    REPAIR_STEP,
    RUPTURE_EDIT,
    SESSION_RECORD,
)
from tests.conftest import Cast, signed_in

# --- Break-glass --------------------------------------------------------------------------------


def open_break_glass(web: WebClient, client: Client) -> None:
    response = web.post(
        reverse("people:break_glass", args=[client.pk]),
        {"reason": "Safeguarding concern raised by phone", "submission_key": str(uuid.uuid4())},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("people:client_detail", args=[client.pk])


def test_admin_without_break_glass_gets_not_found_on_a_client_page(cast: Cast) -> None:
    web = signed_in(cast.admin)

    assert web.get(reverse("people:client_detail", args=[cast.adult_client.pk])).status_code == 404
    assert web.get(reverse("care:session_detail", args=[cast.adult_session.pk])).status_code == 404


def test_break_glass_needs_a_reason_of_at_least_ten_characters(cast: Cast) -> None:
    web = signed_in(cast.admin)

    response = web.post(
        reverse("people:break_glass", args=[cast.adult_client.pk]),
        {"reason": "because", "submission_key": str(uuid.uuid4())},
    )

    assert response.status_code == 200
    assert not BreakGlassGrant.objects.exists()
    assert web.get(reverse("people:client_detail", args=[cast.adult_client.pk])).status_code == 404


def test_break_glass_lets_the_admin_read_the_client_page(cast: Cast) -> None:
    web = signed_in(cast.admin)
    open_break_glass(web, cast.adult_client)

    page = web.get(reverse("people:client_detail", args=[cast.adult_client.pk]))

    assert page.status_code == 200
    assert "Alex Adult" in page.text
    assert "Read-only view under break-glass access" in page.text
    grant = BreakGlassGrant.objects.get()
    assert (grant.user_id, grant.client_id) == (cast.admin.pk, cast.adult_client.pk)
    assert AuditEvent.objects.filter(
        actor_id=cast.admin.pk, action="break_glass", outcome="ok", client_id=cast.adult_client.pk
    ).exists()
    assert AuditEvent.objects.filter(
        actor_id=cast.admin.pk, action="read", outcome="ok", client_id=cast.adult_client.pk
    ).exists()


def test_break_glass_is_read_only_and_a_session_post_writes_nothing(cast: Cast) -> None:
    web = signed_in(cast.admin)
    open_break_glass(web, cast.adult_client)
    url = reverse("care:session_detail", args=[cast.adult_session.pk])
    assert web.get(url).status_code == 200
    before = recorded_state()

    response = web.post(url, SESSION_RECORD)

    assert response.status_code == 403
    assert recorded_state() == before
    cast.adult_session.refresh_from_db()
    assert cast.adult_session.attendance == Attendance.ATTENDED  # as the cast left it
    assert cast.adult_session.private_notes == ""


def test_break_glass_write_attempt_is_audited_as_denied(cast: Cast) -> None:
    web = signed_in(cast.admin)
    open_break_glass(web, cast.adult_client)

    url = reverse("care:session_detail", args=[cast.adult_session.pk])
    response = web.post(url, SESSION_RECORD)

    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        actor_id=cast.admin.pk, outcome="denied", client_id=cast.adult_client.pk
    ).exists()


def test_break_glass_lets_the_admin_read_responses_but_not_act_on_measures(
    cast: MatrixCast,
) -> None:
    web = signed_in(cast.admin)
    open_break_glass(web, cast.adult_client)
    before = recorded_state()

    def status(route: str, obj: Any, data: dict[str, Any] | None = None) -> int:
        url = reverse(route, args=[obj.pk])
        return (web.get(url) if data is None else web.post(url, data)).status_code

    assert status("measures:response_detail", cast.own_response) == 200
    assert status("measures:response_fhir", cast.own_response) == 200
    assert status("measures:response_detail", cast.other_response) == 404
    assert status("measures:response_fhir", cast.other_response) == 404
    # Acting on measures and alerts is for clinical staff: refused by role, even under a grant.
    assert status("measures:assignment_complete", cast.own_assignment, PHQ9_FORM) == 403
    assert status("measures:plan_stop", cast.own_plan, {}) == 403
    assert status("alerts:resolve", cast.own_alert, ALERT_NOTE) == 403
    assert recorded_state() == before


def test_break_glass_opens_the_alliance_pages_to_read_but_refuses_every_write(
    cast: MatrixCast,
) -> None:
    """The whole record is readable under a grant; writing is refused (403), like sessions."""
    web = signed_in(cast.admin)
    open_break_glass(web, cast.adult_client)
    before = recorded_state()

    def status(route: str, obj: Any, data: dict[str, Any] | None = None) -> int:
        url = reverse(route, args=[obj.pk])
        return (web.get(url) if data is None else web.post(url, data)).status_code

    assert status("alliance:episode", cast.adult_episode) == 200
    assert status("alliance:chart", cast.adult_episode) == 200
    assert status("alliance:rupture_detail", cast.own_rupture) == 200
    assert status("alliance:rupture_new", cast.adult_episode) == 403
    assert status("alliance:rupture_new", cast.adult_episode, NEW_RUPTURE) == 403
    assert status("alliance:rupture_detail", cast.own_rupture, RUPTURE_EDIT) == 403
    assert status("alliance:repair_new", cast.own_rupture, REPAIR_STEP(cast)) == 403
    assert recorded_state() == before


def test_break_glass_covers_only_the_client_it_was_granted_for(cast: Cast) -> None:
    web = signed_in(cast.admin)
    open_break_glass(web, cast.adult_client)

    assert web.get(reverse("people:client_detail", args=[cast.other_client.pk])).status_code == 404
    assert web.get(reverse("care:session_detail", args=[cast.other_session.pk])).status_code == 404


def test_expired_break_glass_grant_no_longer_opens_the_record(cast: Cast) -> None:
    web = signed_in(cast.admin)
    open_break_glass(web, cast.adult_client)
    BreakGlassGrant.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert web.get(reverse("people:client_detail", args=[cast.adult_client.pk])).status_code == 404
