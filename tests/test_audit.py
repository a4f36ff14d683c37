from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from rapport.audit.models import AppendOnlyError, AuditEvent
from rapport.audit.queries import audit_verify
from rapport.audit.services import AuditSealRefused, audit_record, audit_seal_all
from tests.test_audit_tampering import tamper, write_events


def run_verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_reading_a_client_page_appends_an_audit_event_with_who_role_object_and_request(
    cast, web_as, settings
):
    settings.RAPPORT_BEHIND_PROXY = True
    response = web_as(cast.clinician).get(
        reverse("people:client_detail", args=[cast.adult_client.pk]),
        HTTP_X_REQUEST_ID="req-12345678",
    )
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="read", object_type="people.client").latest("id")
    assert event.actor_id == cast.clinician.pk
    assert event.actor_role == "clinician"
    assert event.object_id == str(cast.adult_client.pk)
    assert event.client_id == cast.adult_client.pk
    assert event.practice_id == cast.practice.pk
    assert event.outcome == "ok"
    assert event.request_id == "req-12345678"
    assert event.occurred_at.utcoffset().total_seconds() == 0
    assert response["X-Request-ID"] == "req-12345678"


def test_verify_reports_an_intact_chain(cast):
    for _ in range(3):
        audit_record(actor=cast.clinician, action="read", obj=cast.adult_client)
    assert "intact" in run_verify()


def test_verify_finds_an_edited_row_and_exits_non_zero(cast):
    events = write_events(cast, 4)
    target = events[1]
    tamper(
        (
            f"UPDATE {AuditEvent._meta.db_table} SET action = %s WHERE id = %s",
            ["nothing", target.pk],
        )
    )
    with pytest.raises(CommandError) as raised:
        run_verify()
    assert raised.value.returncode == 1
    assert f"event {target.sequence}" in str(raised.value)


def test_verify_finds_a_deleted_row(cast):
    events = write_events(cast, 4)
    tamper((f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [events[2].pk]))
    report = audit_verify()
    assert report.first_break is not None
    assert report.first_break.sequence == events[2].sequence


def test_verify_finds_the_newest_row_deleted(cast):
    events = write_events(cast, 3)
    tamper((f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [events[-1].pk]))
    report = audit_verify()
    assert report.first_break is not None


def test_audit_events_cannot_be_changed_or_deleted_through_the_orm(cast):
    event = audit_record(actor=cast.clinician, action="read", obj=cast.adult_client)
    event.action = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_admin_filters_the_audit_trail_by_client(cast, web_as):
    audit_record(actor=cast.clinician, action="read", obj=cast.adult_client)
    audit_record(actor=cast.outsider_clinician, action="read", obj=cast.other_client)
    response = web_as(cast.admin).get(reverse("audit:trail"), {"client": cast.adult_client.pk})
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert rows and all(event.client_id == cast.adult_client.pk for event in rows)


def test_the_audit_trail_shows_only_the_admins_own_practice(cast, web_as):
    audit_record(actor=cast.foreign_clinician, action="read", obj=cast.foreign_client)
    response = web_as(cast.admin).get(reverse("audit:trail"))
    assert all(event.practice_id == cast.practice.pk for event in response.context["page"])


def test_the_audit_trail_page_lists_every_event_including_the_oldest(cast, web_as):
    first = audit_record(actor=cast.clinician, action="read", obj=cast.adult_client)
    response = web_as(cast.admin).get(reverse("audit:trail"))
    sequences = [event.sequence for event in response.context["page"]]
    assert first.sequence in sequences
    assert len(sequences) == response.context["page"].paginator.count


# --- Appended without a lock, sealed later ------------------------------------------------------


def test_an_event_is_appended_unsealed_and_the_sequencer_chains_it(cast):
    event = audit_record(actor=cast.clinician, action="read", obj=cast.adult_client)
    assert event.sequence is None and event.previous_hash == ""
    assert audit_seal_all() == 1
    event.refresh_from_db()
    assert event.sequence is not None and len(event.previous_hash) == 64
    assert audit_seal_all() == 0
    assert audit_verify().intact


def test_an_event_edited_before_it_is_sealed_is_detected_by_its_own_mac(cast):
    event = audit_record(actor=cast.clinician, action="read", obj=cast.adult_client)
    tamper((f"UPDATE {AuditEvent._meta.db_table} SET action = %s WHERE id = %s", ["x", event.pk]))
    with pytest.raises(CommandError) as raised:
        run_verify()
    assert f"the event with id {event.pk}, not yet sealed" in str(raised.value)
    with pytest.raises(AuditSealRefused):
        audit_seal_all()


def test_events_sealed_in_id_order_continue_the_chain_past_a_checkpoint(cast):
    write_events(cast, 2)
    call_command("audit", "checkpoint", stdout=StringIO())
    later = [audit_record(actor=None, action="read", object_type="test.x") for _ in range(3)]
    assert "intact: 6 events verified" in run_verify()
    sequences = list(
        AuditEvent.objects.filter(pk__in=[event.pk for event in later]).values_list(
            "sequence", flat=True
        )
    )
    assert sequences == [4, 5, 6]


def test_deleting_an_event_before_its_seal_is_the_one_undetected_change(cast):
    # The window the design accepts: until the next seal (each worker round, every verify and
    # checkpoint) a deleted event leaves no trace; on PostgreSQL the triggers still refuse it.
    write_events(cast, 2)
    event = audit_record(actor=cast.clinician, action="read", obj=cast.adult_client)
    tamper((f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [event.pk]))
    assert audit_verify().first_break is None
