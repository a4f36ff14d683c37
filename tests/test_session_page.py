"""The session page supports the clinician in the room: risk first, then each measure's latest
score with its band, what changed in plain words, the alliance from each side, open ruptures,
a plan review that is due, and what the client wrote."""

from __future__ import annotations

from django.urls import reverse

from rapport.alliance.services import rupture_open
from rapport.measures.services import measure_plan_set, response_submit, session_assignments_ensure
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
