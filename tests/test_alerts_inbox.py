"""The alert inbox: a clinician sees the alerts of the clients in their care (a supervisor also
those of their teams), unresolved ones unless asked for all, urgent ones first; nobody else
opens it, and reading it changes nothing but the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open, alert_resolve
from rapport.audit.models import AuditEvent

INBOX = reverse("alerts:inbox")


@pytest.fixture
def alerts(cast):
    """One alert for each of three clients: the adult and the teenager (team A's clinician), and
    the other client (team B's clinician)."""
    return {
        "adult": alert_open(
            episode=cast.adult_episode,
            kind=Alert.Kind.LOW_ALLIANCE,
            reason="Alex rated the bond 3 of 10",
            session=cast.adult_session,
        ),
        "teen": alert_open(
            episode=cast.adolescent_episode, kind=Alert.Kind.OFF_TRACK, reason="Ti is off track"
        ),
        "other": alert_open(
            episode=cast.other_episode, kind=Alert.Kind.GOALS_LOW, reason="Olive rated goals 2"
        ),
    }


def listed(page) -> set[int]:
    return {alert.pk for alert in page.context["alerts"]}


def test_a_clinician_sees_the_alerts_of_their_own_clients_only(cast, alerts, web_as):
    page = web_as(cast.clinician).get(INBOX)

    assert page.status_code == 200
    assert listed(page) == {alerts["adult"].pk, alerts["teen"].pk}
    assert "Alex rated the bond 3 of 10" in page.text
    assert "Olive rated goals 2" not in page.text


def test_a_team_member_on_the_episode_sees_its_alerts(cast, alerts, web_as):
    page = web_as(cast.co_clinician).get(INBOX)

    assert listed(page) == {alerts["adult"].pk}


def test_a_supervisor_sees_the_alerts_of_their_teams_clients_and_not_another_teams(
    cast, alerts, web_as
):
    assert listed(web_as(cast.supervisor).get(INBOX)) == {alerts["adult"].pk, alerts["teen"].pk}
    assert listed(web_as(cast.other_supervisor).get(INBOX)) == {alerts["other"].pk}


def test_a_clinician_of_another_practice_sees_none_of_them(cast, alerts, web_as):
    page = web_as(cast.foreign_clinician).get(INBOX)

    assert listed(page) == set()
    assert "No alerts." in page.text


@pytest.mark.parametrize(
    "role", ["admin", "adult_client", "adolescent_client", "guardian"], ids=str
)
def test_people_who_are_not_clinical_staff_are_refused_the_inbox(cast, alerts, web_as, role):
    page = web_as(cast.person(role)).get(INBOX)

    assert page.status_code == 403
    assert "Alex rated the bond" not in page.content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in(alerts, client):
    page = client.get(INBOX)

    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))


def test_resolved_alerts_are_left_out_unless_all_are_asked_for(cast, alerts, web_as):
    alert_resolve(actor=cast.clinician, alert=alerts["teen"], note="Reviewed the plan together.")
    web = web_as(cast.clinician)

    assert listed(web.get(INBOX)) == {alerts["adult"].pk}
    everything = web.get(INBOX, {"show": "all"})
    assert listed(everything) == {alerts["adult"].pk, alerts["teen"].pk}
    assert "Resolved: Reviewed the plan together." in everything.text


def test_an_acknowledged_alert_stays_in_the_inbox_until_resolved(cast, alerts, web_as):
    from rapport.alerts.services import alert_acknowledge

    alert_acknowledge(actor=cast.clinician, alert=alerts["adult"], note="Called Alex back.")

    page = web_as(cast.clinician).get(INBOX)

    assert alerts["adult"].pk in listed(page)
    assert "Called Alex back." in page.text


def test_the_inbox_offers_the_way_back_from_all_to_the_unresolved(cast, alerts, web_as):
    web = web_as(cast.clinician)

    assert 'href="?show=all"' in web.get(INBOX).text
    assert "Open and acknowledged only" in web.get(INBOX, {"show": "all"}).text


def test_urgent_alerts_come_first_whatever_their_age(cast, alerts, web_as):
    urgent = alert_open(
        episode=cast.adult_episode,
        kind=Alert.Kind.RISK,
        reason="PHQ-9: thoughts of self-harm reported",
        urgent=True,
    )
    Alert.objects.filter(pk=urgent.pk).update(opened_at=timezone.now() - timedelta(days=30))

    page = web_as(cast.clinician).get(INBOX)

    assert [a.pk for a in page.context["alerts"]][0] == urgent.pk
    html = page.text
    assert html.index("Urgent — ") < html.index("Alex rated the bond")


def test_the_inbox_links_each_alert_to_its_client_and_its_next_step(cast, alerts, web_as):
    html = web_as(cast.clinician).get(INBOX).text

    assert reverse("people:client_detail", args=[cast.adult_client.pk]) in html
    assert reverse("alerts:acknowledge", args=[alerts["adult"].pk]) in html
    assert reverse("alerts:resolve", args=[alerts["adult"].pk]) in html
    assert "Alex Adult" in html


def test_an_acknowledged_alert_offers_resolve_but_not_acknowledge(cast, alerts, web_as):
    from rapport.alerts.services import alert_acknowledge

    alert_acknowledge(actor=cast.clinician, alert=alerts["adult"], note="Called Alex back.")

    html = web_as(cast.co_clinician).get(INBOX).text

    assert reverse("alerts:acknowledge", args=[alerts["adult"].pk]) not in html
    assert reverse("alerts:resolve", args=[alerts["adult"].pk]) in html


def test_reading_the_inbox_is_audited_with_the_alerts_it_listed(cast, alerts, web_as):
    web_as(cast.clinician).get(INBOX)

    event = AuditEvent.objects.get(actor_id=cast.clinician.pk, action="list")
    assert event.object_type == "alerts.alert"
    assert sorted(event.detail["alerts"]) == sorted([alerts["adult"].pk, alerts["teen"].pk])


def test_reading_the_inbox_changes_no_alert(cast, alerts, web_as):
    before = list(Alert.objects.order_by("pk").values())

    for user in (cast.clinician, cast.supervisor):
        web_as(user).get(INBOX)
        web_as(user).get(INBOX, {"show": "all"})

    assert list(Alert.objects.order_by("pk").values()) == before
