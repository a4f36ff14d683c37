"""What guardians and adolescents can see: the portal, private notes and free text."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from rapport.alliance.models import Rupture
from rapport.care.models import Session
from rapport.measures.models import Assignment
from rapport.people.models import GuardianLink
from tests.authorization.fixtures import (  # noqa: F401
    cast_fixture,
    prepared_fixture,
    shared_fixture,
)
from tests.authorization.matrix import MATRIX
from tests.authorization.matrix_cast import TEEN_DRAFT_TEXT, TEEN_FREE_TEXT, MatrixCast
from tests.conftest import Cast, make_session, signed_in

# --- What guardians and adolescents can see -----------------------------------------------------

ADULT_SECRET = "ADULT-PRIVATE-NOTE-7f3a"
TEEN_SECRET = "TEEN-PRIVATE-NOTE-91c2"


@pytest.fixture
def notes_on_record(cast: MatrixCast) -> MatrixCast:
    """Private notes on the adult's session and on two of the adolescent's (past and upcoming).

    The adolescent has also written free text in a session feedback (TEEN_FREE_TEXT, see
    add_measures) and is half-way through the next one (TEEN_DRAFT_TEXT); the guardian may see
    the young person's scores, not what they wrote.
    """
    cast.adult_session.private_notes = ADULT_SECRET
    cast.adult_session.save()
    for days in (-3, 5):
        session = make_session(cast.adolescent_episode, days_from_now=days)
        session.private_notes = f"{TEEN_SECRET} ({days:+d} days)"
        session.save()
    GuardianLink.objects.filter(pk=cast.guardian_link.pk).update(
        may_see_client_answers=True, may_see_client_free_text=False
    )
    return cast


def test_guardian_portal_shows_the_adolescent_by_preferred_name_without_notes(
    notes_on_record: MatrixCast,
) -> None:
    cast = notes_on_record
    page = signed_in(cast.guardian).get(reverse("portal:home"))

    assert page.status_code == 200
    assert re.search(r"<h2>\s*Ti\s*</h2>", page.text), "the adolescent's card, by preferred name"
    assert "with Clinician" in page.text  # the upcoming session is on the schedule
    for never in (TEEN_SECRET, ADULT_SECRET, "Alex Adult", "Olive Other", "Fay Foreign"):
        assert never not in page.text


def test_private_notes_are_on_the_clinicians_session_page(notes_on_record: MatrixCast) -> None:
    """The secret strings really render somewhere, so their absence elsewhere means something."""
    cast = notes_on_record
    web = signed_in(cast.supervisor)

    page = web.get(reverse("care:session_detail", args=[cast.adult_session.pk]))

    assert page.status_code == 200
    assert ADULT_SECRET in page.text


def test_the_adolescents_free_text_is_on_the_clinicians_response_page(
    notes_on_record: MatrixCast,
) -> None:
    """The strings really render somewhere, so their absence elsewhere means something."""
    cast = notes_on_record
    web = signed_in(cast.clinician)

    response_page = web.get(reverse("measures:response_detail", args=[cast.adolescent_response.pk]))
    teen_form = signed_in(cast.adolescent_client_user).get(
        reverse("portal:assignment", args=[cast.adolescent_assignment.pk])
    )

    assert response_page.status_code == 200
    assert TEEN_FREE_TEXT in response_page.text
    assert teen_form.status_code == 200
    assert TEEN_DRAFT_TEXT in teen_form.text  # their own draft, kept for them


def test_guardian_sees_the_adolescents_scores_but_not_their_words(
    notes_on_record: MatrixCast,
) -> None:
    from rapport.measures.services import (
        measure_plan_set,
        response_submit,
        session_assignments_ensure,
    )
    from tests.conftest import assignment_for

    cast = notes_on_record
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        family="checkin",
        respondent="client",
        schedule="every_session",
    )
    session = make_session(cast.adolescent_episode, days_from_now=-1)
    checkin = assignment_for(session_assignments_ensure(session=session), "checkin")
    answers = {f"checkin-{k}": "6" for k in ("feeling", "home", "school", "overall")}
    response_submit(assignment=checkin, answers=answers, mode="portal", actor=None)
    page = signed_in(cast.guardian).get(reverse("portal:home"))

    assert page.status_code == 200
    assert "Check-in</strong>" in page.text  # the young person's check-in score is shared
    assert TEEN_FREE_TEXT not in page.text
    assert TEEN_DRAFT_TEXT not in page.text


@pytest.mark.parametrize("role", ["guardian", "adolescent_client", "adult_client"])
def test_portal_users_never_see_private_notes_on_any_page(
    notes_on_record: MatrixCast, role: str
) -> None:
    cast = notes_on_record
    web = signed_in(cast.person(role))
    teen_sessions = Session.objects.filter(episode=cast.adolescent_episode)
    extra = [reverse("care:session_detail", args=[s.pk]) for s in teen_sessions]
    teen_forms = Assignment.objects.filter(episode=cast.adolescent_episode)
    extra += [reverse("portal:assignment", args=[a.pk]) for a in teen_forms]
    extra += [reverse("measures:response_detail", args=[cast.adolescent_response.pk])]
    urls = {
        case.url(route, cast)
        for route, cases in MATRIX.items()
        for case in cases
        if case.method == "GET"
    } | set(extra)
    # What the adolescent wrote is theirs and their clinician's: nobody else's in the portal.
    never = [TEEN_SECRET, ADULT_SECRET]
    if role != "adolescent_client":
        never += [TEEN_FREE_TEXT, TEEN_DRAFT_TEXT]

    for url in sorted(urls):
        response = web.get(url, follow=True)
        body = response.content.decode(errors="replace")
        for secret in never:
            assert secret not in body, (url, secret)


def test_adolescent_portal_shows_their_own_care_and_nobody_else(
    notes_on_record: MatrixCast,
) -> None:
    cast = notes_on_record
    page = signed_in(cast.adolescent_client_user).get(reverse("portal:home"))

    assert page.status_code == 200
    assert "Your care" in page.text
    for never in (TEEN_SECRET, ADULT_SECRET, "Alex Adult", "Olive Other"):
        assert never not in page.text


def test_inactive_guardian_link_hides_the_adolescent_from_the_guardian(cast: Cast) -> None:
    GuardianLink.objects.filter(pk=cast.guardian_link.pk).update(is_active=False)

    page = signed_in(cast.guardian).get(reverse("portal:home"))

    assert page.status_code == 200
    assert "Tia Teen" not in page.text
    assert "<h2>Ti</h2>" not in page.text


# --- Alliance: the feedback inbox and the overview -----------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("clinician", True),
        ("supervisor", True),
        ("co_clinician", False),  # on the adult's episode only
        ("outsider_clinician", False),
        ("other_supervisor", False),
    ],
)
def test_feedback_inbox_shows_the_adolescents_words_only_to_those_in_their_care(
    cast: MatrixCast, role: str, sees: bool
) -> None:
    page = signed_in(cast.person(role)).get(reverse("alliance:inbox"))

    assert page.status_code == 200
    assert (TEEN_FREE_TEXT in page.text) is sees
    clients = {response.episode.client_id for response, _, _ in page.context["items"]}
    assert (cast.adolescent_client.pk in clients) is sees


@pytest.mark.parametrize(
    ("role", "therapists", "episodes"),
    [
        ("clinician", {"clinician"}, {"adult_episode", "adolescent_episode"}),
        (
            "supervisor",
            {"clinician", "co_clinician", "supervisor"},
            {"adult_episode", "adolescent_episode"},
        ),
        ("co_clinician", {"co_clinician"}, set()),  # a team member, not the primary clinician
        ("outsider_clinician", {"outsider_clinician"}, {"other_episode"}),
        ("other_supervisor", {"other_supervisor", "outsider_clinician"}, {"other_episode"}),
    ],
)
def test_alliance_overview_counts_only_the_ruptures_in_the_viewers_care(
    cast: MatrixCast, role: str, therapists: set[str], episodes: set[str]
) -> None:
    """Each episode has a rupture its clinician recorded (the adolescent's may have one more,
    opened by an alert); the foreign one is never counted."""
    page = signed_in(cast.person(role)).get(reverse("alliance:overview"))

    assert page.status_code == 200
    shown = {row["clinician"] for row in page.context["rows"]}
    assert shown == {cast.person(name) for name in therapists}
    in_view = Rupture.objects.filter(episode__in=[getattr(cast, e) for e in episodes])
    assert page.context["total"].opened == in_view.count()
    assert "Fay Foreign" not in page.text
