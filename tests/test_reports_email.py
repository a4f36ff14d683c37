"""A report emailed to a client: a single-use, expiring link to the client's copy (its token kept
only as a hash), never an attachment, in an email that says nothing clinical."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from rapport.audit.models import AuditEvent
from rapport.core.tokens import hash_token
from rapport.reports.models import ReportLink
from rapport.reports.queries import report_recipients
from rapport.reports.services import report_link_send
from tests.conftest import Cast, signed_in
from tests.reports_pdf import pdf_text

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def token_in(body: str) -> str:
    found = re.search(r"/r/([^/\s]+)/", body)
    assert found is not None, body
    return found.group(1)


@override_settings(TASKS=IMMEDIATE, RAPPORT_BASE_URL="https://rapport.example.org")
def test_a_clinician_emails_the_client_a_link_and_the_email_says_nothing_clinical(
    cast: Cast,
) -> None:
    response = signed_in(cast.clinician).post(
        reverse("reports:send", args=[cast.adult_episode.pk]),
        {
            "kind": "progress",
            "recipient": cast.adult_client_user.pk,
            "submission_key": str(uuid.uuid4()),
        },
    )

    assert response.status_code == 302
    [email] = mail.outbox
    assert email.to == [cast.adult_client_user.email] and not email.attachments
    for clinical in ("progress", "score", "PHQ", cast.adult_client.full_name):
        assert clinical.lower() not in (email.subject + email.body).lower()
    link = ReportLink.objects.get()
    assert link.token_hash == hash_token(token_in(email.body))
    assert token_in(email.body) not in str(list(AuditEvent.objects.values("detail")))


def test_the_link_downloads_the_clients_copy_once_and_then_says_so(
    cast: Cast, tmp_path: Path
) -> None:
    report_link_send(
        actor=cast.clinician,
        episode=cast.adult_episode,
        kind="progress",
        recipient=cast.adult_client_user,
        base_url="https://rapport.example.org",
    )
    url = reverse("reports:download", args=[token_in(mail.outbox[0].body)])
    web = signed_in(cast.co_clinician).__class__()  # a browser with nobody signed in

    opened = web.get(url)
    unused_after_opening = ReportLink.objects.get().used_at is None
    first = web.post(url)
    second = web.post(url)

    assert opened.status_code == 200 and unused_after_opening
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    (tmp_path / "copy.pdf").write_bytes(first.content)
    text = pdf_text(tmp_path / "copy.pdf")
    assert "Your progress" in text and "Clinician’s report" not in text
    assert second.status_code == 410
    assert "already been used" in second.content.decode()
    event = AuditEvent.objects.get(action="report", object_type="reports.progress")
    assert event.actor_id == cast.adult_client_user.pk
    assert event.detail["via"] == "email link" and event.detail["for"] == "client"


def test_an_expired_link_is_refused_with_its_reason(cast: Cast) -> None:
    report_link_send(
        actor=cast.clinician,
        episode=cast.adult_episode,
        kind="plan",
        recipient=cast.adult_client_user,
        base_url="https://rapport.example.org",
        now=timezone.now() - timedelta(days=30),
    )
    url = reverse("reports:download", args=[token_in(mail.outbox[0].body)])

    response = signed_in(cast.co_clinician).__class__().post(url)

    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert ReportLink.objects.get().used_at is None


def test_a_token_that_opens_nothing_is_refused(cast: Cast) -> None:
    response = signed_in(cast.co_clinician).__class__().get(reverse("reports:download", args=["x"]))

    assert response.status_code == 410 and "not valid" in response.content.decode()


def test_only_the_client_and_their_guardians_may_be_sent_a_report(cast: Cast) -> None:
    assert report_recipients(cast.adult_episode, "progress") == [cast.adult_client_user]
    teen = report_recipients(cast.adolescent_episode, "progress")
    assert set(teen) == {cast.adolescent_client_user, cast.guardian}
    with pytest.raises(Exception, match="cannot be sent"):
        report_link_send(
            actor=cast.clinician,
            episode=cast.adult_episode,
            kind="progress",
            recipient=cast.guardian,
            base_url="https://rapport.example.org",
        )
    assert not mail.outbox


def test_an_expired_link_is_refused_in_the_language_of_the_person_it_was_sent_to(
    cast: Cast,
) -> None:
    cast.adult_client.language = "es"
    cast.adult_client.save(update_fields=["language"])
    report_link_send(
        actor=cast.clinician,
        episode=cast.adult_episode,
        kind="plan",
        recipient=cast.adult_client_user,
        base_url="https://rapport.example.org",
        now=timezone.now() - timedelta(days=30),
    )
    url = reverse("reports:download", args=[token_in(mail.outbox[0].body)])

    page = signed_in(None).post(url).content.decode()

    assert "Este enlace ha caducado. Pida uno nuevo a su terapeuta." in page
    assert "has expired" not in page
