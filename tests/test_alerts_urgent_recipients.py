"""Who an urgent-alert notice goes to, beyond the cases tests/test_urgent_alert_email.py walks
through: each address once and each person on their own, nobody who has left, nothing without
the address people sign in at, and each practice's own escalation time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.alerts.notify import alert_escalate, alert_notify, recipients, urgent_alerts_sweep
from rapport.alerts.services import alert_open, alert_resolve
from rapport.audit.models import AuditEvent
from rapport.measures.models import Response
from rapport.measures.services import measure_plan_set, response_submit, session_assignments_ensure
from tests.conftest import assignment_for

BASE = "https://rapport.example.org"


def phq9(item9: int) -> dict[str, str]:
    answers = {f"phq9-{n}": "1" for n in range(1, 9)}
    answers["phq9-9"] = str(item9)
    return answers


def risk_from(cast, episode, session, mode: str) -> Alert:
    """The client answers the risk question through `mode`; the alert it opened."""
    measure_plan_set(
        actor=episode.primary_clinician,
        episode=episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    assignment = assignment_for(session_assignments_ensure(session=session), "phq9")
    response_submit(assignment=assignment, answers=phq9(2), mode=mode, actor=None)
    return Alert.objects.get(episode=episode, kind=Alert.Kind.RISK)


@pytest.fixture
def from_home(cast):
    return risk_from(cast, cast.adult_episode, cast.adult_session, Response.Mode.PORTAL)


def test_each_address_is_written_to_once_whatever_its_letter_case(cast, from_home):
    cast.practice.duty_contact_email = cast.supervisor.email.upper()
    cast.practice.save()

    to = recipients(from_home, escalation=False)

    assert sorted(address.lower() for address in to) == sorted(
        [cast.clinician.email, cast.co_clinician.email, cast.supervisor.email]
    )


def test_a_clinician_who_has_left_is_not_written_to(cast, from_home):
    cast.co_clinician.is_active = False
    cast.co_clinician.save()

    assert cast.co_clinician.email not in recipients(from_home, escalation=False)
    assert cast.clinician.email in recipients(from_home, escalation=False)


def test_the_supervisor_of_a_team_member_from_another_team_is_told_too(cast, from_home):
    cast.adult_episode.team_members.add(cast.outsider_clinician)

    to = recipients(from_home, escalation=False)

    assert cast.outsider_clinician.email in to
    assert cast.other_supervisor.email in to


def test_each_person_gets_a_message_of_their_own(cast, from_home):
    assert alert_notify(alert_id=from_home.pk, base_url=BASE)

    assert all(len(message.to) == 1 for message in mail.outbox)
    assert not [message for message in mail.outbox if message.cc or message.bcc]
    assert len(mail.outbox) == len(recipients(from_home, escalation=False))


def test_without_the_address_people_sign_in_at_nothing_is_sent_and_it_is_tried_again_later(
    cast, from_home
):
    assert alert_notify(alert_id=from_home.pk, base_url="") is False

    from_home.refresh_from_db()
    assert from_home.notified_at is None and mail.outbox == []
    assert urgent_alerts_sweep(base_url=BASE, now=from_home.opened_at) == (1, 0)


def test_a_notice_is_audited_with_the_number_of_people_told_and_no_names(cast, from_home):
    alert_notify(alert_id=from_home.pk, base_url=BASE)

    event = AuditEvent.objects.get(action="notify")
    assert (event.object_id, event.client_id) == (str(from_home.pk), cast.adult_client.pk)
    assert event.detail == {"recipients": len(mail.outbox)}


def test_a_non_urgent_alert_from_home_sends_nothing(cast):
    alert_open(episode=cast.adult_episode, kind=Alert.Kind.OFF_TRACK, reason="Off track")

    assert urgent_alerts_sweep(base_url=BASE) == (0, 0)
    assert mail.outbox == []


def test_a_risk_answer_given_in_session_is_not_emailed_by_the_worker_either(cast):
    alert = risk_from(cast, cast.adult_episode, cast.adult_session, Response.Mode.IN_SESSION)

    assert urgent_alerts_sweep(base_url=BASE, now=alert.opened_at) == (0, 0)
    assert mail.outbox == []


def test_each_practice_escalates_after_its_own_time(cast):
    cast.practice.urgent_escalation_minutes = 10
    cast.practice.save()
    cast.other_practice.urgent_escalation_minutes = 120
    cast.other_practice.save()
    here = alert_open(episode=cast.adult_episode, kind="risk", reason="Risk", urgent=True)
    there = alert_open(episode=cast.foreign_episode, kind="risk", reason="Risk", urgent=True)
    start = max(here.opened_at, there.opened_at)

    assert urgent_alerts_sweep(now=start + timedelta(minutes=11), base_url=BASE) == (0, 1)
    here.refresh_from_db()
    there.refresh_from_db()
    assert here.escalated_at is not None and there.escalated_at is None

    assert urgent_alerts_sweep(now=start + timedelta(minutes=121), base_url=BASE) == (0, 1)
    there.refresh_from_db()
    assert there.escalated_at is not None


def test_a_resolved_urgent_alert_is_never_escalated(cast):
    alert = alert_open(episode=cast.adult_episode, kind="risk", reason="Risk", urgent=True)
    alert_resolve(actor=cast.clinician, alert=alert, note="Seen in clinic the same day.")

    later = timezone.now() + timedelta(days=2)
    assert alert_escalate(alert_id=alert.pk, now=later, base_url=BASE) is False
    assert urgent_alerts_sweep(now=later, base_url=BASE) == (0, 0)
    assert mail.outbox == []


def test_an_escalation_is_audited_with_the_practices_time(cast):
    cast.practice.urgent_escalation_minutes = 45
    cast.practice.save()
    alert = alert_open(episode=cast.adult_episode, kind="risk", reason="Risk", urgent=True)

    assert alert_escalate(
        alert_id=alert.pk, now=alert.opened_at + timedelta(minutes=46), base_url=BASE
    )

    event = AuditEvent.objects.get(action="escalate")
    assert event.object_id == str(alert.pk)
    assert event.detail == {"recipients": 1, "after_minutes": 45}
    assert [message.to for message in mail.outbox] == [[cast.supervisor.email]]
