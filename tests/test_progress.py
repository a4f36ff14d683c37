"""The clinician's progress page and its SVG chart: one panel per measure, the alliance beneath,
the data table under it, alerts and plan revisions, audited reads."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.urls import reverse

from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open
from rapport.audit.models import AuditEvent, BreakGlassGrant
from rapport.progress.queries import episode_progress, session_clock
from tests.test_progress_data import ADULT_PHQ9, adult_history

SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(content: bytes) -> list[str]:
    root = ET.fromstring(content)
    return ["".join(node.itertext()).strip() for node in root.iter(f"{SVG}text")]


def assert_self_contained_svg(content: bytes) -> None:
    """Valid XML, no script, nothing fetched from elsewhere: every link points inside."""
    root = ET.fromstring(content)
    assert root.tag == f"{SVG}svg"
    assert not list(root.iter(f"{SVG}script"))
    assert not list(root.iter(f"{SVG}image")) and not list(root.iter(f"{SVG}foreignObject"))
    for node in root.iter():
        for name, value in node.attrib.items():
            if name.endswith("href"):
                assert value.startswith("#"), (name, value)
            assert "url(http" not in value and "javascript:" not in value.lower()
    assert b"@import" not in content


@pytest.fixture
def history(cast):
    return adult_history(cast.adult_episode)


def test_sessions_are_numbered_in_order_from_the_first_one_held(cast, history):
    clock = session_clock(cast.adult_episode)

    assert [clock.numbers[s.pk] for s in history] == [1, 2, 3, 4, 5]
    assert clock.at(history[2].scheduled_start) == 3
    assert clock.at(history[2].scheduled_start + timedelta(days=2)) == 3.5
    assert clock.at(history[0].scheduled_start - timedelta(days=1)) == 0.5


def test_progress_has_the_scores_by_session_and_the_alliance_of_each_session(cast, history):
    progress = episode_progress(cast.adult_episode)

    [phq9] = progress.families
    assert phq9.family == "phq9" and phq9.lower_is_better
    assert [(p.x, p.total) for p in phq9.series[0].points] == list(
        zip([1.0, 2.0, 3.0, 4.0, 5.0], map(float, ADULT_PHQ9), strict=True)
    )
    assert [(p.x, p.client, p.therapist) for p in progress.alliance][2] == (3.0, 32.0, 32.0)


def test_an_alert_is_marked_on_the_panel_of_the_measure_that_raised_it(cast, history):
    alert_open(
        episode=cast.adult_episode,
        kind=Alert.Kind.DETERIORATION,
        reason="Reliably worse",
        session=history[3],
    )
    alert_open(episode=cast.adult_episode, kind=Alert.Kind.LOW_ALLIANCE, reason="Low", session=None)

    progress = episode_progress(cast.adult_episode)

    assert [(m.x, m.label) for m in progress.families[0].alerts] == [
        (4.0, "Reliably worse than at the start")
    ]
    alliance_labels = [m.label for m in progress.alliance_alerts]
    assert (
        "Low alliance" in alliance_labels
        and "Reliably worse than at the start" not in alliance_labels
    )


def test_the_page_shows_the_chart_and_a_table_of_every_score(cast, history, web_as):
    response = web_as(cast.clinician).get(reverse("progress:episode", args=[cast.adult_episode.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    chart = reverse("progress:chart", args=[cast.adult_episode.pk])
    # Each drawing's address names the version the page read (tests/test_chart_caching.py).
    assert f'<img src="{chart}?v=' in html and f'srcset="{chart}?layout=narrow&amp;v=' in html
    assert "lower is better" in html
    table = html[html.index('aria-labelledby="family-phq9"') :]
    for total in ADULT_PHQ9:
        assert f'<td data-label="Client">{total}</td>' in table
    assert '<td data-label="Band">Moderately severe</td>' in table
    assert "Session feedback" in html and '<td data-label="Therapist">32</td>' in html
    # The chart and its table need no script; the only one is the idle warning every staff page has.
    body = html.split("</head>")[1]
    assert "<script" not in body.replace(
        '<script src="/static/accounts/idle.js" defer></script>', ""
    )


def test_the_chart_is_a_self_contained_svg_with_a_panel_per_measure(cast, history, web_as):
    url = reverse("progress:chart", args=[cast.adult_episode.pk])

    response = web_as(cast.clinician).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "private, no-cache"
    assert "script-src" not in response["Content-Security-Policy"]
    assert_self_contained_svg(response.content)
    texts = svg_texts(response.content)
    assert "PHQ-9 · lower is better" in texts
    assert "Session feedback (alliance) · higher is better" in texts
    assert {"Minimal", "Mild", "Moderate", "Moderately severe", "Severe"} <= set(texts)
    assert {"Client", "Therapist"} <= set(texts)


def test_the_phone_drawing_is_narrower_and_an_unknown_layout_is_not_found(cast, history, web_as):
    web = web_as(cast.clinician)
    url = reverse("progress:chart", args=[cast.adult_episode.pk])

    narrow = ET.fromstring(web.get(url, {"layout": "narrow"}).content)
    wide = ET.fromstring(web.get(url).content)

    assert float(narrow.get("width", "").removesuffix("pt")) < float(
        wide.get("width", "").removesuffix("pt")
    )
    assert web.get(url, {"layout": "poster"}).status_code == 404


def test_an_episode_without_scores_says_so_and_draws_an_empty_chart(cast, web_as):
    web = web_as(cast.clinician)

    page = web.get(reverse("progress:episode", args=[cast.adult_episode.pk]))
    chart = web.get(reverse("progress:chart", args=[cast.adult_episode.pk]))

    assert "No scores in this episode yet." in page.content.decode()
    assert "No scores yet." in svg_texts(chart.content)


def test_the_expected_band_is_drawn_and_tabled_when_trajectories_has_one(
    cast, history, web_as, monkeypatch
):
    from rapport.trajectories.queries import ExpectedBand

    band = ExpectedBand(
        family="phq9",
        method="model",
        label="similar clients at this practice",
        sessions=list(range(1, 21)),
        p10=[10.0 - 0.3 * i for i in range(20)],
        p25=[13.0 - 0.3 * i for i in range(20)],
        p50=[16.0 - 0.3 * i for i in range(20)],
        p75=[19.0 - 0.3 * i for i in range(20)],
        p90=[22.0 - 0.3 * i for i in range(20)],
        higher_is_worse=True,
    )
    monkeypatch.setattr(
        "rapport.trajectories.queries.expected_band",
        lambda episode, family: band if family == "phq9" else None,
    )
    web = web_as(cast.clinician)

    page = web.get(reverse("progress:episode", args=[cast.adult_episode.pk])).content.decode()
    chart = web.get(reverse("progress:chart", args=[cast.adult_episode.pk])).content

    assert "similar clients at this practice: the blue band on the chart" in page
    assert '<td data-label="Expected">12.4–18.4, median 15.4</td>' in page  # session 3
    assert '<td data-label="Expected 10–90%">9.4–21.4</td>' in page
    assert {"expected 10–90%", "expected 25–75%", "expected median"} <= set(svg_texts(chart))


def test_plan_revisions_are_marked_across_the_chart_and_listed(cast, history, web_as, monkeypatch):
    from rapport.plans.queries import PlanRevision

    accepted = history[1].scheduled_start + timedelta(days=2)
    monkeypatch.setattr(
        "rapport.plans.queries.plan_revisions",
        lambda episode: [PlanRevision(accepted, 2, "plan v2 accepted")],
    )
    web = web_as(cast.clinician)

    page = web.get(reverse("progress:episode", args=[cast.adult_episode.pk])).content.decode()
    chart = web.get(reverse("progress:chart", args=[cast.adult_episode.pk])).content

    assert "Plan v2 accepted on" in page and "(after session 2)" in page
    assert "plan v2 accepted" in svg_texts(chart)


def test_reading_the_progress_page_is_audited_for_the_client(cast, history, web_as):
    web_as(cast.clinician).get(reverse("progress:episode", args=[cast.adult_episode.pk]))

    event = AuditEvent.objects.filter(actor_id=cast.clinician.pk, object_type="care.episode").get()
    assert (event.action, event.outcome, event.client_id) == ("read", "ok", cast.adult_client.pk)


def test_a_clinician_outside_the_care_gets_not_found(cast, history, web_as):
    web = web_as(cast.outsider_clinician)

    for route in ("progress:episode", "progress:chart"):
        assert web.get(reverse(route, args=[cast.adult_episode.pk])).status_code == 404


def test_a_break_glass_admin_reads_the_chart(cast, history, web_as):
    from django.utils import timezone

    BreakGlassGrant.objects.create(
        user=cast.admin,
        client=cast.adult_client,
        reason="Complaint review",
        granted_at=timezone.now(),
        expires_at=timezone.now() + timedelta(minutes=30),
    )
    web = web_as(cast.admin)

    assert web.get(reverse("progress:episode", args=[cast.adult_episode.pk])).status_code == 200
    assert web.get(reverse("progress:chart", args=[cast.adult_episode.pk])).status_code == 200


def test_the_client_page_shows_the_progress_panel_with_a_link(cast, history, web_as):
    page = web_as(cast.clinician).get(reverse("people:client_detail", args=[cast.adult_client.pk]))

    html = page.content.decode()
    assert reverse("progress:episode", args=[cast.adult_episode.pk]) in html
    assert f'<img src="{reverse("progress:chart", args=[cast.adult_episode.pk])}"' in html


def test_a_real_proposed_plan_is_marked_after_the_latest_session(cast, history, web_as):
    from django.utils import timezone

    from rapport.plans import services as plans

    draft = plans.plan_draft_start(actor=cast.clinician, episode=cast.adult_episode, reason="Start")
    plans.goal_add(
        actor=cast.clinician,
        version=draft,
        problems=[],
        title="Sleep through most nights",
        target_date=timezone.localdate() + timedelta(weeks=12),
        benchmark="rating",
        family="",
        subscale="",
        target=7.0,
        count_direction="at_least",
    )
    plans.plan_propose(actor=cast.clinician, version=draft)

    progress = episode_progress(cast.adult_episode)
    chart = web_as(cast.clinician).get(reverse("progress:chart", args=[cast.adult_episode.pk]))

    assert [(r.x, r.label) for r in progress.revisions] == [(6.5, "plan v1 proposed")]
    assert "plan v1 proposed" in svg_texts(chart.content)
