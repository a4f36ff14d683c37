"""Signing in and out: each role lands on its own start page, a `next` address is followed only
within the site, deactivated accounts are told what a wrong password is told, and both ends of a
session are audited."""

from __future__ import annotations

import pytest
from django.test import Client as WebClient
from django.urls import reverse

from rapport.audit.models import AuditEvent
from tests.conftest import PASSWORD

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")


def sign_in(web: WebClient, email: str, password: str = PASSWORD, **extra):
    return web.post(LOGIN, {"username": email, "password": password, **extra})


def landing(web: WebClient, response) -> str:
    """Where a successful sign-in ends up, following the start page's own redirect."""
    assert response.status_code == 302
    second = web.get(response["Location"])
    return second["Location"] if second.status_code == 302 else response["Location"]


@pytest.mark.parametrize(
    "who,page",
    [
        ("clinician", "people:caseload"),
        ("supervisor", "practices:team"),
        ("admin", "practices:manage"),
        ("adult_client_user", "portal:home"),
        ("guardian", "portal:home"),
    ],
)
def test_each_role_lands_on_its_own_start_page(cast, who, page):
    web = WebClient()
    response = sign_in(web, getattr(cast, who).email)
    assert landing(web, response) == reverse(page)


def test_a_sign_in_goes_on_to_the_page_that_was_asked_for(cast):
    wanted = reverse("people:client_detail", args=[cast.adult_client.pk])
    web = WebClient()
    response = web.post(
        f"{LOGIN}?next={wanted}",
        {"username": cast.clinician.email, "password": PASSWORD, "next": wanted},
    )
    assert response["Location"] == wanted


@pytest.mark.parametrize(
    "elsewhere", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_a_next_address_off_the_site_is_ignored(cast, elsewhere):
    web = WebClient()
    response = sign_in(web, cast.clinician.email, next=elsewhere)
    assert response.status_code == 302
    assert "evil" not in response["Location"] and "javascript" not in response["Location"]


def test_the_email_may_be_typed_with_capitals_and_spaces(cast):
    response = sign_in(WebClient(), "  CLINICIAN@northside.TEST ")
    assert response.status_code == 302


def test_someone_already_signed_in_is_sent_on_from_the_sign_in_page(cast, web_as):
    response = web_as(cast.clinician).get(LOGIN)
    assert response.status_code == 302


def test_signing_in_is_audited_against_the_account(cast):
    sign_in(WebClient(), cast.clinician.email)
    event = AuditEvent.objects.get(action="sign_in")
    assert event.actor_id == cast.clinician.pk
    assert (event.object_type, event.object_id) == ("accounts.user", str(cast.clinician.pk))


def test_a_failed_sign_in_is_not_audited_as_one(cast):
    sign_in(WebClient(), cast.clinician.email, "not the password")
    assert not AuditEvent.objects.filter(action="sign_in").exists()


def test_signing_out_ends_the_session_and_is_audited(cast):
    web = WebClient()
    sign_in(web, cast.clinician.email)
    response = web.post(LOGOUT)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert response["Clear-Site-Data"] == '"cache"'  # cached charts go with the session
    assert AuditEvent.objects.filter(action="sign_out", actor_id=cast.clinician.pk).exists()
    after = web.get(reverse("people:caseload"))
    assert after.status_code == 302 and after["Location"].startswith(LOGIN)


def test_signing_out_needs_a_post_so_a_link_cannot_sign_anyone_out(cast):
    web = WebClient()
    sign_in(web, cast.clinician.email)
    assert web.get(LOGOUT).status_code == 405
    assert web.get(reverse("people:caseload")).status_code == 200
    assert not AuditEvent.objects.filter(action="sign_out").exists()


def test_signing_out_when_not_signed_in_records_nobody(db):
    response = WebClient().post(LOGOUT)
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="sign_out").exists()


def test_a_deactivated_account_is_told_what_a_wrong_password_is_told(cast):
    cast.co_clinician.is_active = False
    cast.co_clinician.save()
    deactivated = sign_in(WebClient(), cast.co_clinician.email)
    wrong = sign_in(WebClient(), cast.clinician.email, "not the password")
    assert deactivated.status_code == wrong.status_code == 200
    assert deactivated.context["form"].errors == wrong.context["form"].errors
    assert "do not match an account" in deactivated.text


def test_deactivating_an_account_ends_its_open_sessions(cast):
    web = WebClient()
    sign_in(web, cast.co_clinician.email)
    assert web.get(reverse("people:caseload")).status_code == 200
    cast.co_clinician.is_active = False
    cast.co_clinician.save()
    response = web.get(reverse("people:caseload"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_changing_the_password_ends_sessions_signed_in_with_the_old_one(cast):
    web = WebClient()
    sign_in(web, cast.clinician.email)
    cast.clinician.set_password("a-new-and-long-passphrase-77")
    cast.clinician.save()
    response = web.get(reverse("people:caseload"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_an_account_without_a_password_yet_cannot_sign_in(cast):
    cast.co_clinician.set_unusable_password()
    cast.co_clinician.save()
    for attempt in ("", "!", PASSWORD):
        response = sign_in(WebClient(), cast.co_clinician.email, attempt)
        assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="sign_in").exists()


def test_the_sign_in_page_offers_a_way_to_reset_a_forgotten_password(db):
    page = WebClient().get(LOGIN)
    assert reverse("accounts:password_reset") in page.text


def test_the_sign_in_page_is_not_cached_and_carries_a_csrf_cookie(db):
    response = WebClient().get(LOGIN)
    assert "no-store" in response["Cache-Control"]
    assert "csrfmiddlewaretoken" in response.text
