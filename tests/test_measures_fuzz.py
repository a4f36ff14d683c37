"""Whatever is typed into a measure form — through a link, in the portal, in client mode or on
the staff page, autosaved or sent — the answer is a page or a field error, never a server error,
and nothing stored holds a character the database cannot keep. Run these on PostgreSQL too
(DATABASE_URL): it is there that a NUL in a JSON answer used to fail with a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import transaction
from django.test import Client as WebClient
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.measures.models import Assignment, Response
from rapport.measures.services import link_issue, session_assignments_ensure
from tests.conftest import assignment_for, signed_in

# Any characters a browser can send (surrogates cannot be encoded), with NULs made likely.
typed = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=60),
    st.lists(st.sampled_from(["\x00", "a", "é", "8", " ", "\n", "😀"]), max_size=12).map("".join),
    st.integers(min_value=-20, max_value=30).map(str),
    st.just("x" * 4001),
)
ANSWERS = st.fixed_dictionaries(
    {f"item:feedback-{k}": typed for k in ("bond", "goals", "approach", "overall", "better")},
    optional={"item:" + "unknown": typed},
)
FUZZ = settings(
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# (who is signed in, the form's URL) for an assignment, per way of answering.
Opener = Callable[..., tuple[WebClient, str]]


def through_link(cast, assignment):
    _, token = link_issue(actor=None, assignment=assignment)
    return WebClient(), reverse("measures:link_form", args=[token])


def in_portal(cast, assignment):
    return signed_in(cast.adult_client_user), reverse("portal:assignment", args=[assignment.pk])


def in_client_mode(cast, assignment):
    web = signed_in(cast.clinician)
    web.post(reverse("measures:client_mode_start", args=[assignment.pk]))
    return web, reverse("measures:client_mode_form")


def on_the_staff_page(cast, assignment):
    return signed_in(cast.clinician), reverse("measures:assignment_complete", args=[assignment.pk])


@pytest.fixture
def feedback(cast) -> dict[str, Assignment]:
    assignments = session_assignments_ensure(session=cast.adult_session)
    return {
        "client": assignment_for(assignments, "feedback"),
        "therapist": assignment_for(assignments, "feedback", "therapist"),
    }


def _no_nul_stored(assignment: Assignment) -> None:
    # A fresh copy: refreshing the caller's object would carry this example's state (say
    # "completed") past the rollback into the next example.
    stored = Assignment.objects.get(pk=assignment.pk)
    assert "\x00" not in str(stored.draft)
    for response in Response.objects.filter(assignment=assignment):
        assert "\x00" not in str(response.answers)


@pytest.mark.parametrize(
    ("opener", "respondent"),
    [
        (through_link, "client"),
        (in_portal, "client"),
        (in_client_mode, "client"),
        (on_the_staff_page, "client"),  # a paper form typed in
        (on_the_staff_page, "therapist"),  # the therapist's own rating
    ],
    ids=["link", "portal", "client-mode", "staff-paper", "staff-own"],
)
@pytest.mark.parametrize("action", ["draft", "autosave", "submit"])
def test_any_typed_answer_gives_a_page_or_a_field_error_never_a_server_error(
    cast, feedback, opener, respondent, action
):
    assignment = feedback[respondent]

    @FUZZ
    @given(answers=ANSWERS)
    def run(answers: dict[str, str]) -> None:
        # Each example in a savepoint rolled back afterwards, so the form stays open.
        with transaction.atomic():
            web, url = opener(cast, Assignment.objects.get(pk=assignment.pk))
            data = dict(answers)
            headers = {}
            if action != "submit":
                data["action"] = "draft"
            if action == "autosave":
                headers["X-Rapport-Autosave"] = "1"
            page = web.post(url, data, headers=headers)
            assert page.status_code < 500
            assert page.status_code in (200, 204, 302, 400), page.status_code
            scales = [answers[f"item:feedback-{k}"] for k in ("bond", "goals", "approach")]
            if action == "submit" and any("\x00" in value for value in scales):
                assert page.status_code == 400
                assert "Null characters are not allowed." in page.text
            _no_nul_stored(assignment)
            transaction.set_rollback(True)

    run()
