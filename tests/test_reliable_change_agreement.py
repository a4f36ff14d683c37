"""The client page, the progress alert and the practice dashboard judge reliable change by one
rule, and say which: for the PHQ-9 the NHS Talking Therapies criterion (6 or more points).

Before, the client page showed "—" for every PHQ-9 and GAD-7 score (no published SD for
Jacobson–Truax) while an alert about the same client said "reliably worse".
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.care.services import episode_close
from rapport.dashboards.refresh import dashboards_refresh
from tests.conftest import signed_in
from tests.test_plans import phq9_scores

RULE_WORSE = "reliable deterioration (NHS Talking Therapies criterion: a rise of 6 or more points)"


def client_page(cast) -> str:
    web = signed_in(cast.clinician)
    return web.get(reverse("people:client_detail", args=[cast.adult_client.pk])).text


def phq9_categories(cast) -> dict[str, int]:
    episode_close(
        actor=cast.clinician,
        episode=cast.adult_episode,
        reason="completed",
        end_date=timezone.localdate(),
    )
    snapshot = dashboards_refresh(practice=cast.practice)
    [phq] = [i for i in snapshot.figures["instruments"] if i["id"] == "phq9"]
    return {c["key"]: c["count"] for c in phq["categories"]}


def test_a_rise_of_6_on_the_phq9_is_reliably_worse_on_the_page_in_the_alert_and_dashboard(cast):
    phq9_scores(cast, 10, 16)

    page = client_page(cast)
    alert = Alert.objects.get(episode=cast.adult_episode, kind=Alert.Kind.DETERIORATION)
    categories = phq9_categories(cast)

    assert f"Since the first score: <strong>{RULE_WORSE}</strong>" in page
    assert '<td data-label="Reliable change">reliable deterioration</td>' in page
    assert "Reliable change by the NHS Talking Therapies criterion" in page
    assert (
        "<strong>reliably worse than at intake</strong> "
        "(NHS Talking Therapies criterion: a rise of 6 or more points)" in page
    )
    assert "reliably worse than at intake: a change of +6" in alert.reason
    assert "NHS Talking Therapies criterion counts a rise of 6 or more points" in alert.reason
    assert categories["deteriorated"] == 1 and sum(categories.values()) == 1


def test_a_rise_of_5_is_reliably_worse_nowhere(cast):
    phq9_scores(cast, 10, 15)

    page = client_page(cast)
    categories = phq9_categories(cast)

    assert "no reliable change (NHS Talking Therapies criterion" in page
    assert not Alert.objects.filter(
        episode=cast.adult_episode, kind=Alert.Kind.DETERIORATION
    ).exists()
    assert categories["unchanged"] == 1 and sum(categories.values()) == 1


def test_a_fall_from_15_to_9_is_recovery_and_15_to_10_is_not_yet_reliable(cast):
    phq9_scores(cast, 15, 10)
    at_ten = client_page(cast)
    phq9_scores(cast, 9)

    page = client_page(cast)
    categories = phq9_categories(cast)

    assert "<strong>no reliable change (NHS Talking Therapies criterion" in at_ten
    assert "<strong>recovered (NHS Talking Therapies criterion: a fall of 6 or more points" in page
    assert categories["recovered"] == 1


def test_the_portal_says_it_in_plain_words_without_the_rule(cast):
    phq9_scores(cast, 15, 9)

    portal = signed_in(cast.adult_client_user).get(reverse("portal:home")).text

    assert "reliably better, and now in the healthy range" in portal
    assert "Talking Therapies" not in portal
