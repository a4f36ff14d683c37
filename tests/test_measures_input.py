"""What people type into measure forms: characters a database cannot store, overlong answers,
link throttling that stops guessing without refusing the person who fills in forms, and who is
recorded as answering through a link."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rapport.audit.models import AuditEvent
from rapport.core.instruments import MAX_TEXT_LENGTH
from rapport.measures.models import Assignment, LinkAttempt, Response
from rapport.measures.services import link_issue, session_assignments_ensure
from tests.conftest import assignment_for, signed_in

GOOD_FEEDBACK = {f"item:feedback-{k}": "8" for k in ("bond", "goals", "approach", "overall")}
NUL_TEXT = "It was fine\x00 mostly"


@pytest.fixture
def feedback_due(cast) -> Assignment:
    """The adult client's session feedback (four 0–10 scales and a free-text question)."""
    return assignment_for(session_assignments_ensure(session=cast.adult_session), "feedback")


def link_url(assignment: Assignment) -> str:
    _, token = link_issue(actor=None, assignment=assignment)
    return reverse("measures:link_form", args=[token])


# --- Characters no database should be asked to store ------------------------------------------


def test_a_null_character_in_a_written_answer_is_a_field_error_not_a_server_error(
    feedback_due, client
):
    url = link_url(feedback_due)
    page = client.post(url, {**GOOD_FEEDBACK, "item:feedback-better": NUL_TEXT})

    assert page.status_code == 400
    assert "Null characters are not allowed." in page.text
    assert not Response.objects.filter(assignment=feedback_due).exists()
    # What was typed is kept as a draft, without the character the database cannot hold.
    draft = Assignment.objects.get(pk=feedback_due.pk).draft
    assert draft["feedback-better"] == "It was fine mostly"


def test_an_autosave_with_a_null_character_keeps_the_rest_of_the_draft(feedback_due, client):
    url = link_url(feedback_due)
    saved = client.post(
        url,
        {**GOOD_FEEDBACK, "item:feedback-better": NUL_TEXT, "action": "draft"},
        headers={"X-Rapport-Autosave": "1"},
    )

    assert saved.status_code == 204
    draft = Assignment.objects.get(pk=feedback_due.pk).draft
    assert draft["feedback-better"] == "It was fine mostly" and draft["feedback-bond"] == "8"


def test_a_null_character_in_a_scale_answer_says_what_is_wrong(feedback_due, client):
    page = client.post(link_url(feedback_due), {**GOOD_FEEDBACK, "item:feedback-bond": "8\x00"})

    assert page.status_code == 400 and "Null characters are not allowed." in page.text


def test_a_too_long_answer_says_how_long_it_is_and_the_limit(feedback_due, client):
    words = "x" * (MAX_TEXT_LENGTH + 1)
    page = client.post(link_url(feedback_due), {**GOOD_FEEDBACK, "item:feedback-better": words})

    assert page.status_code == 400
    assert f"This answer is {MAX_TEXT_LENGTH + 1:,} characters long" in page.text
    assert f"shorten it to {MAX_TEXT_LENGTH:,} characters or fewer" in page.text
    assert words in page.text  # nothing the person wrote is cut off
    assert Assignment.objects.get(pk=feedback_due.pk).draft["feedback-better"] == words


def test_the_form_tells_the_limit_of_a_written_answer_before_it_is_sent(feedback_due, client):
    page = client.get(link_url(feedback_due))

    assert f"Up to {MAX_TEXT_LENGTH:,} characters" in page.text


def test_a_forwarded_address_that_is_not_an_address_does_not_break_the_link_page(
    feedback_due, client, settings
):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    page = client.get(
        reverse("measures:link_form", args=["not-a-token"]),
        headers={"X-Forwarded-For": "garbage\x00, more"},
        REMOTE_ADDR="203.0.113.9",
    )

    assert page.status_code == 410
    assert list(LinkAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.9"]


# --- Throttling guesses, not people filling in forms ------------------------------------------


def test_a_hundred_autosaves_then_the_final_send_is_stored(feedback_due, client):
    url = link_url(feedback_due)
    for n in range(100):
        saved = client.post(
            url,
            {**GOOD_FEEDBACK, "item:feedback-better": f"draft {n}", "action": "draft"},
            headers={"X-Rapport-Autosave": "1"},
        )
        assert saved.status_code == 204

    sent = client.post(url, {**GOOD_FEEDBACK, "item:feedback-better": "all good"})

    assert sent.status_code == 302 and sent["Location"] == reverse("measures:link_done")
    assert Response.objects.get(assignment=feedback_due).answers["feedback-better"] == "all good"
    assert not LinkAttempt.objects.exists()  # working links are not counted at all


def test_bad_tokens_from_an_address_do_not_block_a_working_link_from_it(feedback_due, client):
    for n in range(11):
        client.get(reverse("measures:link_form", args=[f"mistyped-{n}"]))
    url = link_url(feedback_due)

    assert client.get(url).status_code == 200
    sent = client.post(url, {**GOOD_FEEDBACK})
    assert sent.status_code == 302
    assert Response.objects.filter(assignment=feedback_due).exists()


def test_many_bad_tokens_are_still_refused_with_a_reason(db, client):
    statuses = [
        client.get(reverse("measures:link_form", args=[f"guess-{n}"])).status_code
        for n in range(10)
    ]
    refused = client.get(reverse("measures:link_form", args=["guess-more"]))

    assert statuses == [410] * 10
    assert refused.status_code == 429
    assert "Please wait ten minutes" in refused.text
    assert LinkAttempt.objects.count() == 10  # a guesser over the limit writes nothing more


def test_used_and_replaced_links_count_as_failures(feedback_due, client):
    _, old = link_issue(actor=None, assignment=feedback_due)
    link_issue(actor=None, assignment=feedback_due)  # replaces the first
    for _ in range(10):
        assert client.get(reverse("measures:link_form", args=[old])).status_code == 410

    assert client.get(reverse("measures:link_form", args=[old])).status_code == 429


def test_guessing_from_another_address_does_not_affect_this_one(feedback_due, client):
    for n in range(12):
        client.get(reverse("measures:link_form", args=[f"g{n}"]), REMOTE_ADDR="198.51.100.7")

    page = client.get(reverse("measures:link_form", args=["mistyped"]))

    assert page.status_code == 410


# --- Who answered -----------------------------------------------------------------------------


def test_a_link_opened_while_another_portal_user_is_signed_in_records_the_links_person(
    cast, feedback_due
):
    """A parent signed in to the portal on the family computer opens their child's link: the
    answers are the child's, and the record must not say the parent gave them."""
    web = signed_in(cast.guardian)
    sent = web.post(link_url(feedback_due), {**GOOD_FEEDBACK})

    assert sent.status_code == 302
    response = Response.objects.get(assignment=feedback_due)
    event = AuditEvent.objects.get(action="submit", object_id=str(response.pk))
    assert event.actor_id == cast.adult_client_user.pk
    assert response.respondent == "client"


def test_a_guardians_link_records_the_guardian_even_when_the_child_is_signed_in(cast):
    from rapport.measures.services import measure_plan_set
    from tests.conftest import make_session

    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        family="checkin",
        respondent="guardian",
        schedule="every_session",
    )
    session = make_session(cast.adolescent_episode, days_from_now=1)
    assignment = assignment_for(session_assignments_ensure(session=session), "checkin", "guardian")
    url = link_url(assignment)
    web = signed_in(cast.adolescent_client_user)
    form = web.get(url)
    answers = {
        name: value for name, value in _first_choices(form.text).items() if name.startswith("item:")
    }
    sent = web.post(url, answers)

    assert sent.status_code == 302, sent.content[:500]
    response = Response.objects.get(assignment=assignment)
    event = AuditEvent.objects.get(action="submit", object_id=str(response.pk))
    assert event.actor_id == cast.guardian.pk


def _first_choices(html: str) -> dict[str, str]:
    """The first offered value of every radio group on a page."""
    import re

    choices: dict[str, str] = {}
    for name, value in re.findall(r'type="radio" name="([^"]+)" value="([^"]*)"', html):
        choices.setdefault(name, value)
    return choices
