"""Candidates for a new therapist on a small cast: the coordinator sees them on the fit check,
offers them, the client chooses in the portal (once), the current therapist learns of it only
then; consultations count in nothing of the therapy; the directory and the portal's
preferences."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from rapport.audit.models import AuditEvent
from rapport.care.clock import booked_number, sessions_that_took_place
from rapport.care.models import Attendance, SessionKind
from rapport.matching.models import ClientPreference, FitCheck, TherapistProfile
from rapport.matching.queries import fit_check_candidates
from rapport.matching.services import fit_check_request, therapist_profile_save
from rapport.measures.services import session_assignments_ensure
from tests.conftest import make_session

WORDS = "We do not get on, and I dread the sessions."


def profile(user, **details):  # type: ignore[no-untyped-def]
    values = {
        "languages": ["English"],
        "populations": ["adults"],
        "modalities": ["video"],
        "capacity": 2,
        **details,
    }
    return therapist_profile_save(actor=user, therapist=user, details=values)


def private_request(cast, **changes):  # type: ignore[no-untyped-def]
    values = {"actor": cast.adult_client_user, "episode": cast.adult_episode}
    return fit_check_request(**values, starter="client", words=WORDS, **changes)


def key() -> str:
    return str(uuid.uuid4())


def test_the_ranking_reads_the_practices_profiles_and_leaves_out_the_current_and_the_full(cast):
    profile(cast.clinician)  # the current therapist
    profile(cast.outsider_clinician, languages=["English", "Spanish"])
    profile(cast.co_clinician, capacity=0)
    profile(cast.supervisor, languages=["English"], populations=["children"])
    ClientPreference.objects.create(
        client=cast.adult_client, kind="language", value="spanish", strength="prefer"
    )

    ranking = fit_check_candidates(private_request(cast))

    assert [c.therapist.key for c in ranking.candidates] == [cast.outsider_clinician.pk]
    assert ranking.preferences_only  # a handful of therapists cannot be told apart
    assert [p.value for p in ranking.candidates[0].met] == ["spanish"]


def test_a_must_nobody_meets_is_named_with_the_coordinators_options(cast, web_as):
    profile(cast.outsider_clinician)
    ClientPreference.objects.create(
        client=cast.adult_client, kind="language", value="Welsh", strength="must"
    )
    fit_check = private_request(cast)

    page = web_as(cast.supervisor).get(reverse("matching:fit_check", args=[fit_check.pk]))

    text = page.content.decode()
    assert "No therapist with an open place meets: language “Welsh” (must)." in text
    assert "relaxing this preference" in text and "Choose this therapist" in text


def test_the_coordinator_offers_and_the_client_chooses_once_and_the_therapist_learns_then(
    cast, web_as
):
    profile(cast.outsider_clinician)
    fit_check = private_request(cast, share_reason=False)
    supervisor = web_as(cast.supervisor)
    page = supervisor.get(reverse("matching:fit_check", args=[fit_check.pk])).content.decode()
    assert cast.outsider_clinician.full_name in page and "Why here" in page
    admin_page = web_as(cast.admin).get(reverse("matching:fit_check", args=[fit_check.pk]))
    assert admin_page.status_code == 404  # supervisors coordinate by default
    therapist_page = reverse("people:client_detail", args=[cast.adult_client.pk])
    assert "will continue with" not in web_as(cast.clinician).get(therapist_page).content.decode()

    offered = supervisor.post(
        reverse("matching:fit_check_offer", args=[fit_check.pk]), {"submission_key": key()}
    )
    assert offered.status_code == 302
    client = web_as(cast.adult_client_user)
    choose = reverse("matching:portal_choose", args=[fit_check.pk])
    shown = client.get(choose).content.decode()
    assert cast.outsider_clinician.full_name in shown and "Caution" not in shown
    once = {"submission_key": key(), "clinician": cast.outsider_clinician.pk}
    first, again = client.post(choose, once), client.post(choose, once)

    assert first.status_code == again.status_code == 302
    fit_check.refresh_from_db()
    assert (fit_check.status, fit_check.chosen_clinician, fit_check.chosen_by) == (
        "chosen",
        cast.outsider_clinician,
        cast.adult_client_user,
    )
    assert AuditEvent.objects.filter(action="choose", object_id=str(fit_check.pk)).count() == 1
    told = web_as(cast.clinician).get(therapist_page).content.decode()
    assert f"will continue with {cast.outsider_clinician.full_name}" in told
    assert WORDS not in told and "did not ask for their reason to be shared" in told


def test_a_client_cannot_choose_a_therapist_who_was_not_offered(cast, web_as):
    profile(cast.outsider_clinician)
    fit_check = private_request(cast)
    choose = reverse("matching:portal_choose", args=[fit_check.pk])

    page = web_as(cast.adult_client_user).post(
        choose, {"submission_key": key(), "clinician": cast.outsider_clinician.pk}
    )

    assert page.status_code == 200
    assert FitCheck.objects.get(pk=fit_check.pk).chosen_clinician is None


def test_a_consultation_is_booked_once_and_counts_in_nothing_of_the_therapy(cast, web_as):
    profile(cast.outsider_clinician)
    fit_check = private_request(cast)
    url = reverse("matching:consultation_new", args=[fit_check.pk])
    when = timezone.localtime() + timedelta(days=2)
    data = {
        "submission_key": key(),
        "clinician": cast.outsider_clinician.pk,
        "scheduled_start": when.replace(hour=10, minute=0).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "20",
        "modality": "video",
    }
    supervisor = web_as(cast.supervisor)
    too_long = supervisor.post(url, {**data, "submission_key": key(), "duration_minutes": "50"})
    supervisor.post(url, data)
    supervisor.post(url, data)

    assert too_long.status_code == 200
    [consultation] = cast.adult_episode.sessions.filter(kind=SessionKind.CONSULTATION)
    assert consultation.clinician == cast.outsider_clinician
    later = make_session(cast.adult_episode, days_from_now=5)
    assert booked_number(later) == booked_number(cast.adult_session) + 1
    assert session_assignments_ensure(session=consultation) == []
    consultation.attendance = Attendance.ATTENDED
    consultation.save()
    assert consultation not in sessions_that_took_place(episode=cast.adult_episode)
    page = web_as(cast.clinician).get(reverse("people:client_detail", args=[cast.adult_client.pk]))
    assert "Consultation" not in page.content.decode()


def test_the_candidate_records_a_consultation_once_and_only_the_coordinator_reads_the_note(
    cast, web_as
):
    from rapport.matching.services import consultation_book

    profile(cast.outsider_clinician)
    fit_check = private_request(cast)
    # Asked for before the consultation was held (2 hours ago): just after midnight, a request
    # made now is of a later day than the consultation, which the fit check then does not list.
    FitCheck.objects.filter(pk=fit_check.pk).update(
        requested_at=timezone.now() - timedelta(hours=3)
    )
    fit_check.refresh_from_db()
    session = consultation_book(
        actor=cast.supervisor,
        fit_check=fit_check,
        clinician=cast.outsider_clinician,
        scheduled_start=timezone.now() - timedelta(hours=2),
        duration_minutes=20,
        modality="video",
    )
    url = reverse("matching:consultation_record", args=[session.pk])
    note = "CONSULT-NOTE-4f2: easy to talk to; evenings suit her."
    candidate = web_as(cast.outsider_clinician)
    listed = candidate.get(reverse("matching:consultations"))
    first = candidate.post(url, {"submission_key": key(), "attendance": "attended", "note": note})
    again = candidate.post(url, {"submission_key": key(), "attendance": "no_show", "note": "x"})

    assert url in listed.text
    assert first.status_code == 302
    assert again.status_code == 200 and "already recorded" in again.text
    session.refresh_from_db()
    assert session.attendance == Attendance.ATTENDED
    assert session.consultation_record.note == note
    assert AuditEvent.objects.filter(action="consultation_record", object_id=str(session.pk))
    assert note not in str(AuditEvent.objects.values_list("detail", flat=True))
    fit_page = web_as(cast.supervisor).get(reverse("matching:fit_check", args=[fit_check.pk]))
    assert note in fit_page.text and "Attended" in fit_page.text
    portal = web_as(cast.adult_client_user).get(
        reverse("matching:portal_fit_check", args=[cast.adult_client.pk])
    )
    assert note not in portal.text
    assert web_as(cast.clinician).get(url).status_code == 404  # the current therapist


def test_the_directory_filters_and_shows_characteristics_only_with_consent(cast, web_as):
    shared = {"share_characteristics": True, "gender": "Woman", "faith": "Quaker"}
    profile(cast.outsider_clinician, languages=["English", "Polish"], **shared)
    profile(cast.co_clinician, gender="Woman")  # kept only with consent: not kept at all
    supervisor = web_as(cast.supervisor)
    url = reverse("matching:directory")

    everyone = supervisor.get(url).content.decode()
    women = supervisor.get(url, {"gender": "woman"}).content.decode()
    polish = supervisor.get(url, {"language": "polish", "open_places": "on"}).content.decode()

    assert cast.co_clinician.full_name in everyone and "Quaker" in everyone
    assert cast.outsider_clinician.full_name in women
    assert cast.co_clinician.full_name not in women
    assert cast.co_clinician.full_name not in polish
    assert TherapistProfile.objects.get(user=cast.co_clinician).gender == ""


def test_the_client_says_what_they_want_of_a_therapist_in_the_portal_in_spanish(cast, web_as):
    cast.adult_client.language = "es"  # a client's pages follow their record's language
    cast.adult_client.save()
    client = web_as(cast.adult_client_user)
    url = reverse("matching:portal_preferences", args=[cast.adult_client.pk])

    page = client.get(url).content.decode()
    bad = client.post(url, {"submission_key": key(), "language_strength": "must"})
    saved = client.post(
        url, {"submission_key": key(), "language": "Polish", "language_strength": "must"}
    )

    assert "¿Qué querría" in page and "no hace que la terapia" in page
    assert bad.status_code == 200
    assert saved.status_code == 302
    wanted = ClientPreference.objects.get(client=cast.adult_client, kind="language")
    assert (wanted.value, wanted.strength) == ("Polish", "must")
