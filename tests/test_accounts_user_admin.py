"""An admin edits and deactivates accounts of their own practice: changes are audited by field
name, an admin cannot lock themself out, and a deactivated person is signed out and stays out."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as WebClient
from django.urls import reverse

from rapport.accounts.services import user_update
from rapport.audit.models import AuditEvent
from tests.conftest import PASSWORD


def edit_url(user) -> str:
    return reverse("practices:user_edit", args=[user.pk])


def form_of(user, **changes):
    data = {
        "full_name": user.full_name,
        "email": user.email,
        "role": user.role,
        "team": user.team_id or "",
    }
    if user.is_active:
        data["is_active"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_an_update_is_audited_with_the_changed_field_names_only(cast):
    user_update(
        actor=cast.admin,
        user=cast.co_clinician,
        details={"full_name": "Cora Clinician", "team": cast.team_b, "role": "clinician"},
    )
    event = AuditEvent.objects.get(action="update", object_type="accounts.user")
    assert event.detail == {"changed": ["full_name", "team"]}
    assert "Cora" not in str(event.detail)
    cast.co_clinician.refresh_from_db()
    assert (cast.co_clinician.full_name, cast.co_clinician.team) == ("Cora Clinician", cast.team_b)


def test_saving_without_changes_is_audited_as_changing_nothing(cast):
    user_update(actor=cast.admin, user=cast.co_clinician, details={"role": "clinician"})
    event = AuditEvent.objects.get(action="update", object_type="accounts.user")
    assert event.detail == {"changed": []}


@pytest.mark.parametrize("who", ["clinician", "supervisor", "guardian"])
def test_only_an_admin_may_change_an_account(cast, who):
    with pytest.raises(PermissionDenied):
        user_update(actor=getattr(cast, who), user=cast.co_clinician, details={"role": "admin"})
    cast.co_clinician.refresh_from_db()
    assert cast.co_clinician.role == "clinician"


def test_an_admin_cannot_change_an_account_of_another_practice(cast):
    with pytest.raises(PermissionDenied, match="another practice"):
        user_update(
            actor=cast.admin, user=cast.foreign_clinician, details={"full_name": "Taken Over"}
        )
    cast.foreign_clinician.refresh_from_db()
    assert cast.foreign_clinician.full_name != "Taken Over"


def test_an_admin_cannot_deactivate_themself(cast):
    with pytest.raises(ValidationError, match="deactivate yourself"):
        user_update(actor=cast.admin, user=cast.admin, details={"is_active": False})
    cast.admin.refresh_from_db()
    assert cast.admin.is_active


def test_an_admin_may_change_their_own_name(cast):
    user_update(
        actor=cast.admin, user=cast.admin, details={"full_name": "Ada Admin", "role": "admin"}
    )
    cast.admin.refresh_from_db()
    assert cast.admin.full_name == "Ada Admin"


def test_an_admin_may_make_another_person_admin(cast):
    user_update(actor=cast.admin, user=cast.supervisor, details={"role": "admin", "team": None})
    cast.supervisor.refresh_from_db()
    assert cast.supervisor.is_admin


def test_deactivating_on_the_page_signs_the_person_out_and_keeps_them_out(cast, web_as):
    theirs = WebClient()
    theirs.post(
        reverse("accounts:login"), {"username": cast.co_clinician.email, "password": PASSWORD}
    )
    assert theirs.get(reverse("people:caseload")).status_code == 200

    response = web_as(cast.admin).post(
        edit_url(cast.co_clinician), form_of(cast.co_clinician, is_active=None)
    )

    assert response.status_code == 302
    cast.co_clinician.refresh_from_db()
    assert not cast.co_clinician.is_active
    assert theirs.get(reverse("people:caseload")).status_code == 302
    again = WebClient().post(
        reverse("accounts:login"), {"username": cast.co_clinician.email, "password": PASSWORD}
    )
    assert again.status_code == 200


def test_a_deactivated_clinician_is_no_longer_offered_for_transfers_or_teams(cast, web_as):
    web_as(cast.admin).post(
        edit_url(cast.outsider_clinician), form_of(cast.outsider_clinician, is_active=None)
    )
    page = web_as(cast.clinician).get(
        reverse("care:episode_transfer", args=[cast.adult_episode.pk])
    )
    assert cast.outsider_clinician not in set(page.context["form"].fields["to_clinician"].queryset)


def test_reactivating_lets_the_person_sign_in_again(cast, web_as):
    cast.co_clinician.is_active = False
    cast.co_clinician.save()
    web_as(cast.admin).post(edit_url(cast.co_clinician), form_of(cast.co_clinician, is_active="on"))
    signed = WebClient().post(
        reverse("accounts:login"), {"username": cast.co_clinician.email, "password": PASSWORD}
    )
    assert signed.status_code == 302


def test_removing_ones_own_admin_role_on_the_page_is_a_clear_error(cast, web_as):
    response = web_as(cast.admin).post(edit_url(cast.admin), form_of(cast.admin, is_active=None))
    assert response.status_code == 200
    assert "cannot remove your own admin role or deactivate yourself" in response.text
    cast.admin.refresh_from_db()
    assert cast.admin.is_active


def test_changing_an_email_to_one_in_use_is_a_form_error(cast, web_as):
    response = web_as(cast.admin).post(
        edit_url(cast.co_clinician), form_of(cast.co_clinician, email=cast.guardian.email)
    )
    assert "Another account already uses this email address." in response.text
    cast.co_clinician.refresh_from_db()
    assert cast.co_clinician.email == "co.clinician@northside.test"


def test_opening_an_account_page_changes_nothing_and_audits_no_update(cast, web_as):
    response = web_as(cast.admin).get(edit_url(cast.co_clinician))
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="update", object_type="accounts.user").exists()


@pytest.mark.parametrize("who,status", [("clinician", 403), ("supervisor", 403)])
def test_staff_who_are_not_admins_cannot_open_account_pages(cast, web_as, who, status):
    assert web_as(getattr(cast, who)).get(edit_url(cast.co_clinician)).status_code == status


def test_an_account_that_does_not_exist_is_not_found(cast, web_as):
    response = web_as(cast.admin).get(reverse("practices:user_edit", args=[987654]))
    assert response.status_code == 404
