"""Caseloads of any size: a page at a time, searched and filtered in the database, with the same
number of queries for a page of a long caseload as of a short one, and an audit event that names
the page and its filters rather than every client shown."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rapport import access
from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open
from rapport.audit.models import AuditEvent
from rapport.care.models import Episode
from rapport.people.models import Client
from rapport.people.queries import PAGE_SIZE
from tests.conftest import Cast, make_episode, make_session, years_ago


def give_clients(cast: Cast, count: int, *, prefix: str = "Zed") -> list[Episode]:
    """`count` more open episodes on the clinician's caseload, named to sort after the cast's."""
    episodes = []
    for i in range(count):
        client = Client.objects.create(
            practice=cast.practice, full_name=f"{prefix} {i:03d}", date_of_birth=years_ago(30)
        )
        episodes.append(make_episode(cast.practice, client, cast.clinician))
    return episodes


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.episode.client.full_name for row in response.context["rows"]]


def last_list_event(user) -> AuditEvent:  # type: ignore[no-untyped-def]
    return AuditEvent.objects.filter(actor_id=user.pk, action="list").latest("id")


def test_a_long_caseload_is_shown_a_page_at_a_time_in_name_order(cast, web_as):
    give_clients(cast, PAGE_SIZE + 5)
    web = web_as(cast.clinician)
    first = web.get(reverse("people:caseload"))
    assert len(first.context["rows"]) == PAGE_SIZE
    assert names(first)[:3] == ["Alex Adult", "Tia Teen", "Zed 000"]
    assert first.context["page"].paginator.count == PAGE_SIZE + 7
    assert 'rel="next"' in first.text and "Page 1 of 2" in first.text
    second = web.get(reverse("people:caseload"), {"page": 2})
    assert names(second) == [f"Zed {i:03d}" for i in range(PAGE_SIZE - 2, PAGE_SIZE + 5)]


def test_a_page_number_out_of_range_or_not_a_number_shows_a_page_that_exists(cast, web_as):
    give_clients(cast, PAGE_SIZE + 1)
    web = web_as(cast.clinician)
    assert web.get(reverse("people:caseload"), {"page": 99}).context["page"].number == 2
    assert web.get(reverse("people:caseload"), {"page": "x"}).context["page"].number == 1


def test_the_links_to_other_pages_keep_the_search_and_filters(cast, web_as):
    give_clients(cast, PAGE_SIZE + 1)
    response = web_as(cast.clinician).get(reverse("people:caseload"), {"q": "zed", "status": "all"})
    assert "?q=zed&amp;status=all&amp;page=2" in response.text


def test_the_search_is_made_in_the_database_over_the_whole_caseload(cast, web_as):
    give_clients(cast, PAGE_SIZE + 5)
    response = web_as(cast.clinician).get(reverse("people:caseload"), {"q": "zed 05"})
    assert names(response) == [f"Zed {i:03d}" for i in range(50, 55)]
    assert "5 matches for “zed 05”" in response.text


def test_closed_episodes_are_listed_only_when_asked_for(cast, web_as):
    cast.adolescent_episode.status = "closed"
    cast.adolescent_episode.closure_reason = "completed"
    cast.adolescent_episode.end_date = timezone.localdate()
    cast.adolescent_episode.save()
    web = web_as(cast.clinician)
    assert names(web.get(reverse("people:caseload"))) == ["Alex Adult"]
    closed = web.get(reverse("people:caseload"), {"status": "closed"})
    assert names(closed) == ["Tia Teen"]
    assert closed.context["rows"][0].flags == ("Closed",)
    everyone = web.get(reverse("people:caseload"), {"status": "all"})
    assert names(everyone) == ["Alex Adult", "Tia Teen"]


def test_the_date_filter_keeps_the_episodes_started_since_that_day(cast, web_as):
    [recent] = give_clients(cast, 1, prefix="Recent")
    recent.start_date = timezone.localdate() - timedelta(days=3)
    recent.save()
    since = (timezone.localdate() - timedelta(weeks=1)).isoformat()
    response = web_as(cast.clinician).get(reverse("people:caseload"), {"since": since})
    assert names(response) == ["Recent 000"]


def test_a_page_costs_the_same_queries_for_a_long_caseload_as_for_a_short_one(cast, web_as):
    web = web_as(cast.clinician)
    web.get(reverse("people:caseload"))  # sessions, permissions and the like settle first
    with CaptureQueriesContext(connection) as short:
        web.get(reverse("people:caseload"))
    for episode in give_clients(cast, PAGE_SIZE + 10):
        make_session(episode, days_from_now=3)
        make_session(episode, days_from_now=-4, held=True)
    with CaptureQueriesContext(connection) as long:
        response = web.get(reverse("people:caseload"))
    assert len(response.context["rows"]) == PAGE_SIZE
    assert len(long.captured_queries) == len(short.captured_queries)


def test_the_page_shows_each_rows_sessions_and_unrecorded_ones(cast, web_as):
    make_session(cast.adult_episode, days_from_now=5)
    make_session(cast.adolescent_episode, days_from_now=-3)  # ended, attendance not recorded
    rows = {
        row.episode.client.full_name: row
        for row in web_as(cast.clinician).get(reverse("people:caseload")).context["rows"]
    }
    assert rows["Alex Adult"].next_session is not None
    assert rows["Alex Adult"].last_session is not None
    assert rows["Tia Teen"].episode.unrecorded == 1
    assert "No session booked" in rows["Tia Teen"].flags


def test_the_audit_event_names_the_page_filters_and_count_not_every_client(cast, web_as):
    give_clients(cast, PAGE_SIZE + 5)
    web_as(cast.clinician).get(reverse("people:caseload"), {"q": "zed", "status": "all", "page": 2})
    event = last_list_event(cast.clinician)
    assert (event.object_type, event.object_id) == ("people.client", "")
    assert event.detail == {
        "view": "caseload",
        "page": 2,
        "pages": 2,
        "count": PAGE_SIZE + 5,
        "shown": 5,
        "search": True,
        "status": "all",
        "started_since": None,
    }


def test_a_supervisors_team_page_is_paginated_grouped_by_clinician_and_audited_by_page(
    cast, web_as
):
    give_clients(cast, PAGE_SIZE + 5)
    web = web_as(cast.supervisor)
    first = web.get(reverse("practices:team"))
    [(clinician, rows)] = first.context["caseloads"]
    assert clinician == cast.clinician and len(rows) == PAGE_SIZE
    assert f"{PAGE_SIZE + 7} listed" in first.text
    second = web.get(reverse("practices:team"), {"page": 2})
    assert [c for c, _ in second.context["caseloads"]] == [cast.clinician]
    assert sum(len(rows) for _, rows in second.context["caseloads"]) == 7
    event = last_list_event(cast.supervisor)
    assert event.detail["view"] == "team"
    assert (event.detail["page"], event.detail["count"]) == (2, PAGE_SIZE + 7)
    assert "clients" not in event.detail


def test_the_care_relationship_counts_each_episode_once_however_many_team_members(cast):
    cast.adult_episode.team_members.add(cast.outsider_clinician)
    mine = access.caseload_episodes(cast.clinician).filter(pk=cast.adult_episode.pk)
    assert mine.count() == 1
    assert access.team_episodes(cast.supervisor).filter(pk=cast.adult_episode.pk).count() == 1


def test_a_team_member_and_their_supervisor_have_the_episode_in_care(cast):
    assert access.record_access(cast.co_clinician, cast.adult_client.pk).write
    assert not access.record_access(cast.co_clinician, cast.adolescent_client.pk).read
    # The outsider's supervisor supervises team B: a team-B member on the episode brings it in.
    assert not access.record_access(cast.other_supervisor, cast.adult_client.pk).read
    cast.adult_episode.team_members.add(cast.outsider_clinician)
    assert access.record_access(cast.other_supervisor, cast.adult_client.pk).read
    assert cast.adult_episode in access.team_episodes(cast.other_supervisor)


def test_record_access_asks_the_database_once_for_a_clinician_in_care(cast):
    with CaptureQueriesContext(connection) as queries:
        assert access.record_access(cast.clinician, cast.adult_client.pk).write
    assert len(queries.captured_queries) == 1


def test_a_client_at_risk_heads_the_first_page_whatever_their_name(cast, web_as):
    episodes = give_clients(cast, PAGE_SIZE + 5)
    at_risk, with_alert = episodes[-1], episodes[-2]  # names that sort onto the second page
    alert_open(
        episode=at_risk,
        kind=Alert.Kind.RISK,
        reason="PHQ-9: thoughts of self-harm reported",
        urgent=True,
    )
    alert_open(episode=with_alert, kind=Alert.Kind.OFF_TRACK, reason="Off track at session 5")

    first = web_as(cast.clinician).get(reverse("people:caseload"))

    assert names(first)[:3] == [at_risk.client.full_name, with_alert.client.full_name, "Alex Adult"]
    assert "Risk" in first.context["rows"][0].flags
