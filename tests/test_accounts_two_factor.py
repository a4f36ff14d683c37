"""Two-step sign-in after enrolment: who must give a code, where a code takes them, what they may
still do before giving it, and the audit of each step. (Enrolment's emailed code has its own
module, tests/test_authentication_enrolment.py.)"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client as WebClient
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from rapport.accounts.models import EnrolmentCode
from rapport.audit.models import AuditEvent
from tests.conftest import PASSWORD

SETUP = reverse("accounts:two_factor_setup")
VERIFY = reverse("accounts:two_factor_verify")
CASELOAD = reverse("people:caseload")


def signed_in_with_password(user) -> WebClient:
    web = WebClient()
    response = web.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return web


def device_for(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def wrong_code_for(device: TOTPDevice) -> str:
    # Neither this step's code nor a neighbouring step's (the device allows some clock drift).
    near = {totp(device.bin_key, drift=drift) for drift in (-2, -1, 0, 1, 2)}
    return next(
        f"{n:06d}" for n in (111111, 222222, 333333, 444444, 555555, 666666) if n not in near
    )


@pytest.fixture
def required(settings):
    settings.RAPPORT_REQUIRE_STAFF_2FA = True


@pytest.fixture
def optional(settings):
    settings.RAPPORT_REQUIRE_STAFF_2FA = False


def test_a_wrong_code_is_refused_with_a_message_and_the_pages_stay_closed(cast, optional):
    device = device_for(cast.clinician)
    web = signed_in_with_password(cast.clinician)
    response = web.post(VERIFY, {"token": wrong_code_for(device)})
    assert response.status_code == 200
    assert "That code did not match. Please try again." in response.text
    assert web.get(CASELOAD)["Location"].startswith(VERIFY)


def test_a_code_that_is_not_six_digits_is_a_form_error(cast, optional):
    device_for(cast.clinician)
    web = signed_in_with_password(cast.clinician)
    response = web.post(VERIFY, {"token": "12ab56"})
    assert "Enter the six digits your authenticator app shows." in response.text


def test_the_right_code_goes_on_to_the_page_that_was_asked_for(cast, optional):
    device = device_for(cast.clinician)
    web = signed_in_with_password(cast.clinician)
    wanted = reverse("people:client_detail", args=[cast.adult_client.pk])
    redirected = web.get(wanted)
    assert redirected["Location"] == f"{VERIFY}?next={wanted}"
    response = web.post(f"{VERIFY}?next={wanted}", {"token": code_of(device)})
    assert response["Location"] == wanted
    assert web.get(wanted).status_code == 200


def test_a_next_address_off_the_site_is_not_followed_after_the_code(cast, optional):
    device = device_for(cast.clinician)
    web = signed_in_with_password(cast.clinician)
    response = web.post(f"{VERIFY}?next=https://evil.example/", {"token": code_of(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_the_verify_page_without_a_device_sends_the_person_to_set_one_up(cast, required):
    web = signed_in_with_password(cast.clinician)
    assert web.get(VERIFY)["Location"] == SETUP


def test_the_set_up_page_with_a_device_already_sends_the_person_to_verify(cast, optional):
    device_for(cast.clinician)
    web = signed_in_with_password(cast.clinician)
    assert web.get(SETUP)["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=cast.clinician).count() == 1


def test_a_second_authenticator_cannot_be_enrolled_by_someone_with_only_the_password(
    cast, optional
):
    device_for(cast.clinician)
    web = signed_in_with_password(cast.clinician)
    web.post(SETUP, {"send": "1"})
    assert not mail.outbox and not EnrolmentCode.objects.exists()
    assert TOTPDevice.objects.filter(user=cast.clinician).count() == 1


def test_without_the_requirement_staff_with_no_device_go_straight_in(cast, optional):
    web = signed_in_with_password(cast.clinician)
    assert web.get(CASELOAD).status_code == 200


def test_a_client_who_set_up_a_device_must_also_give_a_code(cast, required):
    device = device_for(cast.adult_client_user)
    web = signed_in_with_password(cast.adult_client_user)
    portal = reverse("portal:home")
    assert web.get(portal)["Location"] == f"{VERIFY}?next={portal}"
    web.post(VERIFY, {"token": code_of(device)})
    assert web.get(portal).status_code == 200


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_every_staff_role_must_set_up_a_second_factor_when_required(cast, required, who):
    web = signed_in_with_password(getattr(cast, who))
    response = web.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0].startswith(SETUP)


def test_a_person_who_has_not_given_their_code_may_still_sign_out(cast, optional):
    device_for(cast.clinician)
    web = signed_in_with_password(cast.clinician)
    response = web.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert AuditEvent.objects.filter(action="sign_out", actor_id=cast.clinician.pk).exists()


def test_the_second_factor_is_asked_again_at_the_next_sign_in(cast, optional):
    device = device_for(cast.clinician)
    web = signed_in_with_password(cast.clinician)
    web.post(VERIFY, {"token": code_of(device)})
    web.post(reverse("accounts:logout"))
    again = signed_in_with_password(cast.clinician)
    assert again.get(CASELOAD)["Location"].startswith(VERIFY)


def test_opening_the_verify_page_changes_nothing(cast, optional):
    device = device_for(cast.clinician)
    web = signed_in_with_password(cast.clinician)
    before = TOTPDevice.objects.filter(pk=device.pk).values().get()
    assert web.get(VERIFY).status_code == 200
    assert TOTPDevice.objects.filter(pk=device.pk).values().get() == before


def test_finishing_enrolment_is_audited_and_each_emailed_code_check_too(cast, web_as, required):
    web = web_as(cast.clinician)
    web.post(SETUP, {"send": "1"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    web.post(SETUP, {"code": f"{(int(code) + 1) % 1_000_000:06d}"})
    web.post(SETUP, {"code": f"  {code} "})  # spaces around a pasted code are forgiven
    web.get(SETUP)
    key = bytes.fromhex(web.session["rapport_totp_setup_key"])
    web.post(SETUP, {"token": f"{totp(key):06d}"})
    mine = AuditEvent.objects.filter(actor_id=cast.clinician.pk)
    assert mine.filter(action="enrolment_code_sent").count() == 1
    checks = list(mine.filter(action="enrolment_code_check").values_list("outcome", flat=True))
    assert checks == ["denied", "ok"]
    assert mine.filter(action="two_factor_enabled").count() == 1


def test_a_malformed_emailed_code_is_a_form_error_and_does_not_use_up_a_try(cast, web_as, required):
    web = web_as(cast.clinician)
    web.post(SETUP, {"send": "1"})
    response = web.post(SETUP, {"code": "12-34"})
    assert "Enter the six digits from the email." in response.text
    assert EnrolmentCode.objects.get().attempts == 0


def test_a_sixth_code_in_an_hour_is_refused_with_a_message(cast, web_as, required):
    web = web_as(cast.clinician)
    for _ in range(5):
        web.post(SETUP, {"send": "1"})
    response = web.post(SETUP, {"send": "1"}, follow=True)
    assert "Too many codes were asked for. Please try again in an hour." in response.text
    assert len(mail.outbox) == 5
