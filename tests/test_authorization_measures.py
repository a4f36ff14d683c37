"""Measures: client mode, alerts and the portal's forms, beyond the matrix."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as WebClient
from django.urls import reverse

from rapport.audit.models import AuditEvent
from rapport.measures.client_mode import CLIENT_MODE
from rapport.measures.models import Assignment
from rapport.people.models import GuardianLink
from tests.authorization.bookkeeping import recorded_state
from tests.authorization.fixtures import (  # noqa: F401
    Prepared,
    cast_fixture,
    prepared_fixture,
    shared_fixture,
    web_for,
)
from tests.authorization.matrix_cast import MatrixCast
from tests.authorization.payloads import CHECKIN_FORM, PHQ9_FORM
from tests.conftest import signed_in

# --- Measures: client mode, alerts and the portal's forms ---------------------------------------


def start_client_mode(web: WebClient, assignment: Assignment) -> Any:
    return web.post(reverse("measures:client_mode_start", args=[assignment.pk]))


def test_client_mode_opens_only_for_the_staff_member_who_started_it(cast: MatrixCast) -> None:
    web = signed_in(cast.co_clinician)
    started = start_client_mode(web, cast.own_assignment)
    outsider = signed_in(cast.outsider_clinician)
    refused = start_client_mode(outsider, cast.own_assignment)

    assert started.status_code == 302
    assert started["Location"] == reverse("measures:client_mode_form")
    assert web.get(reverse("measures:client_mode_form")).status_code == 200
    assert web.get(reverse("measures:client_mode_unlock")).status_code == 200
    assert refused.status_code == 404
    assert CLIENT_MODE not in outsider.session
    assert outsider.get(reverse("measures:client_mode_form")).status_code == 404
    assert outsider.get(reverse("measures:client_mode_unlock")).status_code == 404


def test_client_mode_checks_access_again_on_every_request(cast: MatrixCast) -> None:
    """Taken off the episode's team while the client holds the device: the form is gone."""
    web = signed_in(cast.co_clinician)
    assert start_client_mode(web, cast.own_assignment).status_code == 302
    # Off every episode of the client: the cast also holds closed ones with the same team, and
    # a past episode's team may still open the client's record.
    for episode in cast.adult_episode.client.episodes.all():
        episode.team_members.remove(cast.co_clinician)
    before = recorded_state()

    assert web.get(reverse("measures:client_mode_form")).status_code == 404
    assert web.post(reverse("measures:client_mode_form"), PHQ9_FORM).status_code == 404
    assert recorded_state() == before
    assert AuditEvent.objects.filter(
        actor_id=cast.co_clinician.pk,
        outcome=AuditEvent.Outcome.DENIED,
        object_type="measures.assignment",
        object_id=str(cast.own_assignment.pk),
    ).exists()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("clinician", {"own_alert"}),
        ("co_clinician", {"own_alert"}),
        ("supervisor", {"own_alert"}),
        ("other_supervisor", {"other_alert"}),
        ("outsider_clinician", {"other_alert"}),
    ],
)
def test_alert_inbox_lists_only_the_alerts_of_clients_in_care(
    shared: Prepared, role: str, expected: set[str]
) -> None:
    cast = shared.cast
    _, web = web_for(shared, role)

    page = web.get(reverse("alerts:inbox"), {"show": "all"})

    assert page.status_code == 200
    shown = list(page.context["alerts"])
    expected_alerts = [getattr(cast, name) for name in expected]
    # Session feedback adds its own alerts for the same clients; none for anyone else.
    assert {a.pk for a in expected_alerts} <= {alert.pk for alert in shown}
    in_care = {a.client_id for a in expected_alerts}
    if cast.adult_client.pk in in_care:  # team A also looks after the adolescent
        in_care.add(cast.adolescent_client.pk)
    assert {alert.client_id for alert in shown} <= in_care


def portal_forms_on(page: Any) -> set[int]:
    """The assignments a portal page links to."""
    return {
        pk
        for pk in Assignment.objects.values_list("pk", flat=True)
        if f'href="{reverse("portal:assignment", args=[pk])}"' in page.text
    }


@pytest.mark.parametrize(
    ("role", "own"),
    [
        ("adult_client", "own_assignment"),
        ("adolescent_client", "adolescent_assignment"),
        ("guardian", "guardian_assignment"),
    ],
)
def test_portal_home_lists_only_the_forms_the_user_answers(
    shared: Prepared, role: str, own: str
) -> None:
    """Not another client's forms, nor (for a guardian) the young person's own."""
    _, web = web_for(shared, role)

    page = web.get(reverse("portal:home"))

    assert page.status_code == 200
    forms = portal_forms_on(page)
    assert getattr(shared.cast, own).pk in forms
    user = shared.cast.person(role)
    for assignment in Assignment.objects.filter(pk__in=forms).select_related("episode__client"):
        answers_it = (
            assignment.respondent == "client" and assignment.episode.client.user_id == user.pk
        ) or (assignment.respondent == "guardian" and assignment.respondent_user_id == user.pk)
        assert answers_it, assignment


def test_inactive_guardian_link_closes_the_guardians_forms(cast: MatrixCast) -> None:
    GuardianLink.objects.filter(pk=cast.guardian_link.pk).update(is_active=False)
    web = signed_in(cast.guardian)
    url = reverse("portal:assignment", args=[cast.guardian_assignment.pk])

    assert web.get(url).status_code == 404
    assert web.post(url, CHECKIN_FORM).status_code == 404
    assert not portal_forms_on(web.get(reverse("portal:home")))
    assert Assignment.objects.get(pk=cast.guardian_assignment.pk).status == "pending"
