"""The portal's home page: what is waiting for a client or a guardian, their next appointments
and their progress. A guardian sees their own forms and, for an adolescent, only what the link
allows; the young person never sees their guardian's answers; staff never use it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.audit.models import AuditEvent
from rapport.care.models import Modality, Session
from rapport.care.services import episode_close
from rapport.measures.models import Assignment
from rapport.measures.services import session_assignments_ensure
from tests.conftest import assignment_for, make_session
from tests.test_progress_data import teen_history

HOME = reverse("portal:home")


def waiting(page) -> set[int]:
    return {a.pk for card in page.context["cards"] for a in card["waiting"]}


def form_url(assignment: Assignment) -> str:
    return reverse("portal:assignment", args=[assignment.pk])


@pytest.fixture
def adult_feedback(cast) -> Assignment:
    """The adult's feedback about a session held two days ago: waiting for them now."""
    return assignment_for(session_assignments_ensure(session=cast.adult_session), "feedback")


@pytest.fixture
def teen_session(cast) -> Session:
    return make_session(cast.adolescent_episode, days_from_now=-2, held=True)


@pytest.fixture
def teen_forms(cast, teen_session) -> dict[str, Assignment]:
    """Feedback about the teenager's held session, from the teenager and from the guardian."""
    assignments = session_assignments_ensure(session=teen_session)
    return {
        "teen": assignment_for(assignments, "feedback", "client"),
        "guardian": assignment_for(assignments, "feedback", "guardian"),
    }


# --- A client ----------------------------------------------------------------------------------


def test_a_client_sees_a_form_waiting_for_them_as_a_link_to_fill_it_in(
    cast, adult_feedback, web_as
):
    page = web_as(cast.adult_client_user).get(HOME)

    assert page.status_code == 200
    assert waiting(page) == {adult_feedback.pk}
    assert form_url(adult_feedback) in page.text
    assert "Hello" in page.text and "Your care" in page.text


def test_a_client_with_nothing_waiting_is_told_so_and_thanked(cast, web_as):
    page = web_as(cast.adult_client_user).get(HOME)

    assert waiting(page) == set()
    assert "Nothing to fill in right now. Thank you!" in page.text


def test_a_completed_form_is_no_longer_waiting(cast, adult_feedback, web_as):
    web = web_as(cast.adult_client_user)
    answers = {f"item:feedback-{n}": "8" for n in ("bond", "goals", "approach", "overall")}
    assert web.post(form_url(adult_feedback), answers).status_code == 302

    page = web.get(HOME)

    assert adult_feedback.pk not in waiting(page)
    assert form_url(adult_feedback) not in page.text


def test_the_therapists_own_feedback_form_is_never_offered_to_the_client(cast, web_as):
    assignments = session_assignments_ensure(session=cast.adult_session)
    therapist = assignment_for(assignments, "feedback", "therapist")

    page = web_as(cast.adult_client_user).get(HOME)

    assert therapist.pk not in waiting(page)
    assert form_url(therapist) not in page.text


def test_a_client_sees_their_next_appointments_in_the_practices_words(cast, web_as):
    coming = make_session(cast.adult_episode, days_from_now=3)
    coming.modality = Modality.PHONE
    coming.save()
    past = make_session(cast.adult_episode, days_from_now=-9)

    page = web_as(cast.adult_client_user).get(HOME)

    [card] = page.context["cards"]
    assert [s.pk for s in card["upcoming"]] == [coming.pk]
    assert past.pk not in [s.pk for s in card["upcoming"]]
    assert f"Phone with {cast.clinician.full_name}" in page.text


def test_a_client_sees_at_most_three_appointments_the_soonest_first(cast, web_as):
    sessions = [make_session(cast.adult_episode, days_from_now=days) for days in (20, 6, 13, 27)]

    [card] = web_as(cast.adult_client_user).get(HOME).context["cards"]

    assert [s.pk for s in card["upcoming"]] == [sessions[1].pk, sessions[2].pk, sessions[0].pk]


def test_a_client_with_no_appointment_booked_is_told_so(cast, web_as):
    assert "None booked yet." in web_as(cast.adult_client_user).get(HOME).text


def test_a_client_sees_only_their_own_care(cast, teen_forms, web_as):
    page = web_as(cast.adult_client_user).get(HOME)

    assert [card["client"] for card in page.context["cards"]] == [cast.adult_client]
    assert "Tia" not in page.text and "<h2>Ti</h2>" not in page.text
    assert not waiting(page) & {a.pk for a in teen_forms.values()}


def test_opening_the_home_page_is_audited_as_a_portal_read_of_the_client(cast, web_as):
    web_as(cast.adult_client_user).get(HOME)

    event = AuditEvent.objects.get(actor_id=cast.adult_client_user.pk, action="portal_read")
    assert (event.object_type, event.client_id) == ("people.client", cast.adult_client.pk)


def test_opening_the_home_page_creates_no_form(cast, web_as):
    make_session(cast.adult_episode, days_from_now=-1, held=True)  # no forms prepared for it
    before = Assignment.objects.count()

    web_as(cast.adult_client_user).get(HOME)

    assert Assignment.objects.count() == before


def test_a_portal_user_linked_to_nobody_is_told_where_to_ask(cast, web_as):
    cast.adult_client.user = None
    cast.adult_client.save()

    page = web_as(cast.adult_client_user).get(HOME)

    assert page.context["cards"] == []
    assert "There is nothing linked to your account yet." in page.text


# --- A guardian and an adolescent ---------------------------------------------------------------


def test_a_guardian_sees_a_card_for_the_young_person_by_the_name_they_use(cast, web_as):
    page = web_as(cast.guardian).get(HOME)

    [card] = page.context["cards"]
    assert card["client"] == cast.adolescent_client and card["link"] == cast.guardian_link
    assert "<h2>Ti</h2>" in page.text
    assert "Your care" not in page.text


def test_a_guardian_sees_their_own_forms_and_not_the_young_persons(cast, teen_forms, web_as):
    page = web_as(cast.guardian).get(HOME)

    assert waiting(page) == {teen_forms["guardian"].pk}
    assert form_url(teen_forms["teen"]) not in page.text


def test_the_young_person_sees_their_own_forms_and_not_their_guardians(cast, teen_forms, web_as):
    page = web_as(cast.adolescent_client_user).get(HOME)

    assert waiting(page) == {teen_forms["teen"].pk}
    assert form_url(teen_forms["guardian"]) not in page.text


def test_a_guardian_of_two_young_people_sees_a_card_for_each(cast, web_as):
    from rapport.people.models import GuardianLink

    GuardianLink.objects.create(
        client=cast.other_client, guardian=cast.guardian, relationship="aunt"
    )

    page = web_as(cast.guardian).get(HOME)

    assert {card["client"] for card in page.context["cards"]} == {
        cast.adolescent_client,
        cast.other_client,
    }


def test_a_guardian_whose_link_has_ended_sees_nothing_of_the_young_person(cast, teen_forms, web_as):
    cast.guardian_link.is_active = False
    cast.guardian_link.save()

    page = web_as(cast.guardian).get(HOME)

    assert page.context["cards"] == []
    assert "<h2>Ti</h2>" not in page.text
    assert form_url(teen_forms["guardian"]) not in page.text


def test_a_guardian_sees_the_young_persons_appointments_when_the_schedule_is_shared(cast, web_as):
    coming = make_session(cast.adolescent_episode, days_from_now=4)
    assert cast.guardian_link.may_see_schedule

    [card] = web_as(cast.guardian).get(HOME).context["cards"]

    assert [s.pk for s in card["upcoming"]] == [coming.pk]


def test_a_guardian_not_shared_the_schedule_gets_no_appointments_at_all(cast, web_as):
    make_session(cast.adolescent_episode, days_from_now=4)
    cast.guardian_link.may_see_schedule = False
    cast.guardian_link.save()

    page = web_as(cast.guardian).get(HOME)

    assert page.context["cards"][0]["upcoming"] == []
    assert "with Clinician" not in page.text


def test_the_young_person_sees_their_appointments_whatever_the_guardian_may(cast, web_as):
    coming = make_session(cast.adolescent_episode, days_from_now=4)
    cast.guardian_link.may_see_schedule = False
    cast.guardian_link.save()

    [card] = web_as(cast.adolescent_client_user).get(HOME).context["cards"]

    assert [s.pk for s in card["upcoming"]] == [coming.pk]


def progress_of(page) -> set[tuple[str, str]]:
    return {
        (h.instrument.short_title, h.respondent)
        for card in page.context["cards"]
        for h in card["histories"]
    }


def test_a_guardian_sees_their_own_progress_answers_but_not_the_young_persons(cast, web_as):
    teen_history(cast.adolescent_episode, client_totals=(13, 17, 25))
    assert not cast.guardian_link.may_see_client_answers

    page = web_as(cast.guardian).get(HOME)

    assert {respondent for _, respondent in progress_of(page)} == {"guardian"}
    assert "(your answers)" in page.text
    assert "13 on" not in page.text and "25 on" not in page.text


def test_a_guardian_allowed_the_young_persons_answers_sees_their_scores_too(cast, web_as):
    teen_history(cast.adolescent_episode, client_totals=(13, 17, 25))
    cast.guardian_link.may_see_client_answers = True
    cast.guardian_link.save()

    page = web_as(cast.guardian).get(HOME)

    assert {respondent for _, respondent in progress_of(page)} == {"client", "guardian"}
    assert "13 on" in page.text and "25 on" in page.text


def test_the_young_person_sees_their_own_scores_and_never_their_guardians(cast, web_as):
    teen_history(cast.adolescent_episode, client_totals=(13, 17, 25), guardian_totals=(11, 19, 21))

    page = web_as(cast.adolescent_client_user).get(HOME)

    assert {respondent for _, respondent in progress_of(page)} == {"client"}
    assert "Your progress" in page.text
    assert "21 on" not in page.text and "(your answers)" not in page.text


def test_progress_of_a_closed_episode_is_not_shown(cast, web_as):
    teen_history(cast.adolescent_episode, client_totals=(13, 17, 25))
    episode_close(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        reason="completed",
        end_date=timezone.localdate(),
    )

    page = web_as(cast.adolescent_client_user).get(HOME)

    assert progress_of(page) == set()


# --- Who may open it ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clinician", "supervisor", "admin"], ids=str)
def test_staff_are_refused_the_portal(cast, web_as, role):
    page = web_as(cast.person(role)).get(HOME)

    assert page.status_code == 403
    assert AuditEvent.objects.filter(
        actor_id=cast.person(role).pk, outcome=AuditEvent.Outcome.DENIED, object_id=HOME
    ).exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    page = client.get(HOME)

    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))


def test_a_session_still_to_come_offers_no_form_even_when_prepared(cast, web_as):
    soon = make_session(cast.adult_episode, days_from_now=0)
    soon.scheduled_start = timezone.now() + timedelta(days=5)
    soon.save()
    prepared = session_assignments_ensure(session=soon)

    page = web_as(cast.adult_client_user).get(HOME)

    assert not waiting(page) & {a.pk for a in prepared}
