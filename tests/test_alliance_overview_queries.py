"""The alliance overview reads a therapist's feedback in one query, however many episodes they
hold: with a query per episode it was the slowest of the alliance pages (about half a second a
view in the demo practice), and it grows with every client a therapist takes on."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rapport.people.models import Client
from tests.conftest import make_episode, years_ago
from tests.test_alliance import past_sessions, rate


def rated_clients(cast, count: int) -> None:
    """`count` more clients of the clinician, each with two sessions rated by both sides."""
    for number in range(count):
        client = Client.objects.create(
            practice=cast.practice, full_name=f"Rated {number}", date_of_birth=years_ago(30)
        )
        episode = make_episode(cast.practice, client, cast.clinician)
        for session, total in zip(past_sessions(episode, 2), (6, 9), strict=True):
            rate(session, "client", total)
            rate(session, "therapist", total)


def overview_queries(web) -> tuple[int, dict[str, object]]:
    with CaptureQueriesContext(connection) as queries:
        page = web.get(reverse("alliance:overview"))
    assert page.status_code == 200
    [row] = page.context["rows"]
    return len(queries), row


def test_the_overview_of_three_times_as_many_episodes_takes_as_many_queries(cast, web_as):
    web = web_as(cast.clinician)
    rated_clients(cast, 2)
    fewer, row = overview_queries(web)
    assert row["counts"].opened >= 2  # a total of 6 out of 10 is a rupture each time

    rated_clients(cast, 4)
    more, row = overview_queries(web)

    assert more == fewer
    # Every episode's ratings were read: two pairs from each of the six new clients.
    assert row["agreement"] is not None
    assert row["counts"].opened >= 6
