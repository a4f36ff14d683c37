"""A second factor is enrolled only after a code emailed to the account's own address: whoever
holds just the password cannot claim the account's authenticator first."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from rapport.accounts.models import EnrolmentCode

SETUP = reverse("accounts:two_factor_setup")


@pytest.fixture
def web(cast, web_as, settings):
    settings.RAPPORT_REQUIRE_STAFF_2FA = True
    return web_as(cast.clinician)


def emailed_code() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_knowing_the_password_is_not_enough_to_see_the_authenticator_secret(web):
    page = web.get(SETUP)
    assert page.status_code == 200
    assert "Email me a code" in page.text and "<svg" not in page.text
    assert "rapport_totp_setup_key" not in web.session


def test_posting_an_authenticator_code_without_the_emailed_code_enrols_nothing(web):
    response = web.post(SETUP, {"token": "123456"})
    assert response.status_code == 200
    assert not TOTPDevice.objects.exists()


def test_showing_the_page_sends_nothing_asking_does(web, cast):
    web.get(SETUP)
    assert not mail.outbox and not EnrolmentCode.objects.exists()
    assert web.post(SETUP, {"send": "1"}).status_code == 302
    [message] = mail.outbox
    assert message.to == [cast.clinician.email]
    assert re.search(r"\b\d{6}\b", message.body)


def test_the_emailed_code_opens_enrolment_which_then_completes_with_the_app(web):
    web.post(SETUP, {"send": "1"})
    assert web.post(SETUP, {"code": emailed_code()}).status_code == 302
    page = web.get(SETUP)
    assert "<svg" in page.text
    key = bytes.fromhex(web.session["rapport_totp_setup_key"])
    response = web.post(SETUP, {"token": f"{totp(key):06d}"})
    assert response.status_code == 302
    assert TOTPDevice.objects.get().confirmed
    assert web.get("/caseload/").status_code == 200


def test_a_wrong_code_is_refused_with_a_clear_message(web):
    web.post(SETUP, {"send": "1"})
    page = web.post(SETUP, {"code": other_than(emailed_code())})
    assert page.status_code == 200 and "wrong, used up or expired" in page.text
    assert "<svg" not in web.get(SETUP).text


def test_five_wrong_tries_use_the_code_up(web):
    web.post(SETUP, {"send": "1"})
    code = emailed_code()
    for _ in range(5):
        web.post(SETUP, {"code": other_than(code)})
    web.post(SETUP, {"code": code})
    assert "<svg" not in web.get(SETUP).text


def test_a_code_expires_after_ten_minutes(web):
    web.post(SETUP, {"send": "1"})
    code = emailed_code()
    row = EnrolmentCode.objects.get()
    assert row.expires_at - row.created_at == timedelta(minutes=10)
    EnrolmentCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    web.post(SETUP, {"code": code})
    assert "<svg" not in web.get(SETUP).text


def test_a_new_code_replaces_the_last_and_a_used_code_never_works_again(web, cast, web_as):
    web.post(SETUP, {"send": "1"})
    first = emailed_code()
    web.post(SETUP, {"send": "1"})
    second = emailed_code()
    if first != second:
        web.post(SETUP, {"code": first})
        assert "<svg" not in web.get(SETUP).text
    web.post(SETUP, {"code": second})
    assert "<svg" in web.get(SETUP).text
    # The same code in another session (someone who saw the email later) is spent.
    other = web_as(cast.clinician)
    other.post(SETUP, {"code": second})
    assert "<svg" not in other.get(SETUP).text


def test_codes_are_kept_only_as_keyed_hashes(web):
    web.post(SETUP, {"send": "1"})
    row = EnrolmentCode.objects.get()
    assert emailed_code() not in row.code_hash and len(row.code_hash) == 64


def test_an_account_may_ask_for_five_codes_an_hour(web):
    for _ in range(7):
        web.post(SETUP, {"send": "1"})
    assert len(mail.outbox) == 5


def test_a_code_proves_only_the_account_it_was_sent_to(web, cast, web_as):
    web.post(SETUP, {"send": "1"})
    code = emailed_code()
    colleague = web_as(cast.co_clinician)
    colleague.post(SETUP, {"code": code})
    assert "<svg" not in colleague.get(SETUP).text
