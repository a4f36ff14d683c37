"""Resolving an alert: with a note of how it was resolved, from open (the same note then serves
as the acknowledgement) or from acknowledged (the acknowledgement kept as it was); once only;
one note may resolve the other alerts of the same session's card, each on its own trail."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from rapport.alerts.models import Alert
from rapport.alerts.services import alert_acknowledge, alert_open, alert_resolve, alerts_note
from rapport.audit.models import AuditEvent

ACK = "Called Alex; we will talk about it next time."
DONE = "Talked it through; the bond is back where it was."


def open_alert(episode, kind=Alert.Kind.LOW_ALLIANCE, session=None, reason="Bond rated 3 of 10"):
    return alert_open(episode=episode, kind=kind, reason=reason, session=session)


@pytest.fixture
def alert(cast):
    return open_alert(cast.adult_episode, session=cast.adult_session)


def url(alert: Alert) -> str:
    return reverse("alerts:resolve", args=[alert.pk])


def fresh(alert: Alert) -> Alert:
    return Alert.objects.get(pk=alert.pk)


def test_resolving_an_open_alert_records_the_note_as_acknowledgement_and_resolution(
    cast, alert, web_as
):
    done = web_as(cast.clinician).post(url(alert), {"note": DONE})

    assert done.status_code == 302
    saved = fresh(alert)
    assert saved.status == Alert.Status.RESOLVED
    assert (saved.acknowledged_by, saved.resolved_by) == (cast.clinician, cast.clinician)
    assert saved.acknowledgement_note == saved.resolution_note == DONE
    assert saved.acknowledged_at is not None and saved.resolved_at is not None


def test_resolving_an_acknowledged_alert_keeps_who_acknowledged_it_and_what_they_said(
    cast, alert, web_as
):
    alert_acknowledge(actor=cast.co_clinician, alert=alert, note=ACK)
    acknowledged = fresh(alert)

    web_as(cast.clinician).post(url(alert), {"note": DONE})

    saved = fresh(alert)
    assert saved.status == Alert.Status.RESOLVED
    assert (saved.acknowledged_by, saved.acknowledgement_note) == (cast.co_clinician, ACK)
    assert saved.acknowledged_at == acknowledged.acknowledged_at
    assert (saved.resolved_by, saved.resolution_note) == (cast.clinician, DONE)


def test_a_resolution_is_audited(cast, alert, web_as):
    web_as(cast.clinician).post(url(alert), {"note": DONE})

    event = AuditEvent.objects.get(action="resolve")
    assert (event.object_type, event.object_id, event.client_id) == (
        "alerts.alert",
        str(alert.pk),
        cast.adult_client.pk,
    )


def test_a_resolution_without_a_real_note_is_refused(cast, alert, web_as):
    page = web_as(cast.clinician).post(url(alert), {"note": "  fix "})

    assert page.status_code == 200 and page.context["form"].errors["note"]
    assert fresh(alert).status == Alert.Status.OPEN


def test_the_service_asks_how_it_was_resolved(cast, alert):
    with pytest.raises(ValidationError, match="Say how it was resolved"):
        alert_resolve(actor=cast.clinician, alert=alert, note="done")
    assert fresh(alert).status == Alert.Status.OPEN


def test_a_second_resolution_is_refused_and_the_first_stands(cast, alert, web_as):
    web_as(cast.clinician).post(url(alert), {"note": DONE})
    first = fresh(alert)

    again = web_as(cast.supervisor).post(url(alert), {"note": "Resolved in supervision."})

    assert again.status_code == 200 and "already resolved" in again.text
    second = fresh(alert)
    assert (second.resolved_by, second.resolved_at, second.resolution_note) == (
        first.resolved_by,
        first.resolved_at,
        DONE,
    )
    assert AuditEvent.objects.filter(action="resolve").count() == 1


def test_a_resolved_alert_can_no_longer_be_acknowledged(cast, alert):
    alert_resolve(actor=cast.clinician, alert=alert, note=DONE)

    with pytest.raises(ValidationError, match="already been acknowledged"):
        alert_acknowledge(actor=cast.clinician, alert=alert, note=ACK)
    assert fresh(alert).acknowledgement_note == DONE


def test_opening_the_resolve_page_changes_nothing(cast, alert, web_as):
    before = Alert.objects.filter(pk=alert.pk).values().get()

    page = web_as(cast.clinician).get(url(alert))

    assert page.status_code == 200 and "Resolve: low alliance" in page.text
    assert Alert.objects.filter(pk=alert.pk).values().get() == before


def test_the_supervisor_may_resolve_but_another_teams_clinician_may_not(cast, alert, web_as):
    assert web_as(cast.outsider_clinician).post(url(alert), {"note": DONE}).status_code == 404
    assert fresh(alert).status == Alert.Status.OPEN

    assert web_as(cast.supervisor).post(url(alert), {"note": DONE}).status_code == 302
    assert fresh(alert).resolved_by == cast.supervisor


def test_a_client_cannot_resolve_an_alert_about_themself(cast, alert, web_as):
    assert web_as(cast.adult_client_user).post(url(alert), {"note": DONE}).status_code == 403
    assert fresh(alert).status == Alert.Status.OPEN


def test_a_resolved_risk_alert_no_longer_flags_risk(cast):
    risk = alert_open(
        episode=cast.adult_episode, kind=Alert.Kind.RISK, reason="PHQ-9: item 9", urgent=True
    )
    assert list(Alert.objects.risk_unresolved()) == [risk]

    alert_acknowledge(actor=cast.clinician, alert=risk, note=ACK)
    assert list(Alert.objects.risk_unresolved()) == [risk]  # seen is not dealt with

    alert_resolve(actor=cast.clinician, alert=risk, note=DONE)
    assert list(Alert.objects.risk_unresolved()) == []


# --- One note for a session's card --------------------------------------------------------------


@pytest.fixture
def card(cast):
    """Three alerts from one session, and one from another session of the same client."""
    session = cast.adult_session
    return {
        "low": open_alert(cast.adult_episode, session=session),
        "drop": open_alert(cast.adult_episode, Alert.Kind.ALLIANCE_DROP, session, "Fell by 4"),
        "goals": open_alert(cast.adult_episode, Alert.Kind.GOALS_LOW, session, "Goals rated 3"),
        "elsewhere": open_alert(cast.adult_episode, Alert.Kind.OFF_TRACK, None, "Off track"),
    }


def test_the_resolve_page_offers_the_other_alerts_of_the_session_only(cast, card, web_as):
    page = web_as(cast.clinician).get(url(card["low"]))

    offered = {other.pk for other, _ in page.context["others"]}
    assert offered == {card["drop"].pk, card["goals"].pk}
    assert "also resolves the other alerts of this session" in page.text


def test_one_note_resolves_the_ticked_alerts_of_the_card_each_on_its_own_trail(cast, card, web_as):
    web = web_as(cast.clinician)

    done = web.post(
        url(card["low"]), {"note": DONE, "also": [str(card["drop"].pk), str(card["goals"].pk)]}
    )

    assert done.status_code == 302
    for name in ("low", "drop", "goals"):
        assert fresh(card[name]).status == Alert.Status.RESOLVED
        assert fresh(card[name]).resolution_note == DONE
    assert fresh(card["elsewhere"]).status == Alert.Status.OPEN
    audited = AuditEvent.objects.filter(action="resolve").values_list("object_id", flat=True)
    assert sorted(audited) == sorted(str(card[n].pk) for n in ("low", "drop", "goals"))
    assert "3 alerts resolved." in web.get(done["Location"]).text


def test_an_alert_outside_the_card_is_not_resolved_even_when_its_id_is_sent(cast, card, web_as):
    web_as(cast.clinician).post(
        url(card["low"]), {"note": DONE, "also": [str(card["elsewhere"].pk)]}
    )

    assert fresh(card["low"]).status == Alert.Status.RESOLVED
    assert fresh(card["elsewhere"]).status == Alert.Status.OPEN


def test_an_alert_of_the_card_already_resolved_by_someone_else_is_left_as_they_left_it(cast, card):
    alert_resolve(actor=cast.co_clinician, alert=card["drop"], note="Dealt with it on the phone.")

    done = alerts_note(
        actor=cast.clinician,
        alerts=[card["low"], card["drop"], card["goals"]],
        note=DONE,
        resolving=True,
    )

    assert [a.pk for a in done] == [card["low"].pk, card["goals"].pk]
    drop = fresh(card["drop"])
    assert (drop.resolved_by, drop.resolution_note) == (
        cast.co_clinician,
        "Dealt with it on the phone.",
    )


def test_the_first_alert_of_a_card_already_dealt_with_refuses_the_whole_note(cast, card):
    alert_acknowledge(actor=cast.co_clinician, alert=card["low"], note=ACK)

    with pytest.raises(ValidationError):
        alerts_note(
            actor=cast.clinician, alerts=[card["low"], card["drop"]], note=DONE, resolving=False
        )

    assert fresh(card["drop"]).status == Alert.Status.OPEN


def test_an_acknowledged_alert_of_the_card_is_still_offered_for_resolving(cast, card, web_as):
    alert_acknowledge(actor=cast.co_clinician, alert=card["drop"], note=ACK)
    web = web_as(cast.clinician)

    resolving = {o.pk for o, _ in web.get(url(card["low"])).context["others"]}
    acknowledging = {
        o.pk
        for o, _ in web.get(reverse("alerts:acknowledge", args=[card["low"].pk])).context["others"]
    }

    assert card["drop"].pk in resolving
    assert card["drop"].pk not in acknowledging


def test_an_urgent_alert_of_the_same_session_is_never_resolved_by_the_card_note(cast, card, web_as):
    urgent = alert_open(
        episode=cast.adult_episode,
        kind=Alert.Kind.RISK,
        reason="PHQ-9: item 9",
        urgent=True,
        session=cast.adult_session,
    )

    page = web_as(cast.clinician).get(url(card["low"]))
    assert urgent.pk not in {o.pk for o, _ in page.context["others"]}

    web_as(cast.clinician).post(url(card["low"]), {"note": DONE, "also": [str(urgent.pk)]})
    assert fresh(urgent).status == Alert.Status.OPEN
