"""The session page supports the clinician in the room: risk first, then each measure's latest
score with its band, what changed in plain words, the alliance from each side, open ruptures,
a plan review that is due, and what the client wrote."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rapport.alliance.services import rupture_open
from rapport.care.services import session_record, session_schedule
from rapport.measures.services import measure_plan_set, response_submit, session_assignments_ensure
from tests.authorization.bookkeeping import BOOKKEEPING_TABLES, tables_written
from tests.conftest import assignment_for, make_session

PHQ9_ITEM9 = {**{f"phq9-{n}": "1" for n in range(1, 9)}, "phq9-9": "0"}


def phq9(cast, session, answers):
    assignment = assignment_for(session_assignments_ensure(session=session), "phq9")
    return response_submit(assignment=assignment, answers=answers, mode="in_session", actor=None)


def feedback(cast, session, respondent, each, words=""):
    [assignment] = [
        a
        for a in session_assignments_ensure(session=session)
        if a.plan.family == "feedback" and a.respondent == respondent
    ]
    answers = {f"feedback-{k}": str(each) for k in ("bond", "goals", "approach", "overall")}
    if words:
        answers["feedback-better"] = words
    return response_submit(assignment=assignment, answers=answers, mode="in_session", actor=None)


def setup_history(cast):
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    intake = make_session(cast.adult_episode, days_from_now=-14, held=True)
    phq9(cast, intake, {f"phq9-{n}": "2" for n in range(1, 10)} | {"phq9-9": "0"})  # 16
    last = make_session(cast.adult_episode, days_from_now=-7, held=True)
    phq9(cast, last, {f"phq9-{n}": "1" for n in range(1, 10)} | {"phq9-9": "0"})  # 8
    feedback(cast, last, "client", 8, words="Slower please.")
    feedback(cast, last, "therapist", 9)
    today = cast.adult_session
    phq9(cast, today, {**{f"phq9-{n}": "1" for n in range(1, 9)}, "phq9-9": "1"})  # 9, item 9
    return today


def test_item_9_endorsed_shows_an_unmistakable_risk_flag_on_the_session_page(cast, web_as):
    today = setup_history(cast)
    page = web_as(cast.clinician).get(reverse("care:session_detail", args=[today.pk]))
    text = page.text
    assert 'role="alert"' in text and "Risk: PHQ-9" in text
    assert text.index("Risk: PHQ-9") < text.index("At a glance")
    overview = page.context["overview"]
    [score] = [s for s in overview.scores if s.title == "PHQ-9"]
    assert score.urgent and score.total == "9" and score.band == "Mild"


def test_the_page_says_what_changed_since_last_time_and_since_intake(cast, web_as):
    today = setup_history(cast)
    page = web_as(cast.clinician).get(reverse("care:session_detail", args=[today.pk]))
    assert "1 point higher than last time (worse)" in page.text
    assert "7 points lower than at intake (better)" in page.text
    assert "phq9" not in page.text.replace("phq9-", "")  # no internal codes


def test_the_page_shows_last_sessions_alliance_from_each_side_and_what_the_client_wrote(
    cast, web_as
):
    today = setup_history(cast)
    rupture = rupture_open(
        actor=cast.clinician,
        episode=cast.adult_episode,
        session=None,
        kind="unclear",
        client_words="Felt unheard",
        understanding="",
    )
    page = web_as(cast.supervisor).get(reverse("care:session_detail", args=[today.pk]))
    assert "Client 32" in page.text and "Therapist 36" in page.text
    assert "Slower please." in page.text
    assert "Felt unheard" in page.text and rupture in page.context["overview"].open_ruptures


def session_page_writes(web, session) -> tuple[set[str], object]:  # type: ignore[no-untyped-def]
    """The tables a GET of the session page wrote to, bookkeeping (audit trail, sign-in session)
    aside, and the page."""
    with CaptureQueriesContext(connection) as queries:
        page = web.get(reverse("care:session_detail", args=[session.pk]))
    assert page.status_code == 200
    return tables_written(queries) - BOOKKEEPING_TABLES, page


def test_a_booked_sessions_forms_are_made_at_booking_and_opening_its_page_writes_nothing(
    cast, web_as
):
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
    )
    booked = session_schedule(
        actor=cast.clinician,
        episode=cast.adult_episode,
        scheduled_start=timezone.now() + timedelta(days=2),
        duration_minutes=50,
        modality="video",
    )
    made = set(booked.assignments.values_list("pk", flat=True))
    assert {a.plan.family for a in booked.assignments.all()} >= {"phq9", "feedback"}

    written, page = session_page_writes(web_as(cast.clinician), booked)

    assert written == set()
    assert {a.pk for a in page.context["assignments"]} == made


def test_a_session_recorded_after_the_fact_has_its_forms_and_its_page_writes_nothing(cast, web_as):
    held = make_session(cast.adult_episode, days_from_now=-1)  # saved directly: no forms yet
    assert not held.assignments.exists()
    session_record(
        actor=cast.clinician,
        session=held,
        attendance="attended",
        modality="video",
        duration_minutes=50,
        private_notes="",
    )
    made = set(held.assignments.values_list("pk", flat=True))
    assert made

    written, page = session_page_writes(web_as(cast.clinician), held)

    assert written == set()
    assert {a.pk for a in page.context["assignments"]} == made
