"""The role gates on views: a visitor who is not signed in is sent to sign in and brought back;
a signed-in person of another role is refused with 403, and the refusal is audited; the three
ready-made gates let through exactly the roles they name."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from rapport.accounts.decorators import (
    clinical_staff_required,
    record_readers_required,
    role_required,
)
from rapport.accounts.models import Role
from rapport.audit.models import AuditEvent

ROLES = {
    "admin": Role.ADMIN,
    "supervisor": Role.SUPERVISOR,
    "clinician": Role.CLINICIAN,
    "adult_client_user": Role.CLIENT,
    "guardian": Role.GUARDIAN,
}


def calls(gate):
    """A view behind `gate` that says whether it ran."""

    @gate
    def view(request, *args, **kwargs):
        return HttpResponse(f"ran with {kwargs}")

    return view


def request_as(user, path="/somewhere/?page=2"):
    request = RequestFactory().get(path)
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    request.user = user if user is not None else AnonymousUser()
    return request


@pytest.mark.parametrize(
    "gate,allowed",
    [
        (clinical_staff_required, {"clinician", "supervisor"}),
        (record_readers_required, {"clinician", "supervisor", "admin"}),
        (role_required(Role.ADMIN), {"admin"}),
        (role_required(Role.CLIENT, Role.GUARDIAN), {"adult_client_user", "guardian"}),
    ],
)
def test_each_gate_lets_through_exactly_the_roles_it_names(cast, gate, allowed):
    view = calls(gate)
    passed = set()
    for name in ROLES:
        try:
            view(request_as(getattr(cast, name)))
        except PermissionDenied:
            continue
        passed.add(name)
    assert passed == allowed


def test_the_view_gets_its_arguments_when_let_through(cast):
    response = calls(clinical_staff_required)(request_as(cast.clinician), session_id=7)
    assert response.content == b"ran with {'session_id': 7}"


def test_a_visitor_not_signed_in_is_sent_to_sign_in_with_the_full_address(db):
    response = calls(clinical_staff_required)(request_as(None, "/clients/3/?tab=plan"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/clients/3/%3Ftab%3Dplan"


def test_a_visitor_not_signed_in_leaves_no_audit_of_a_refusal(db):
    calls(clinical_staff_required)(request_as(None))
    assert not AuditEvent.objects.exists()


def test_a_refusal_by_role_is_audited_with_the_address_and_the_person(cast):
    with pytest.raises(PermissionDenied, match="not available to your account"):
        calls(clinical_staff_required)(request_as(cast.admin, "/caseload/"))
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome) == ("open_page", "denied")
    assert (event.object_type, event.object_id) == ("route", "/caseload/")
    assert (event.actor_id, event.actor_role) == (cast.admin.pk, "admin")


def test_a_very_long_refused_address_is_cut_to_fit_the_audit(cast):
    path = "/" + "x" * 200 + "/"
    with pytest.raises(PermissionDenied):
        calls(role_required(Role.ADMIN))(request_as(cast.clinician, path))
    assert AuditEvent.objects.get().object_id == path[:64]


# --- On real pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who,route,status",
    [
        ("adult_client_user", "people:caseload", 403),
        ("guardian", "people:caseload", 403),
        ("admin", "people:caseload", 403),
        ("clinician", "practices:manage", 403),
        ("supervisor", "practices:user_list", 403),
        ("clinician", "portal:home", 403),
        ("admin", "portal:home", 403),
        ("clinician", "people:caseload", 200),
        ("admin", "practices:manage", 200),
        ("guardian", "portal:home", 200),
    ],
)
def test_pages_answer_each_role_as_their_gate_says(cast, web_as, who, route, status):
    assert web_as(getattr(cast, who)).get(reverse(route)).status_code == status


def test_a_refused_page_says_so_plainly_and_offers_the_way_home(cast, web_as):
    response = web_as(cast.adult_client_user).get(reverse("people:caseload"))
    assert response.status_code == 403
    assert "This page is not available to your account." in response.text
    assert f'href="{reverse("home")}"' in response.text
    assert "PermissionDenied" not in response.text and "Traceback" not in response.text
