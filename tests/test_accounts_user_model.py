"""Accounts as stored: one lower-cased email each, staff always in a practice, roles from the
list only, and no account that holds every permission."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from rapport.accounts.models import Role, User


def test_an_email_is_stored_in_lower_case(db, cast):
    user = User.objects.create_user(
        "Someone.New@Example.COM",
        "long-enough-passphrase-1",
        full_name="Someone New",
        role=Role.CLIENT,
        practice=cast.practice,
    )
    assert user.email == "someone.new@example.com"


def test_an_account_needs_an_email(db):
    with pytest.raises(ValueError, match="email address is required"):
        User.objects.create_user("", "long-enough-passphrase-1", full_name="No One", role="client")


def test_two_accounts_cannot_share_an_email_whatever_the_capitals(cast):
    with pytest.raises(ValidationError) as refused:
        User.objects.create_user(
            "CLINICIAN@northside.test",
            "long-enough-passphrase-1",
            full_name="Copy",
            role=Role.CLIENT,
            practice=cast.practice,
        )
    assert list(refused.value.message_dict) == ["email"]


def test_staff_without_a_practice_cannot_be_stored(db):
    user = User(email="floating@nowhere.test", full_name="Floating", role=Role.CLINICIAN)
    with pytest.raises(IntegrityError), transaction.atomic():
        user.save()


def test_a_role_not_on_the_list_cannot_be_stored(cast):
    cast.clinician.role = "superuser"
    with pytest.raises(IntegrityError), transaction.atomic():
        cast.clinician.save()


@pytest.mark.parametrize("who", ["admin", "supervisor", "clinician"])
def test_no_account_holds_every_permission(cast, who):
    user = getattr(cast, who)
    assert not user.is_superuser and not user.is_staff
    assert not user.has_perm("people.delete_client")
    assert not user.has_module_perms("people")


def test_the_role_properties_sort_people_into_staff_and_clinical_staff(cast):
    kinds = {
        name: (getattr(cast, name).is_practice_staff, getattr(cast, name).is_clinical_staff)
        for name in ("admin", "supervisor", "clinician", "adult_client_user", "guardian")
    }
    assert kinds == {
        "admin": (True, False),
        "supervisor": (True, True),
        "clinician": (True, True),
        "adult_client_user": (False, False),
        "guardian": (False, False),
    }


def test_a_person_is_greeted_by_their_first_name_or_else_their_email(db):
    named = User(email="a@example.com", full_name="Robin Q Public")
    unnamed = User(email="b@example.com", full_name="")
    assert (named.first_name, unnamed.first_name) == ("Robin", "b@example.com")
    assert (str(named), str(unnamed)) == ("Robin Q Public", "b@example.com")
