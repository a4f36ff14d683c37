import re
import time

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.test import Client as WebClient
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from rapport.accounts.hashers import OwaspArgon2PasswordHasher
from rapport.accounts.middleware import LAST_SEEN_AT, SIGNED_IN_AT
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"


def sign_in(web: WebClient, email: str, password: str):
    return web.post(LOGIN, {"username": email, "password": password})


def test_login_page_has_email_and_password_fields_and_a_sign_in_button(db):
    page = WebClient().get(LOGIN).text
    assert ">Email<" in page and ">Password<" in page and ">Sign in</button>" in page


def test_a_clinician_signs_in_with_email_and_password(cast):
    web = WebClient()
    response = sign_in(web, "Clinician@Northside.test", PASSWORD)
    assert response.status_code == 302
    assert web.get("/caseload/").status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(cast):
    known = sign_in(WebClient(), cast.clinician.email, "wrong password")
    unknown = sign_in(WebClient(), "nobody@northside.test", "wrong password")
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors


def test_five_failures_lock_out_known_and_unknown_emails_alike(cast):
    responses = {}
    for email in (cast.clinician.email, "nobody@northside.test"):
        web = WebClient(REMOTE_ADDR=f"10.0.0.{len(responses) + 1}")
        for _ in range(5):
            sign_in(web, email, "wrong password")
        responses[email] = sign_in(web, email, "wrong password")
    known, unknown = responses.values()
    assert known.status_code == unknown.status_code == 429
    assert "Too many failed attempts" in known.text and "Too many failed attempts" in unknown.text
    # Even the right password is refused during the lockout.
    locked = sign_in(WebClient(REMOTE_ADDR="10.0.0.1"), cast.clinician.email, PASSWORD)
    assert locked.status_code == 429


def test_passwords_are_hashed_with_argon2id_at_owasp_cost():
    encoded = make_password("a long enough password", hasher=OwaspArgon2PasswordHasher())
    assert encoded.startswith("argon2$argon2id$")
    assert "m=19456,t=2,p=1" in encoded


def test_staff_are_signed_out_after_fifteen_idle_minutes(cast, web_as):
    web = web_as(cast.clinician)
    assert web.get("/caseload/").status_code == 200
    session = web.session
    session[LAST_SEEN_AT] = time.time() - 15 * 60 - 1
    session.save()
    response = web.get("/caseload/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert web.get("/caseload/").status_code == 302  # really signed out


def test_clients_are_not_subject_to_the_staff_idle_limit_but_to_the_twelve_hour_one(cast, web_as):
    web = web_as(cast.adult_client_user)
    session = web.session
    session[LAST_SEEN_AT] = time.time() - 60 * 60
    session.save()
    assert web.get("/portal/").status_code == 200
    session = web.session
    session[SIGNED_IN_AT] = time.time() - 12 * 60 * 60 - 1
    session.save()
    assert web.get("/portal/").status_code == 302


def test_staff_must_set_up_two_factor_when_required(cast, web_as, settings):
    settings.RAPPORT_REQUIRE_STAFF_2FA = True
    web = web_as(cast.clinician)
    response = web.get("/caseload/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor_setup"))
    # Clients are not staff: no second factor demanded.
    assert web_as(cast.adult_client_user).get("/portal/").status_code == 200

    # First a code emailed to the account's own address (tests/test_authentication_enrolment.py).
    web.post(reverse("accounts:two_factor_setup"), {"send": "1"})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    web.post(reverse("accounts:two_factor_setup"), {"code": code})
    setup = web.get(reverse("accounts:two_factor_setup"))
    assert setup.status_code == 200 and "<svg" in setup.text
    assert not TOTPDevice.objects.filter(user=cast.clinician).exists()  # showing stores nothing
    key = bytes.fromhex(web.session["rapport_totp_setup_key"])
    wrong = web.post(
        reverse("accounts:two_factor_setup"),
        {"token": "000000" if totp(key) != 0 else "111111"},
    )
    assert wrong.status_code == 200 and "did not match" in wrong.text
    device = TOTPDevice.objects.get(user=cast.clinician)
    assert device.bin_key == key
    device.throttle_reset()  # a failure throttles the next try; the user would wait a second
    response = web.post(
        reverse("accounts:two_factor_setup"), {"token": f"{totp(device.bin_key):06d}"}
    )
    assert response.status_code == 302
    assert web.get("/caseload/").status_code == 200


def test_a_user_with_a_device_must_enter_a_code_at_each_sign_in(cast, settings):
    settings.RAPPORT_REQUIRE_STAFF_2FA = False
    device = TOTPDevice.objects.create(user=cast.clinician, name="phone", confirmed=True)
    web = WebClient()
    sign_in(web, cast.clinician.email, PASSWORD)
    response = web.get("/caseload/")
    assert response["Location"].startswith(reverse("accounts:two_factor_verify"))
    web.post(reverse("accounts:two_factor_verify"), {"token": f"{totp(device.bin_key):06d}"})
    assert web.get("/caseload/").status_code == 200


def test_pages_carry_a_strict_content_security_policy(db):
    response = WebClient().get(LOGIN)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_unsafe_methods_need_a_csrf_token(cast):
    web = WebClient(enforce_csrf_checks=True)
    web.force_login(cast.clinician)
    response = web.post(
        reverse("care:session_detail", args=[cast.adult_session.pk]), {"attendance": "attended"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/caseload/", "/portal/", "/manage/"])
def test_anonymous_visitors_are_sent_to_sign_in(db, path):
    response = WebClient().get(path)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
