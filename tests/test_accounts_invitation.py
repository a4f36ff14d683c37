"""Inviting a person: an account without a password in the admin's own practice, an email with a
link to choose one that works once and for three days, and no half-made account when the email
cannot be sent."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from uuid import uuid4

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as WebClient
from django.urls import reverse

from rapport.accounts.models import User
from rapport.accounts.services import user_invite
from rapport.audit.models import AuditEvent
from rapport.practices.models import Team

BASE = "https://rapport.example.org"
PASSPHRASE = "a-long-and-new-passphrase-58"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.RAPPORT_BASE_URL = BASE


def details(email="robin@northside.test", role="clinician", **extra):
    return {"full_name": "Robin Newhire", "email": email, "role": role, "is_active": True, **extra}


def invitation_path() -> str:
    found = re.search(rf"{re.escape(BASE)}(/accounts/password-reset/\S+/)", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(1)


def choose_password(path: str, password: str = PASSPHRASE):
    web = WebClient()
    page = web.get(path, follow=True)
    if not page.context["validlink"]:
        return False
    answer = web.post(
        page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    return answer.status_code == 302


def test_an_invited_account_has_no_password_and_belongs_to_the_admins_practice(cast):
    user = user_invite(actor=cast.admin, details=details())
    assert user.practice == cast.practice
    assert not user.has_usable_password()
    assert user.is_active and user.role == "clinician"


def test_the_invitation_names_the_practice_and_says_how_long_the_link_lasts(cast):
    user_invite(actor=cast.admin, details=details())
    [message] = mail.outbox
    assert message.to == ["robin@northside.test"]
    assert "Northside Therapy" in message.subject
    assert "Hello Robin" in message.body
    assert "works once and expires in three days" in message.body


def test_the_invitation_is_audited_with_the_role_given(cast):
    user = user_invite(actor=cast.admin, details=details(role="supervisor"))
    event = AuditEvent.objects.get(action="create", object_type="accounts.user")
    assert event.actor_id == cast.admin.pk and event.object_id == str(user.pk)
    assert event.detail == {"role": "supervisor"}


@pytest.mark.parametrize("who", ["clinician", "supervisor", "adult_client_user"])
def test_only_a_practice_admin_may_invite(cast, who):
    with pytest.raises(PermissionDenied):
        user_invite(actor=getattr(cast, who), details=details())
    assert not User.objects.filter(email="robin@northside.test").exists()
    assert not mail.outbox


def test_an_invitation_that_cannot_be_emailed_leaves_no_account_behind(cast, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("rapport.accounts.services.send_mail", refuse)
    with pytest.raises(ConnectionRefusedError):
        user_invite(actor=cast.admin, details=details())
    assert not User.objects.filter(email="robin@northside.test").exists()
    assert not AuditEvent.objects.filter(object_type="accounts.user", action="create").exists()


def test_an_unknown_role_is_refused_by_the_service(cast):
    with pytest.raises(ValidationError):
        user_invite(actor=cast.admin, details=details(role="owner"))
    assert not mail.outbox


def test_the_invitation_link_lets_the_person_choose_a_password_and_sign_in(cast):
    user_invite(actor=cast.admin, details=details())
    assert choose_password(invitation_path())
    signed = WebClient().post(
        reverse("accounts:login"), {"username": "robin@northside.test", "password": PASSPHRASE}
    )
    assert signed.status_code == 302


def test_the_invitation_link_works_only_once(cast):
    user_invite(actor=cast.admin, details=details())
    path = invitation_path()
    assert choose_password(path)
    assert not choose_password(path, "somebody-elses-passphrase-11")
    assert User.objects.get(email="robin@northside.test").check_password(PASSPHRASE)


def test_the_invitation_link_expires_after_three_days(cast, monkeypatch):
    user_invite(actor=cast.admin, details=details())
    path = invitation_path()
    later = datetime.now() + timedelta(days=3, minutes=1)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)
    assert not choose_password(path)
    assert not User.objects.get(email="robin@northside.test").has_usable_password()


def test_an_invitee_whose_link_expired_can_ask_for_a_new_one(cast):
    user_invite(actor=cast.admin, details=details())
    mail.outbox.clear()
    WebClient().post(reverse("accounts:password_reset"), {"email": "robin@northside.test"})
    assert len(mail.outbox) == 1


def test_an_invitee_deactivated_before_choosing_a_password_still_cannot_sign_in(cast):
    invitee = user_invite(actor=cast.admin, details=details())
    invitee.is_active = False
    invitee.save()
    choose_password(invitation_path())
    signed = WebClient().post(
        reverse("accounts:login"), {"username": "robin@northside.test", "password": PASSPHRASE}
    )
    assert signed.status_code == 200  # the sign-in form again, with its one message


# --- Through the admin's page -------------------------------------------------------------------


def post_invite(web, key=None, **changes):
    data = {
        "submission_key": key or str(uuid4()),
        "full_name": "Robin Newhire",
        "email": "robin@northside.test",
        "role": "clinician",
        "is_active": "on",
        **changes,
    }
    return web.post(reverse("practices:user_new"), data)


def test_an_email_in_use_with_other_capitals_is_still_a_form_error(cast, web_as):
    response = post_invite(web_as(cast.admin), email="CLINICIAN@Northside.test")
    assert response.status_code == 200
    assert "Another account already uses this email address." in response.text
    assert not mail.outbox


def test_only_clinicians_and_supervisors_belong_to_a_team(cast, web_as):
    response = post_invite(web_as(cast.admin), role="admin", team=cast.team_a.pk)
    assert "Only clinicians and supervisors belong to a team." in response.text
    assert not User.objects.filter(email="robin@northside.test").exists()


def test_a_team_of_another_practice_cannot_be_chosen(cast, web_as):
    elsewhere = Team.objects.create(practice=cast.other_practice, name="Far team")
    response = post_invite(web_as(cast.admin), team=elsewhere.pk)
    assert "team" in response.context["form"].errors
    assert not User.objects.filter(email="robin@northside.test").exists()


def test_a_double_clicked_invitation_makes_one_account_and_sends_one_email(cast, web_as):
    web = web_as(cast.admin)
    key = str(uuid4())
    assert post_invite(web, key=key).status_code == 302
    post_invite(web, key=key)
    assert len(mail.outbox) == 1
    assert User.objects.filter(email="robin@northside.test").count() == 1


def test_the_second_click_of_a_double_clicked_invitation_is_told_it_was_already_saved(cast, web_as):
    web = web_as(cast.admin)
    key = str(uuid4())
    post_invite(web, key=key)
    second = post_invite(web, key=key)
    assert second.status_code == 302
    assert "already saved" in web.get(second["Location"]).text


@pytest.mark.parametrize("who", ["clinician", "supervisor"])
def test_staff_who_are_not_admins_are_refused_the_invitation_page(cast, web_as, who):
    assert web_as(getattr(cast, who)).get(reverse("practices:user_new")).status_code == 403
    assert post_invite(web_as(getattr(cast, who))).status_code == 403
    assert not mail.outbox
