"""The portal's simplified progress: a client's own scores in plain words; a guardian sees the
young person's scores only when allowed, and always their own forms."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open
from rapport.audit.models import AuditEvent
from tests.test_progress import assert_self_contained_svg, svg_texts
from tests.test_progress_data import adult_history, teen_history


@pytest.fixture
def adult(cast):
    sessions = adult_history(cast.adult_episode)
    alert_open(
        episode=cast.adult_episode, kind=Alert.Kind.OFF_TRACK, reason="x", session=sessions[2]
    )
    return sessions


def test_a_client_reads_their_scores_in_plain_words(cast, adult, web_as):
    page = web_as(cast.adult_client_user).get(
        reverse("progress:portal", args=[cast.adult_client.pk])
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert "Your progress" in html
    assert (
        "Your PHQ-9 scores have gone down from 18 to 9: lower means fewer symptoms. "
        "9 is in the “mild” range."
    ) in html
    assert '<td data-label="You">18</td>' in html


def test_the_client_sees_no_expected_band_alerts_or_therapist_ratings(cast, adult, web_as):
    web = web_as(cast.adult_client_user)

    html = web.get(reverse("progress:portal", args=[cast.adult_client.pk])).content.decode()
    chart = web.get(reverse("progress:portal_chart", args=[cast.adult_client.pk])).content

    for hidden in ("Off track", "Therapist", "expected", "feedback", "alert"):
        assert hidden not in html
        assert not [text for text in svg_texts(chart) if hidden.lower() in text.lower()]
    assert "PHQ-9 · lower is better" in svg_texts(chart)
    assert_self_contained_svg(chart)


def test_a_guardian_without_permission_sees_none_of_the_young_persons_scores(cast, web_as):
    teen_history(cast.adolescent_episode, client_totals=(13, 17, 25))
    assert not cast.guardian_link.may_see_client_answers
    web = web_as(cast.guardian)

    html = web.get(reverse("progress:portal", args=[cast.adolescent_client.pk])).content.decode()
    chart = svg_texts(
        web.get(reverse("progress:portal_chart", args=[cast.adolescent_client.pk])).content
    )

    assert "Your answers" in html  # their own check-ins
    assert "Ti’s Check-in" not in html and "Ti" not in chart
    for teen_score in ("13", "17", "25"):
        assert f">{teen_score}</td>" not in html
    assert chart.count("Check-in (carer) · higher is better") == 1  # their own answers only


def test_a_guardian_with_permission_sees_the_young_persons_scores(cast, web_as):
    teen_history(cast.adolescent_episode, client_totals=(13, 17, 25))
    cast.guardian_link.may_see_client_answers = True
    cast.guardian_link.save()

    html = (
        web_as(cast.guardian)
        .get(reverse("progress:portal", args=[cast.adolescent_client.pk]))
        .content.decode()
    )

    assert "Ti’s Check-in scores have gone up from 13 to 25" in html
    assert '<td data-label="Ti">25</td>' in html


def test_a_guardian_without_scores_to_see_is_told_why(cast, web_as):
    html = (
        web_as(cast.guardian)
        .get(reverse("progress:portal", args=[cast.adolescent_client.pk]))
        .content.decode()
    )

    assert "shared with you only when" in html


def test_the_young_person_sees_their_own_scores_but_not_their_guardians(cast, web_as):
    teen_history(cast.adolescent_episode, client_totals=(13, 17, 25), guardian_totals=(11, 19, 21))

    html = (
        web_as(cast.adolescent_client_user)
        .get(reverse("progress:portal", args=[cast.adolescent_client.pk]))
        .content.decode()
    )

    assert "Your Check-in scores have gone up from 13 to 25" in html
    assert ">21</td>" not in html and "Your answers" not in html


def test_a_client_cannot_open_another_clients_progress(cast, adult, web_as):
    web = web_as(cast.adolescent_client_user)

    for route in ("progress:portal", "progress:portal_chart"):
        assert web.get(reverse(route, args=[cast.adult_client.pk])).status_code == 404
    denied = AuditEvent.objects.filter(
        actor_id=cast.adolescent_client_user.pk, outcome=AuditEvent.Outcome.DENIED
    )
    assert (
        denied.filter(object_type="people.client", object_id=str(cast.adult_client.pk)).count() == 2
    )


def test_a_portal_read_is_audited_for_the_client(cast, adult, web_as):
    web_as(cast.adult_client_user).get(reverse("progress:portal", args=[cast.adult_client.pk]))

    event = AuditEvent.objects.get(actor_id=cast.adult_client_user.pk, object_type="people.client")
    assert (event.action, event.outcome, event.client_id) == (
        "portal_read",
        "ok",
        cast.adult_client.pk,
    )


def test_the_portal_home_links_to_the_chart(cast, adult, web_as):
    html = web_as(cast.adult_client_user).get(reverse("portal:home")).content.decode()

    assert reverse("progress:portal", args=[cast.adult_client.pk]) in html
