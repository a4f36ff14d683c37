"""Urgent alerts reach people: an email when one opens from a form completed outside a session,
and an escalation when nobody acknowledges it in the practice's time. No clinical content in
either; each alert is notified once and escalated once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.alerts.notify import urgent_alerts_sweep
from rapport.alerts.services import alert_acknowledge
from rapport.measures.models import Response
from rapport.measures.services import link_issue, measure_plan_set, session_assignments_ensure
from tests.conftest import assignment_for

BASE = "https://rapport.example.org"
DUTY = "duty@northside.test"


def phq9(item9: str) -> dict[str, str]:
    answers = {f"item:phq9-{n}": "1" for n in range(1, 9)}
    answers["item:phq9-9"] = item9
    return answers


@pytest.fixture
def phq9_due(cast, settings):
    settings.RAPPORT_BASE_URL = BASE
    cast.practice.duty_contact_email = DUTY
    cast.practice.save()
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    return assignment_for(session_assignments_ensure(session=cast.adult_session), "phq9")


def submit_from_home(client, assignment, item9: str, capture):
    _, token = link_issue(actor=None, assignment=assignment)
    with capture(execute=True):
        client.post(reverse("measures:link_form", args=[token]), phq9(item9))


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_a_risk_answer_from_home_emails_the_clinicians_supervisor_and_duty_contact_once(
    phq9_due, cast, client, django_capture_on_commit_callbacks
):
    submit_from_home(client, phq9_due, "2", django_capture_on_commit_callbacks)
    alert = Alert.objects.get(kind="risk")
    assert alert.urgent and alert.notified_at is not None
    assert recipients() == sorted(
        [cast.clinician.email, cast.co_clinician.email, cast.supervisor.email, DUTY]
    )
    message = mail.outbox[0]
    assert message.subject == "An urgent alert needs your attention"
    body = message.body
    assert f"{BASE}/clients/{cast.adult_client.pk}/#alerts-head" in body
    # Nothing clinical: no name, no measure, no score, no answer
    for secret in (
        "Alex",
        "Adult",
        "PHQ",
        "item",
        "self-harm",
        "dead",
        str(alert.source_response.total),
    ):
        assert secret not in body and secret not in message.subject
    # Once per alert, however often the worker looks
    assert urgent_alerts_sweep(base_url=BASE) == (0, 0)
    assert len(mail.outbox) == 4


def test_a_risk_answer_given_in_session_sends_no_email(
    phq9_due, cast, client, django_capture_on_commit_callbacks
):
    client.force_login(cast.clinician)
    client.post(reverse("measures:client_mode_start", args=[phq9_due.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("measures:client_mode_form"), phq9("1"))
    assert Response.objects.get().mode == "in_session"
    assert Alert.objects.get(kind="risk").notified_at is None
    assert mail.outbox == []


def test_no_risk_answer_no_email(phq9_due, client, django_capture_on_commit_callbacks):
    submit_from_home(client, phq9_due, "0", django_capture_on_commit_callbacks)
    assert not Alert.objects.exists() and mail.outbox == []


def test_a_notice_the_mail_server_lost_is_sent_by_the_worker(phq9_due, cast, client, monkeypatch):
    # Without running the on-commit callback: as if the mail server had refused it.
    _, token = link_issue(actor=None, assignment=phq9_due)
    client.post(reverse("measures:link_form", args=[token]), phq9("1"))
    assert mail.outbox == []
    assert urgent_alerts_sweep(base_url=BASE) == (1, 0)
    assert len(mail.outbox) == 4


def test_an_unacknowledged_urgent_alert_escalates_once_after_the_practice_time(
    phq9_due, cast, client, django_capture_on_commit_callbacks
):
    cast.practice.urgent_escalation_minutes = 30
    cast.practice.save()
    submit_from_home(client, phq9_due, "1", django_capture_on_commit_callbacks)
    mail.outbox.clear()
    alert = Alert.objects.get(kind="risk")
    opened = alert.opened_at
    assert urgent_alerts_sweep(now=opened + timedelta(minutes=29), base_url=BASE) == (0, 0)
    assert mail.outbox == []
    assert urgent_alerts_sweep(now=opened + timedelta(minutes=31), base_url=BASE) == (0, 1)
    alert.refresh_from_db()
    assert alert.escalated_at == opened + timedelta(minutes=31)
    # The supervisor and the duty contact, not the clinicians who were told already
    assert recipients() == sorted([cast.supervisor.email, DUTY])
    assert "not been acknowledged within 30 minutes" in mail.outbox[0].body
    assert "Alex" not in mail.outbox[0].body
    assert urgent_alerts_sweep(now=opened + timedelta(hours=5), base_url=BASE) == (0, 0)
    assert len(mail.outbox) == 2


def test_an_acknowledged_urgent_alert_does_not_escalate(
    phq9_due, cast, client, django_capture_on_commit_callbacks
):
    submit_from_home(client, phq9_due, "1", django_capture_on_commit_callbacks)
    mail.outbox.clear()
    alert = Alert.objects.get(kind="risk")
    alert_acknowledge(actor=cast.clinician, alert=alert, note="Phoned; safety plan agreed.")
    later = timezone.now() + timedelta(days=1)
    assert urgent_alerts_sweep(now=later, base_url=BASE) == (0, 0)
    assert mail.outbox == []


def test_the_alert_card_says_escalated(phq9_due, cast, client, web_as):
    _, token = link_issue(actor=None, assignment=phq9_due)
    client.post(reverse("measures:link_form", args=[token]), phq9("1"))
    alert = Alert.objects.get(kind="risk")
    urgent_alerts_sweep(now=alert.opened_at + timedelta(hours=2), base_url=BASE)
    for user in (cast.clinician, cast.supervisor):
        page = web_as(user).get(reverse("people:client_detail", args=[cast.adult_client.pk]))
        assert "Escalated" in page.content.decode()
        inbox = web_as(user).get(reverse("alerts:inbox"))
        assert "Escalated" in inbox.content.decode()


def test_the_rapport_worker_escalates(transactional_db, cast, settings):
    from django.core.management import call_command

    from rapport.alerts.services import alert_open

    settings.RAPPORT_BASE_URL = BASE
    alert = alert_open(episode=cast.adult_episode, kind="risk", reason="Risk answer", urgent=True)
    Alert.objects.filter(pk=alert.pk).update(opened_at=timezone.now() - timedelta(hours=2))
    call_command("worker", "--once")
    alert.refresh_from_db()
    assert alert.escalated_at is not None
    assert recipients() == [cast.supervisor.email]


@pytest.mark.parametrize(
    ("minutes", "email", "error"),
    [
        ("4", "", "urgent_escalation_minutes"),
        ("1441", "", "urgent_escalation_minutes"),
        ("", "", "urgent_escalation_minutes"),
        ("60", "not an address", "duty_contact_email"),
    ],
)
def test_the_escalation_time_and_duty_contact_are_checked(cast, web_as, minutes, email, error):
    page = web_as(cast.admin).post(
        reverse("practices:settings"),
        {
            "name": "Northside Therapy",
            "time_zone": "Europe/London",
            "link_lead_hours": 24,
            "link_reminder_hours": 2,
            "link_valid_hours": 72,
            "link_reminders": 1,
            "link_reminder_every_hours": 24,
            "quiet_from_hour": 21,
            "quiet_until_hour": 8,
            "duty_contact_email": email,
            "urgent_escalation_minutes": minutes,
        },
    )
    assert page.status_code == 200 and error in page.context["form"].errors
    cast.practice.refresh_from_db()
    assert cast.practice.urgent_escalation_minutes == 60


def test_the_settings_form_shows_the_allowed_range_and_saves(cast, web_as):
    web = web_as(cast.admin)
    page = web.get(reverse("practices:settings")).content.decode()
    assert "Between 5 and 1440 minutes" in page
    assert 'min="5"' in page and 'max="1440"' in page
    saved = web.post(
        reverse("practices:settings"),
        {
            "name": "Northside Therapy",
            "time_zone": "Europe/London",
            "link_lead_hours": 24,
            "link_reminder_hours": 2,
            "link_valid_hours": 72,
            "link_reminders": 1,
            "link_reminder_every_hours": 24,
            "quiet_from_hour": 21,
            "quiet_until_hour": 8,
            "duty_contact_email": DUTY,
            "urgent_escalation_minutes": 15,
        },
    )
    assert saved.status_code == 302
    cast.practice.refresh_from_db()
    assert (cast.practice.duty_contact_email, cast.practice.urgent_escalation_minutes) == (DUTY, 15)
