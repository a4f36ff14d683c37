"""How long a signed-in session lasts: staff are signed out after the idle limit and everyone
after twelve hours, activity keeps the idle clock at zero, the person is told why and brought
back to where they were, and a page updated in place is redirected as a whole."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client as WebClient
from django.urls import reverse

from rapport.accounts.middleware import LAST_SEEN_AT, SIGNED_IN_AT
from rapport.audit.models import AuditEvent
from tests.conftest import PASSWORD

LOGIN = reverse("accounts:login")
CASELOAD = reverse("people:caseload")
PROJECT = Path(__file__).resolve().parent.parent


def signed_in(user) -> WebClient:
    web = WebClient()
    assert web.post(LOGIN, {"username": user.email, "password": PASSWORD}).status_code == 302
    return web


def seen(web: WebClient, *, minutes_ago: float = 0, signed_in_hours_ago: float | None = None):
    session = web.session
    session[LAST_SEEN_AT] = time.time() - minutes_ago * 60
    if signed_in_hours_ago is not None:
        session[SIGNED_IN_AT] = time.time() - signed_in_hours_ago * 3600
    session.save()


def test_signing_in_starts_both_clocks(cast):
    before = time.time()
    web = signed_in(cast.clinician)
    session = web.session
    assert before <= session[SIGNED_IN_AT] <= time.time()
    assert session[SIGNED_IN_AT] == session[LAST_SEEN_AT]


def test_staff_active_within_the_idle_limit_stay_signed_in(cast):
    web = signed_in(cast.clinician)
    seen(web, minutes_ago=14)
    assert web.get(CASELOAD).status_code == 200


def test_each_request_resets_the_idle_clock(cast):
    web = signed_in(cast.clinician)
    seen(web, minutes_ago=14)
    web.get(CASELOAD)
    assert time.time() - web.session[LAST_SEEN_AT] < 60
    assert web.get(CASELOAD).status_code == 200


def test_the_idle_sign_out_says_why_and_brings_the_person_back_after(cast):
    web = signed_in(cast.clinician)
    seen(web, minutes_ago=16)
    response = web.get(CASELOAD)
    assert response["Location"] == f"{LOGIN}?next={CASELOAD}"
    page = web.get(response["Location"])
    assert "You were signed out after a period without activity." in page.text


def test_the_twelve_hour_limit_ends_even_a_busy_staff_session(cast):
    web = signed_in(cast.clinician)
    seen(web, minutes_ago=0, signed_in_hours_ago=12.01)
    response = web.get(CASELOAD)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "Your session has ended. Please sign in again." in web.get(LOGIN).text


def test_a_session_just_under_twelve_hours_continues(cast):
    web = signed_in(cast.adult_client_user)
    seen(web, minutes_ago=0, signed_in_hours_ago=11.9)
    assert web.get(reverse("portal:home")).status_code == 200


def test_a_guardian_is_not_held_to_the_staff_idle_limit(cast):
    web = signed_in(cast.guardian)
    seen(web, minutes_ago=90)
    assert web.get(reverse("portal:home")).status_code == 200


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_every_staff_role_is_held_to_the_idle_limit(cast, who):
    web = signed_in(getattr(cast, who))
    seen(web, minutes_ago=16)
    response = web.get(reverse("home"))
    assert response["Location"].startswith(LOGIN)


def test_the_idle_limit_follows_its_setting(cast, settings):
    settings.RAPPORT_STAFF_IDLE_TIMEOUT = timedelta(minutes=5)
    web = signed_in(cast.clinician)
    seen(web, minutes_ago=4)
    assert web.get(CASELOAD).status_code == 200
    seen(web, minutes_ago=6)
    assert web.get(CASELOAD).status_code == 302


def test_a_page_updated_in_place_is_sent_to_sign_in_as_a_whole(cast):
    web = signed_in(cast.clinician)
    seen(web, minutes_ago=30)
    response = web.get(CASELOAD, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == LOGIN


def test_an_ended_session_is_signed_out_for_good_and_audited(cast):
    web = signed_in(cast.clinician)
    seen(web, minutes_ago=30)
    web.get(CASELOAD)
    assert AuditEvent.objects.filter(action="sign_out", actor_id=cast.clinician.pk).exists()
    again = web.get(CASELOAD)
    assert again.status_code == 302 and again["Location"].startswith(LOGIN)


def test_visitors_who_are_not_signed_in_get_no_session_clock(db):
    web = WebClient()
    web.get(LOGIN)
    assert SIGNED_IN_AT not in web.session and LAST_SEEN_AT not in web.session


def test_an_idle_limit_of_zero_minutes_is_refused_at_start_up(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAPPORT_", "DATABASE_URL"))}
    env.update(
        RAPPORT_SECRET_KEY=secrets.token_urlsafe(60),
        RAPPORT_AUDIT_KEY=secrets.token_urlsafe(40),
        RAPPORT_ALLOWED_HOSTS="rapport.example.org",
        RAPPORT_SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        RAPPORT_STAFF_IDLE_MINUTES="0",
        DJANGO_SETTINGS_MODULE="rapport.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "RAPPORT_STAFF_IDLE_MINUTES must be a whole number" in result.stderr


def test_a_request_within_a_minute_of_recorded_activity_leaves_the_session_unsaved(cast):
    web = signed_in(cast.clinician)
    seen(web, minutes_ago=0.5)
    recorded = web.session[LAST_SEEN_AT]
    assert web.get(CASELOAD).status_code == 200
    assert web.session[LAST_SEEN_AT] == recorded


def test_activity_is_recorded_again_once_a_minute_has_passed(cast):
    web = signed_in(cast.clinician)
    seen(web, minutes_ago=1.5)
    recorded = web.session[LAST_SEEN_AT]
    assert web.get(CASELOAD).status_code == 200
    assert web.session[LAST_SEEN_AT] > recorded + 60


def test_the_idle_limit_is_kept_to_within_the_minute_activity_is_recorded_at(cast):
    # Activity 14 min 30 s ago was last recorded (a request 30 s later went unrecorded): the
    # session ends at most a minute before the exact limit, never after it.
    web = signed_in(cast.clinician)
    seen(web, minutes_ago=14.5)
    assert web.get(CASELOAD).status_code == 200
    seen(web, minutes_ago=15)
    assert web.get(CASELOAD).status_code == 302


def test_reading_a_client_page_opens_no_transaction(cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    web = signed_in(cast.clinician)
    url = reverse("people:client_detail", args=[cast.adult_client.pk])
    web.get(url)  # the first request after signing in records activity
    with CaptureQueriesContext(connection) as captured:
        assert web.get(url).status_code == 200
    statements = [query["sql"] for query in captured.captured_queries]
    # Inside the test's transaction an atomic block shows as a savepoint; on SQLite each would
    # be a BEGIN IMMEDIATE, taking the database's one write lock.
    assert not [sql for sql in statements if sql.startswith(("SAVEPOINT", "BEGIN"))], statements
    assert not [sql for sql in statements if "django_session" in sql and "UPDATE" in sql]


KEEP_ALIVE = reverse("accounts:keep_alive")


def test_stay_signed_in_counts_as_activity_to_the_second_and_a_get_changes_nothing(cast):
    web = signed_in(cast.clinician)
    seen(web, minutes_ago=0.5)  # within the minute a page view leaves the clock as it is

    assert web.get(KEEP_ALIVE).status_code == 405
    assert time.time() - web.session[LAST_SEEN_AT] >= 29
    assert web.post(KEEP_ALIVE).status_code == 204
    assert time.time() - web.session[LAST_SEEN_AT] < 5


def test_a_staff_page_carries_the_warning_with_the_time_left_and_a_clients_does_not(cast):
    web = signed_in(cast.clinician)
    seen(web, minutes_ago=0.5)  # the page view leaves the clock where it was

    page = web.get(CASELOAD).content.decode()
    left = re.search(r'data-left="(\d+)"', page)
    assert 'id="idle-warning"' in page and 'data-limit="900"' in page
    assert left is not None and 860 <= int(left.group(1)) <= 870
    portal = signed_in(cast.adult_client_user).get(reverse("portal:home")).content.decode()
    assert 'id="idle-warning"' not in portal
