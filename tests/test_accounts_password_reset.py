"""Resetting a forgotten password: the same answer whatever the address, a link that works once
and for three days, a new password that must be strong, and limits that cannot be dodged by
writing an address differently."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client as WebClient
from django.urls import reverse

from rapport.accounts.models import ThrottleEvent
from rapport.accounts.password_links import set_password_link
from rapport.accounts.services import password_reset_admit
from rapport.audit.models import AuditEvent
from tests.conftest import PASSWORD

RESET = reverse("accounts:password_reset")
DONE = reverse("accounts:password_reset_done")
BASE = "https://rapport.example.org"
NEW = "a-fresh-and-long-passphrase-93"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.RAPPORT_BASE_URL = BASE


def ask(email: str, ip: str = "192.0.2.10"):
    return WebClient(REMOTE_ADDR=ip).post(RESET, {"email": email})


def emailed_path() -> str:
    found = re.search(rf"{re.escape(BASE)}(/accounts/password-reset/\S+/)", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(1)


def choose_password(path: str, password: str = NEW, again: str | None = None):
    """Follow a set-password link and submit a new password; returns (form page, answer)."""
    web = WebClient()
    page = web.get(path, follow=True)
    if not page.context["validlink"]:
        return page, None
    answer = web.post(
        page.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": again or password},
    )
    return page, answer


def test_a_known_and_an_unknown_address_get_the_same_answer(cast):
    known = ask(cast.clinician.email)
    unknown = ask("nobody@northside.test")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == DONE
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [cast.clinician.email]


def test_the_page_after_asking_does_not_say_whether_an_email_went(cast):
    text = WebClient().get(DONE).text
    assert "If the address belongs to an account" in text
    assert "works once and expires in three days" in text
    assert cast.clinician.email not in text


def test_a_deactivated_account_gets_no_email_and_the_same_answer(cast):
    cast.co_clinician.is_active = False
    cast.co_clinician.save()
    response = ask(cast.co_clinician.email)
    assert response["Location"] == DONE
    assert not mail.outbox


def test_the_emailed_link_sets_a_new_password_that_then_signs_in(cast):
    ask(cast.clinician.email)
    page, answer = choose_password(emailed_path())
    assert page.context["validlink"]
    assert answer.status_code == 302
    assert answer["Location"] == reverse("accounts:password_reset_complete")
    cast.clinician.refresh_from_db()
    assert cast.clinician.check_password(NEW) and not cast.clinician.check_password(PASSWORD)
    signed = WebClient().post(
        reverse("accounts:login"), {"username": cast.clinician.email, "password": NEW}
    )
    assert signed.status_code == 302


def test_a_link_works_only_once(cast):
    ask(cast.clinician.email)
    path = emailed_path()
    choose_password(path)
    page, answer = choose_password(path, "yet-another-long-passphrase-21")
    assert page.context["validlink"] is False and answer is None
    cast.clinician.refresh_from_db()
    assert cast.clinician.check_password(NEW)


def test_signing_in_after_the_email_was_sent_spends_the_link(cast):
    ask(cast.clinician.email)
    path = emailed_path()
    WebClient().post(
        reverse("accounts:login"), {"username": cast.clinician.email, "password": PASSWORD}
    )
    page, answer = choose_password(path)
    # Django's token covers the last sign-in time: a sign-in in between spends the link.
    assert page.context["validlink"] is False and answer is None


def test_a_link_expires_after_three_days(cast, monkeypatch):
    ask(cast.clinician.email)
    path = emailed_path()
    later = datetime.now() + timedelta(days=3, minutes=1)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)
    page, answer = choose_password(path)
    assert page.context["validlink"] is False and answer is None
    cast.clinician.refresh_from_db()
    assert cast.clinician.check_password(PASSWORD)


def test_a_link_still_works_just_before_three_days(cast, monkeypatch):
    ask(cast.clinician.email)
    path = emailed_path()
    later = datetime.now() + timedelta(days=3) - timedelta(minutes=5)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)
    page, _ = choose_password(path)
    assert page.context["validlink"]


def test_a_link_for_one_account_cannot_be_turned_to_another(cast):
    ask(cast.clinician.email)
    path = emailed_path()
    uid = path.split("/")[3]
    other = set_password_link(cast.co_clinician, base_url=BASE).removeprefix(BASE)
    forged = other.replace(other.split("/")[4], path.split("/")[4])
    assert uid != other.split("/")[3]
    page, answer = choose_password(forged)
    assert page.context["validlink"] is False and answer is None


@pytest.mark.parametrize(
    "password,again",
    [("short-1", None), ("password1234", None), ("12345678901234", None), (NEW, NEW + "x")],
)
def test_a_weak_or_mistyped_new_password_is_refused(cast, password, again):
    ask(cast.clinician.email)
    _, answer = choose_password(emailed_path(), password, again)
    assert answer.status_code == 200
    assert answer.context["form"].errors
    cast.clinician.refresh_from_db()
    assert cast.clinician.check_password(PASSWORD)


def test_a_password_like_the_persons_own_email_is_refused(cast):
    ask(cast.clinician.email)
    _, answer = choose_password(emailed_path(), "clinician@northside.test")
    assert answer.status_code == 200
    cast.clinician.refresh_from_db()
    assert cast.clinician.check_password(PASSWORD)


def test_the_limit_per_address_ignores_capitals_and_spaces(cast):
    for spelling in (
        "clinician@northside.test",
        "CLINICIAN@northside.test",
        " Clinician@Northside.Test ",
    ):
        assert password_reset_admit(email=spelling, ip_address="192.0.2.1")
    assert not password_reset_admit(email="clinician@NORTHSIDE.test", ip_address="192.0.2.2")


def test_a_limited_request_is_audited_without_naming_the_address(cast):
    for _ in range(4):
        ask(cast.clinician.email)
    event = AuditEvent.objects.get(action="password_reset_throttled")
    assert event.outcome == "denied" and event.detail == {"scope": "reset_address"}
    assert cast.clinician.email not in str(event.detail) and event.actor_id is None


def test_an_address_that_is_not_an_email_is_a_form_error(db):
    response = WebClient().post(RESET, {"email": "not an email"})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not mail.outbox


def test_opening_the_reset_page_sends_nothing_and_counts_nothing(cast):
    assert WebClient().get(RESET).status_code == 200
    assert not mail.outbox and not ThrottleEvent.objects.exists()
