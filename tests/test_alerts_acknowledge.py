"""Acknowledging an alert: a clinician in the client's care says what they did, in a note of a
few words at least; the page itself changes nothing; a second submit is refused with the first
acknowledgement left as it was; someone outside the care never reaches it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rapport.alerts.models import Alert
from rapport.alerts.services import alert_acknowledge, alert_open
from rapport.audit.models import AuditEvent

NOTE = "Phoned Alex; agreed to talk it through next session."


@pytest.fixture
def alert(cast):
    return alert_open(
        episode=cast.adult_episode,
        kind=Alert.Kind.LOW_ALLIANCE,
        reason="Alex rated the bond 3 of 10",
        session=cast.adult_session,
    )


def url(alert: Alert) -> str:
    return reverse("alerts:acknowledge", args=[alert.pk])


def fresh(alert: Alert) -> Alert:
    return Alert.objects.get(pk=alert.pk)


def test_the_primary_clinician_acknowledges_with_a_note_and_returns_to_the_client(
    cast, alert, web_as
):
    web = web_as(cast.clinician)

    done = web.post(url(alert), {"note": NOTE})

    assert done.status_code == 302
    assert done["Location"] == reverse("people:client_detail", args=[cast.adult_client.pk])
    saved = fresh(alert)
    assert saved.status == Alert.Status.ACKNOWLEDGED
    assert saved.acknowledged_by == cast.clinician
    assert saved.acknowledgement_note == NOTE
    assert saved.acknowledged_at is not None
    assert saved.resolved_at is None and saved.resolution_note == ""
    assert "Alert acknowledged." in web.get(done["Location"]).text


def test_the_acknowledgement_is_audited_for_the_client(cast, alert, web_as):
    web_as(cast.clinician).post(url(alert), {"note": NOTE})

    event = AuditEvent.objects.get(action="acknowledge", object_type="alerts.alert")
    assert (event.actor_id, event.object_id, event.client_id) == (
        cast.clinician.pk,
        str(alert.pk),
        cast.adult_client.pk,
    )


def test_the_note_is_kept_without_surrounding_blanks(cast, alert):
    alert_acknowledge(actor=cast.clinician, alert=alert, note=f"  {NOTE}\n ")

    assert fresh(alert).acknowledgement_note == NOTE


@pytest.mark.parametrize("note", ["", "ok", "    ", "  ab  "], ids=repr)
def test_an_acknowledgement_without_a_real_note_is_refused_with_a_form_error(
    cast, alert, web_as, note
):
    page = web_as(cast.clinician).post(url(alert), {"note": note})

    assert page.status_code == 200
    assert page.context["form"].errors["note"]
    assert fresh(alert).status == Alert.Status.OPEN
    assert not AuditEvent.objects.filter(action="acknowledge").exists()


def test_the_service_refuses_a_note_of_fewer_than_five_letters(cast, alert):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Say what you did"):
        alert_acknowledge(actor=cast.clinician, alert=alert, note="  ok  ")
    assert fresh(alert).status == Alert.Status.OPEN


def test_the_page_shows_the_reason_and_asks_what_was_done(cast, alert, web_as):
    page = web_as(cast.clinician).get(url(alert))

    assert page.status_code == 200
    assert "Acknowledge: low alliance" in page.text
    assert "Alex rated the bond 3 of 10" in page.text
    assert "What you did" in page.text


def test_opening_the_page_changes_nothing(cast, alert, web_as):
    before = Alert.objects.filter(pk=alert.pk).values().get()

    web_as(cast.clinician).get(url(alert))

    assert Alert.objects.filter(pk=alert.pk).values().get() == before
    # The read itself is on the trail, as every read of clinical data is.
    assert AuditEvent.objects.filter(
        action="read", object_type="alerts.alert", object_id=str(alert.pk)
    ).exists()


def test_a_second_submit_is_refused_and_the_first_acknowledgement_stands(cast, alert, web_as):
    web_as(cast.clinician).post(url(alert), {"note": NOTE})
    first = fresh(alert)

    again = web_as(cast.co_clinician).post(url(alert), {"note": "Me too, I called as well."})

    assert again.status_code == 200
    assert "already been acknowledged" in again.text
    second = fresh(alert)
    assert (second.acknowledged_by, second.acknowledged_at, second.acknowledgement_note) == (
        first.acknowledged_by,
        first.acknowledged_at,
        NOTE,
    )
    assert AuditEvent.objects.filter(action="acknowledge").count() == 1


def test_a_team_member_on_the_episode_may_acknowledge(cast, alert, web_as):
    web_as(cast.co_clinician).post(url(alert), {"note": NOTE})

    assert fresh(alert).acknowledged_by == cast.co_clinician


def test_the_supervisor_of_the_clinicians_team_may_acknowledge(cast, alert, web_as):
    done = web_as(cast.supervisor).post(url(alert), {"note": "Discussed in supervision today."})

    assert done.status_code == 302
    assert fresh(alert).acknowledged_by == cast.supervisor


@pytest.mark.parametrize("role", ["outsider_clinician", "other_supervisor"], ids=str)
def test_staff_outside_the_clients_care_get_not_found_and_change_nothing(cast, alert, web_as, role):
    web = web_as(cast.person(role))

    assert web.get(url(alert)).status_code == 404
    assert web.post(url(alert), {"note": NOTE}).status_code == 404

    assert fresh(alert).status == Alert.Status.OPEN
    denied = AuditEvent.objects.filter(
        actor_id=cast.person(role).pk,
        object_type="alerts.alert",
        outcome=AuditEvent.Outcome.DENIED,
    )
    assert denied.count() == 2


def test_a_clinician_of_another_practice_gets_not_found(cast, alert, web_as):
    assert web_as(cast.foreign_clinician).post(url(alert), {"note": NOTE}).status_code == 404
    assert fresh(alert).status == Alert.Status.OPEN


@pytest.mark.parametrize("role", ["admin", "adult_client", "guardian"], ids=str)
def test_people_who_are_not_clinical_staff_are_refused(cast, alert, web_as, role):
    page = web_as(cast.person(role)).post(url(alert), {"note": NOTE})

    assert page.status_code == 403
    assert fresh(alert).status == Alert.Status.OPEN


def test_an_admin_reading_under_break_glass_still_cannot_acknowledge(cast, alert, web_as):
    import uuid

    web = web_as(cast.admin)
    web.post(
        reverse("people:break_glass", args=[cast.adult_client.pk]),
        {"reason": "Safeguarding concern raised by phone", "submission_key": str(uuid.uuid4())},
    )
    assert web.get(reverse("people:client_detail", args=[cast.adult_client.pk])).status_code == 200

    assert web.post(url(alert), {"note": NOTE}).status_code == 403
    assert fresh(alert).status == Alert.Status.OPEN


def test_an_alert_that_does_not_exist_is_not_found(cast, web_as):
    assert (
        web_as(cast.clinician).get(reverse("alerts:acknowledge", args=[999999])).status_code == 404
    )


def test_other_methods_than_get_and_post_are_not_allowed(cast, alert, web_as):
    web = web_as(cast.clinician)

    assert web.put(url(alert)).status_code == 405
    assert web.delete(url(alert)).status_code == 405
    assert fresh(alert).status == Alert.Status.OPEN


def test_the_acknowledgement_shows_on_the_client_page_with_who_and_what(cast, alert, web_as):
    web_as(cast.co_clinician).post(url(alert), {"note": NOTE})

    html = (
        web_as(cast.clinician)
        .get(reverse("people:client_detail", args=[cast.adult_client.pk]))
        .text
    )

    assert f"Acknowledged by {cast.co_clinician.full_name}" in html
    assert NOTE in html


def test_ticking_an_alert_of_another_client_acknowledges_only_the_card(cast, alert, web_as):
    """The "also" boxes name alerts by id: an id from outside the card is ignored."""
    stranger = alert_open(
        episode=cast.adolescent_episode, kind=Alert.Kind.OFF_TRACK, reason="Ti is off track"
    )

    web_as(cast.clinician).post(url(alert), {"note": NOTE, "also": [str(stranger.pk)]})

    assert fresh(alert).status == Alert.Status.ACKNOWLEDGED
    assert fresh(stranger).status == Alert.Status.OPEN
