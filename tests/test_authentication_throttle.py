"""Sign-in lockout is per account; an address is only throttled far higher, with back-off; and
password-reset requests are limited per email and per address without telling anyone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import ThrottleEvent
from rapport.accounts.queries import sign_in_blocked_until
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"
OFFICE = "203.0.113.7"


def sign_in(web: WebClient, email: str, password: str):
    return web.post(LOGIN, {"username": email, "password": password})


def test_a_colleague_behind_the_same_router_still_signs_in_after_another_account_is_locked(cast):
    typist = WebClient(REMOTE_ADDR=OFFICE)
    for _ in range(6):
        sign_in(typist, cast.co_clinician.email, "wrong password")
    assert sign_in(typist, cast.co_clinician.email, PASSWORD).status_code == 429

    colleague = WebClient(REMOTE_ADDR=OFFICE)
    response = sign_in(colleague, cast.clinician.email, PASSWORD)
    assert response.status_code == 302
    assert colleague.get("/caseload/").status_code == 200


def test_failures_on_many_accounts_from_one_address_do_not_lock_a_further_account(cast):
    web = WebClient(REMOTE_ADDR=OFFICE)
    for n in range(12):
        sign_in(web, f"stranger{n}@northside.test", "wrong password")
    assert sign_in(web, cast.clinician.email, PASSWORD).status_code == 302


def test_an_account_is_locked_after_five_failures_from_any_mix_of_addresses(cast):
    for n in range(5):
        sign_in(WebClient(REMOTE_ADDR=f"198.51.100.{n + 1}"), cast.clinician.email, "wrong")
    locked = sign_in(WebClient(REMOTE_ADDR="198.51.100.99"), cast.clinician.email, PASSWORD)
    assert locked.status_code == 429 and "Too many failed attempts" in locked.text


def test_an_address_is_paused_after_the_address_limit_even_for_a_correct_password(cast, settings):
    settings.RAPPORT_SIGN_IN_IP_LIMIT = 10
    web = WebClient(REMOTE_ADDR=OFFICE)
    for n in range(10):
        sign_in(web, f"guess{n}@northside.test", "wrong password")
    paused = sign_in(web, cast.clinician.email, PASSWORD)
    assert paused.status_code == 429
    assert "from your network" in paused.text and int(paused["Retry-After"]) == 15 * 60
    # Another address is not affected.
    assert (
        sign_in(WebClient(REMOTE_ADDR="192.0.2.1"), cast.clinician.email, PASSWORD).status_code
        == 302
    )


def test_the_address_pause_doubles_at_the_next_strike_and_stops_counting_while_paused(
    cast, settings
):
    settings.RAPPORT_SIGN_IN_IP_LIMIT = 10
    web = WebClient(REMOTE_ADDR=OFFICE)
    for n in range(15):
        sign_in(web, f"guess{n}@northside.test", "wrong password")
    assert ThrottleEvent.objects.filter(scope="sign_in_ip").count() == 10
    first_strike = timezone.now()
    assert sign_in_blocked_until(OFFICE, now=first_strike) is not None
    # Once the first pause has passed, ten more failures pause the address for 30 minutes.
    later = first_strike + timedelta(minutes=16)
    ThrottleEvent.objects.bulk_create(
        ThrottleEvent(scope="sign_in_ip", key=ThrottleEvent.objects.first().key, at=later)
        for _ in range(10)
    )
    assert sign_in_blocked_until(OFFICE, now=later) == later + timedelta(minutes=30)


def test_failures_are_counted_in_the_database_so_every_app_server_sees_them(cast, settings):
    settings.RAPPORT_SIGN_IN_IP_LIMIT = 10
    # Two separate clients stand for two gunicorn workers: only the database is shared.
    for n in range(10):
        sign_in(WebClient(REMOTE_ADDR=OFFICE), f"guess{n}@northside.test", "wrong password")
    assert sign_in(WebClient(REMOTE_ADDR=OFFICE), cast.clinician.email, PASSWORD).status_code == 429


def test_counted_addresses_are_kept_as_keyed_hashes_not_in_clear(cast):
    sign_in(WebClient(REMOTE_ADDR=OFFICE), cast.clinician.email, "wrong password")
    [event] = ThrottleEvent.objects.all()
    assert OFFICE not in event.key and len(event.key) == 64


# --- Password reset ----------------------------------------------------------------------------

RESET = "/accounts/password-reset/"


def ask_reset(email: str, ip: str = OFFICE):
    return WebClient(REMOTE_ADDR=ip).post(RESET, {"email": email})


def test_fifteen_reset_requests_for_one_address_send_three_emails(cast):
    responses = [ask_reset(cast.clinician.email, ip=f"198.51.100.{n}") for n in range(15)]
    assert len(mail.outbox) == 3
    assert {r.status_code for r in responses} == {302}
    assert {r["Location"] for r in responses} == {reverse("accounts:password_reset_done")}


def test_one_address_can_ask_for_at_most_twenty_resets_an_hour_across_accounts(cast, settings):
    emails = [cast.clinician.email, cast.co_clinician.email, cast.supervisor.email]
    emails += [cast.admin.email, cast.outsider_clinician.email, cast.other_supervisor.email]
    emails += [cast.adult_client_user.email, cast.guardian.email]
    for n in range(24):
        ask_reset(emails[n % len(emails)])
    assert len(mail.outbox) == 20


def test_a_limited_request_looks_exactly_like_a_sent_one(cast):
    for _ in range(3):
        ask_reset(cast.clinician.email)
    sent = len(mail.outbox)
    limited = ask_reset(cast.clinician.email)
    unknown = ask_reset("nobody@northside.test")
    assert len(mail.outbox) == sent
    assert limited.status_code == unknown.status_code == 302
    assert limited["Location"] == unknown["Location"]


def test_reset_requests_may_be_made_again_after_an_hour(cast):
    for _ in range(3):
        ask_reset(cast.clinician.email)
    ThrottleEvent.objects.update(at=timezone.now() - timedelta(hours=1, seconds=1))
    ask_reset(cast.clinician.email)
    assert len(mail.outbox) == 4


@pytest.mark.parametrize("value", ["9", "10001", "many"])
def test_the_address_limit_setting_is_range_checked(value, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from rapport.settings import env_int

    monkeypatch.setenv("RAPPORT_SIGN_IN_IP_LIMIT", value)
    with pytest.raises(ImproperlyConfigured, match="from 10 to 10000"):
        env_int("RAPPORT_SIGN_IN_IP_LIMIT", 100, low=10, high=10000)
