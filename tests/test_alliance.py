"""Session feedback from every side: alerts, ruptures computed from later ratings, views."""

import uuid
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.alerts.services import alert_acknowledge, alert_resolve
from rapport.alliance.models import Rupture
from rapport.alliance.queries import status_of
from rapport.care.models import Attendance
from rapport.measures.models import MeasurePlan, Response
from rapport.measures.services import measure_plan_stop, response_submit, session_assignments_ensure
from tests.conftest import make_session


def feedback(total_each: int, words: str = "", helped: str = "") -> dict[str, str]:
    answers = {
        f"item:feedback-{k}": str(total_each) for k in ("bond", "goals", "approach", "overall")
    }
    if words:
        answers["item:feedback-better"] = words
    if helped:
        answers["item:feedback-helped"] = helped
    return answers


def plain(answers: dict[str, str]) -> dict[str, str]:
    return {key.removeprefix("item:"): value for key, value in answers.items()}


def rate(session, respondent: str, each: int, words: str = "", helped: str = "") -> Response:
    [assignment] = [
        a
        for a in session_assignments_ensure(session=session)
        if a.respondent == respondent and a.plan.family == "feedback"
    ]
    answers = plain(feedback(each, words, helped))
    return response_submit(assignment=assignment, answers=answers, mode="in_session", actor=None)


def past_sessions(episode, count: int):
    sessions = []
    for weeks in range(count, 0, -1):
        session = make_session(episode, days_from_now=-7 * weeks)
        session.attendance = Attendance.ATTENDED
        session.save()
        sessions.append(session)
    return sessions


def test_feedback_is_asked_of_client_and_therapist_at_every_session(cast):
    assignments = session_assignments_ensure(session=cast.adult_session)
    feedback_for = {
        a.respondent: a.instrument_id for a in assignments if a.plan.family == "feedback"
    }
    assert feedback_for == {"client": "feedback-client", "therapist": "feedback-therapist"}


def test_a_young_clients_guardian_rates_their_own_alliance_too(cast):
    session = make_session(cast.adolescent_episode, days_from_now=-1)
    assignments = session_assignments_ensure(session=session)
    guardians = [
        a for a in assignments if a.respondent == "guardian" and a.plan.family == "feedback"
    ]
    assert [(a.instrument_id, a.respondent_user) for a in guardians] == [
        ("feedback-guardian", cast.guardian)
    ]


def test_a_stopped_feedback_plan_stays_stopped(cast):
    session_assignments_ensure(session=cast.adult_session)
    plan = MeasurePlan.objects.get(
        episode=cast.adult_episode, family="feedback", respondent="therapist"
    )
    measure_plan_stop(actor=cast.clinician, plan=plan)
    later = make_session(cast.adult_episode, days_from_now=3)
    respondents = {a.respondent for a in session_assignments_ensure(session=later)}
    assert "therapist" not in respondents


def test_low_feedback_opens_an_alert_and_a_rupture_with_the_clients_words(cast):
    rate(cast.adult_session, "client", 7, words="I felt rushed at the end.")
    alert = Alert.objects.get(episode=cast.adult_episode, kind="low_alliance")
    assert "below" in alert.reason and "36" in alert.reason
    rupture = Rupture.objects.get(episode=cast.adult_episode)
    assert rupture.alert == alert and rupture.client_words == "I felt rushed at the end."


def test_a_therapist_rating_well_above_the_clients_raises_a_disagreement_alert(cast):
    rate(cast.adult_session, "client", 9)  # 36: not low
    rate(cast.adult_session, "therapist", 10)  # 40: 4 above
    assert Alert.objects.filter(episode=cast.adult_episode, kind="disagreement").exists()


def test_a_waiting_disagreement_alert_is_not_opened_again_until_it_is_resolved(cast):
    first, second, third, fourth = past_sessions(cast.adult_episode, 4)
    for session in (first, second):
        rate(session, "client", 9)
        rate(session, "therapist", 10)
    alerts = Alert.objects.filter(episode=cast.adult_episode, kind="disagreement")
    assert alerts.count() == 1
    alert_acknowledge(
        actor=cast.clinician, alert=alerts.get(), note="Talked it over in supervision."
    )
    rate(third, "client", 9)
    rate(third, "therapist", 10)
    assert alerts.count() == 1  # acknowledged: someone is on it
    alert_resolve(actor=cast.clinician, alert=alerts.get(), note="We agreed how to rate.")
    rate(fourth, "client", 9)
    rate(fourth, "therapist", 10)
    assert alerts.count() == 2


def test_a_low_rating_opens_an_alert_every_session_even_while_one_waits(cast):
    first, second = past_sessions(cast.adult_episode, 2)
    rate(first, "client", 7)
    rate(second, "client", 7)
    assert Alert.objects.filter(episode=cast.adult_episode, kind="low_alliance").count() == 2


def test_a_rupture_is_repaired_when_the_rating_returns_to_its_baseline(cast):
    first, second, rupture_session, after = past_sessions(cast.adult_episode, 4)
    rate(first, "client", 10)
    rate(second, "client", 10)
    rate(rupture_session, "client", 8)  # 32 after 40, 40: low and a drop
    rupture = Rupture.objects.get(episode=cast.adult_episode)
    assert status_of(rupture).state == "open"
    rate(after, "client", 10)
    status = status_of(rupture)
    assert status.state == "repaired" and status.sessions_to_repair == 1


def test_the_alliance_page_shows_each_side_and_the_gap(cast, web_as):
    rate(cast.adult_session, "client", 9, words="More time for my questions.")
    rate(cast.adult_session, "therapist", 10)
    page = web_as(cast.clinician).get(reverse("alliance:episode", args=[cast.adult_episode.pk]))
    assert page.status_code == 200
    assert "+4" in page.text and "More time for my questions." in page.text


def test_the_feedback_inbox_shows_what_clients_wrote(cast, web_as):
    rate(cast.adult_session, "client", 9, words="Could we start on time?")
    page = web_as(cast.co_clinician).get(reverse("alliance:inbox"))
    assert "Could we start on time?" in page.text
    other = web_as(cast.outsider_clinician).get(reverse("alliance:inbox"))
    assert "Could we start on time?" not in other.text


def test_feedback_is_taken_with_or_without_what_helped_and_scored_the_same(cast):
    earlier, later = past_sessions(cast.adult_episode, 2)

    without = rate(earlier, "client", 9)
    said = rate(later, "client", 9, helped="  Practising what to say.  ")

    assert without.answers["feedback-helped"] is None  # kept as not answered
    assert said.answers["feedback-helped"] == "Practising what to say."
    assert without.total == said.total == 36
    assert said.instrument_version == "1.1.0"


def test_the_clinician_sees_what_helped_on_the_alliance_page_the_feedback_page_and_the_session(
    cast, web_as
):
    rate(cast.adult_session, "client", 9, words="Start on time.", helped="The breathing practice.")
    web = web_as(cast.clinician)

    alliance = web.get(reverse("alliance:episode", args=[cast.adult_episode.pk])).text
    inbox = web.get(reverse("alliance:inbox")).text
    session = web.get(reverse("care:session_detail", args=[cast.adult_session.pk])).text

    assert "What helped" in alliance and "The breathing practice." in alliance
    assert "The breathing practice." in inbox and "Start on time." in inbox
    # On the session page each written answer comes under its question.
    assert "What helped you most in today&#x27;s session?" in session
    assert session.index("The breathing practice.") < session.index("Start on time.")


def test_feedback_with_only_what_helped_reaches_the_feedback_page(cast, web_as):
    rate(cast.adult_session, "client", 9, helped="Being listened to.")

    assert "Being listened to." in web_as(cast.co_clinician).get(reverse("alliance:inbox")).text
    assert "Being listened to." not in (
        web_as(cast.outsider_clinician).get(reverse("alliance:inbox")).text
    )


def test_a_clinician_records_a_rupture_and_logs_a_repair(cast, web_as):
    web = web_as(cast.clinician)
    response = web.post(
        reverse("alliance:rupture_new", args=[cast.adult_episode.pk]),
        {
            "session": cast.adult_session.pk,
            "kind": "withdrawal",
            "client_words": "Went quiet after homework came up",
            "understanding": "Felt judged",
            "submission_key": str(uuid.uuid4()),
        },
    )
    rupture = Rupture.objects.get(episode=cast.adult_episode)
    assert response["Location"] == reverse("alliance:rupture_detail", args=[rupture.pk])
    web.post(
        reverse("alliance:repair_new", args=[rupture.pk]),
        {
            "repair-kind": "talked",
            "repair-note": "Named it",
            "repair-submission_key": str(uuid.uuid4()),
        },
    )
    assert list(rupture.actions.values_list("kind", flat=True)) == ["talked"]


def test_the_overview_counts_ruptures_per_therapist(cast, web_as):
    rate(cast.adult_session, "client", 7)
    page = web_as(cast.supervisor).get(reverse("alliance:overview"))
    row = next(r for r in page.context["rows"] if r["clinician"] == cast.clinician)
    assert row["counts"].opened == 1


def test_supervisors_see_alerts_left_open_too_long(cast, web_as):
    rate(cast.adult_session, "client", 7)
    Alert.objects.filter(episode=cast.adult_episode).update(
        opened_at=timezone.now() - timedelta(days=10)
    )
    page = web_as(cast.supervisor).get(reverse("alliance:overview"))
    assert list(page.context["overdue"])


def test_feedback_links_go_out_after_a_video_session_not_before(cast):
    from django.core import mail

    from rapport.measures.services import links_send_due

    cast.adult_client.email = "alex@example.com"
    cast.adult_client.save()
    session = make_session(cast.adult_episode, days_from_now=0)
    session.scheduled_start = timezone.now() + timedelta(hours=2)
    session.save()  # a video session
    assert links_send_due(base_url="https://rapport.example.org") == 0
    after = session.scheduled_end + timedelta(minutes=5)
    # Ended but not recorded as held: nobody is asked to rate a session that may not have been.
    assert links_send_due(now=after, base_url="https://rapport.example.org") == 0
    session.attendance = Attendance.ATTENDED
    session.save()
    assert links_send_due(now=after, base_url="https://rapport.example.org") == 1
    assert "how your session" in mail.outbox[0].body
    assert (
        links_send_due(now=after + timedelta(hours=3), base_url="https://rapport.example.org") == 0
    )


def test_the_session_page_shows_what_the_client_wrote(cast, web_as):
    rate(cast.adult_session, "client", 9, words="Please remind me about homework.")
    page = web_as(cast.clinician).get(reverse("care:session_detail", args=[cast.adult_session.pk]))
    assert "Please remind me about homework." in page.text


def test_the_alliance_chart_is_an_svg_with_a_line_per_perspective(cast, web_as):
    rate(cast.adult_session, "client", 8)
    rate(cast.adult_session, "therapist", 9)
    chart = web_as(cast.clinician).get(reverse("alliance:chart", args=[cast.adult_episode.pk]))
    assert chart.status_code == 200 and chart["Content-Type"] == "image/svg+xml"
    svg = chart.content.decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Client" in svg and "Therapist" in svg and "practice cut-off" in svg
    assert "<script" not in svg
    assert chart["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
