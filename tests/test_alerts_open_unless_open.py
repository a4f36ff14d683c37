"""Opening an alert unless one of its kind waits: one rule for every rule that raises alerts.
An open or acknowledged alert of the kind (or of a kind that says more) holds the next one back;
only a resolved one lets it open. Plans, alliance and trajectories all go through it."""

from __future__ import annotations

from rapport.alerts.models import Alert
from rapport.alerts.services import (
    alert_acknowledge,
    alert_open,
    alert_open_unless_open,
    alert_resolve,
)
from rapport.audit.models import AuditEvent

NOTE = "Looked at it with the client today."


def open_off_track(cast) -> Alert | None:  # type: ignore[no-untyped-def]
    return alert_open_unless_open(
        episode=cast.adult_episode, kind=Alert.Kind.OFF_TRACK, reason="Off track"
    )


def test_the_first_alert_of_its_kind_opens_and_is_audited(cast):
    alert = open_off_track(cast)

    assert alert is not None and alert.status == Alert.Status.OPEN
    assert AuditEvent.objects.filter(action="open", object_id=str(alert.pk)).exists()


def test_no_second_alert_opens_while_the_first_is_open(cast):
    first = open_off_track(cast)

    assert open_off_track(cast) is None
    assert list(Alert.objects.filter(kind=Alert.Kind.OFF_TRACK)) == [first]


def test_an_acknowledged_alert_still_holds_the_next_one_back(cast):
    first = open_off_track(cast)
    assert first is not None
    alert_acknowledge(actor=cast.clinician, alert=first, note=NOTE)

    assert open_off_track(cast) is None


def test_once_the_alert_is_resolved_the_next_one_opens(cast):
    first = open_off_track(cast)
    assert first is not None
    alert_resolve(actor=cast.clinician, alert=first, note=NOTE)

    second = open_off_track(cast)

    assert second is not None and second != first


def test_an_alert_of_another_kind_does_not_hold_it_back(cast):
    alert_open(episode=cast.adult_episode, kind=Alert.Kind.LOW_ALLIANCE, reason="Low")

    assert open_off_track(cast) is not None


def test_another_episodes_alert_does_not_hold_it_back(cast):
    alert_open(episode=cast.adolescent_episode, kind=Alert.Kind.OFF_TRACK, reason="Off track")

    assert open_off_track(cast) is not None


def test_a_kind_that_says_more_holds_it_back_when_named(cast):
    alert_open(episode=cast.adult_episode, kind=Alert.Kind.DETERIORATION, reason="Worse")

    held = alert_open_unless_open(
        episode=cast.adult_episode,
        kind=Alert.Kind.AT_RISK,
        reason="At risk",
        covered_by=(Alert.Kind.OFF_TRACK, Alert.Kind.DETERIORATION),
    )
    unnamed = alert_open_unless_open(
        episode=cast.adult_episode, kind=Alert.Kind.AT_RISK, reason="At risk"
    )

    assert held is None and unnamed is not None
