"""A measure submission is one short transaction of few queries: under load, submissions queue
behind one another on the database write lock, so every query inside it counts."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rapport.measures.models import Response
from rapport.measures.services import link_issue, measure_plan_set, session_assignments_ensure
from rapport.trajectories.models import TrajectorySettings
from rapport.trajectories.services import refit_practice
from tests.conftest import assignment_for

# The link with its respondent, the locked assignment, the submission's writes and its audit
# event, the classification's three reads (the practice's instruments, the expected trajectory
# with the settings, the client's scores numbered by session), and the savepoints.
MOST_QUERIES = 15


def test_a_measure_submitted_through_its_link_is_one_transaction_of_few_queries(cast, client):
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    # The practice has scored this measure before: its expected trajectory is fitted (the very
    # first score of a measure in a practice fits it on demand, once).
    refit_practice(
        practice=cast.practice, settings=TrajectorySettings.for_practice(cast.practice.pk)
    )
    assignment = assignment_for(session_assignments_ensure(session=cast.adult_session), "phq9")
    _, token = link_issue(actor=None, assignment=assignment)
    url = reverse("measures:link_form", args=[token])
    answers = {f"item:phq9-{n}": "1" for n in range(1, 10)}
    assert client.get(url).status_code == 200

    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, answers)

    assert response.status_code == 302
    assert Response.objects.filter(assignment=assignment).count() == 1
    statements = [query["sql"] for query in captured.captured_queries]
    assert len(statements) <= MOST_QUERIES, "\n".join(statements)
    # The test's own transaction stands for the request's; inside it only the classification
    # keeps a savepoint, so that a failure to classify never loses the answers.
    savepoints = [sql for sql in statements if sql.startswith("SAVEPOINT")]
    assert len(savepoints) == 2, savepoints
