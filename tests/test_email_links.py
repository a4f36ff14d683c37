"""Every emailed link is built from RAPPORT_BASE_URL, never from the request's Host header."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client as WebClient
from django.urls import reverse

from rapport.audit.models import AuditEvent
from rapport.links import absolute_url
from rapport.measures.services import measure_plan_set, session_assignments_ensure
from tests.conftest import assignment_for

BASE = "https://rapport.example.org"
FORGED = "attacker.example"
LINK = re.compile(r"https?://[^\s/]+[^\s]*")


@pytest.fixture(autouse=True)
def base_and_a_forgeable_host(settings):
    settings.RAPPORT_BASE_URL = BASE
    settings.ALLOWED_HOSTS = ["testserver", FORGED]


def links_in(message) -> list[str]:
    return LINK.findall(message.body)


def assert_all_links_from_the_base(message) -> None:
    links = links_in(message)
    assert links, message.body
    assert all(link.startswith(BASE + "/") for link in links), links


def test_absolute_url_joins_the_base_and_a_path():
    assert absolute_url("/m/abc/") == f"{BASE}/m/abc/"
    assert absolute_url("/m/abc/", "http://127.0.0.1:8001/") == "http://127.0.0.1:8001/m/abc/"


def test_absolute_url_refuses_to_guess_when_the_base_is_unset(settings):
    settings.RAPPORT_BASE_URL = ""
    with pytest.raises(ImproperlyConfigured, match="RAPPORT_BASE_URL"):
        absolute_url("/m/abc/")


def test_a_password_reset_email_links_to_the_base_url_whatever_the_host_header(cast):
    WebClient(HTTP_HOST=FORGED).post("/accounts/password-reset/", {"email": cast.clinician.email})
    [message] = mail.outbox
    assert_all_links_from_the_base(message)
    assert FORGED not in message.body


def test_a_password_reset_without_a_base_url_sends_nothing_and_says_the_same(cast, settings):
    settings.RAPPORT_BASE_URL = ""
    response = WebClient().post("/accounts/password-reset/", {"email": cast.clinician.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert not mail.outbox


def test_an_invitation_from_the_admin_links_to_the_base_url(cast):
    web = WebClient(HTTP_HOST=FORGED)
    web.force_login(cast.admin)
    web.post(
        reverse("practices:user_new"),
        {
            "submission_key": uuid4(),
            "full_name": "Robin Newhire",
            "email": "robin@northside.test",
            "role": "clinician",
            "team": cast.team_a.pk,
            "is_active": "on",
        },
    )
    [message] = mail.outbox
    assert_all_links_from_the_base(message)


def test_a_portal_invitation_links_to_the_base_url(cast):
    cast.other_client.email = "olive@example.com"
    cast.other_client.save(update_fields=["email"])
    web = WebClient(HTTP_HOST=FORGED)
    web.force_login(cast.outsider_clinician)
    web.post(reverse("people:portal_invite", args=[cast.other_client.pk]))
    [message] = mail.outbox
    assert_all_links_from_the_base(message)


def test_a_measure_link_emailed_and_shown_for_the_video_call_uses_the_base_url(cast):
    cast.adult_client.email = "alex@example.com"
    cast.adult_client.save(update_fields=["email"])
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    assignment = assignment_for(session_assignments_ensure(session=cast.adult_session), "phq9")
    web = WebClient(HTTP_HOST=FORGED)
    web.force_login(cast.clinician)

    page = web.post(reverse("measures:assignment_link", args=[assignment.pk]), {"email": "1"})

    assert f"{BASE}/m/" in page.text and FORGED not in page.text
    [message] = mail.outbox
    assert_all_links_from_the_base(message)


# Urgent alert emails: tests/test_urgent_alert_email.py checks their link against the base URL.


def test_a_link_emailed_from_the_session_page_records_when_it_went_and_is_audited(cast, web_as):
    cast.adult_client.email = "client@example.org"
    cast.adult_client.save(update_fields=["email"])
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    assignment = assignment_for(session_assignments_ensure(session=cast.adult_session), "phq9")
    web = web_as(cast.clinician)

    web.post(reverse("measures:assignment_link", args=[assignment.pk]))
    web.post(reverse("measures:assignment_link", args=[assignment.pk]), {"email": "1"})

    sent = list(assignment.links.order_by("pk").values_list("sent_at", flat=True))
    assert len(sent) == 2 and sent[0] is None and sent[1] is not None
    assert len(mail.outbox) == 1
    emailed = AuditEvent.objects.filter(action="link_email", actor_id=cast.clinician.pk)
    assert emailed.count() == 1
