"""Staff pages follow the staff member's own language (issue 17 §1): the staff templates listed
here have no text outside the translation tags, and a clinician who chose Spanish reads the
client page, the caseload and the alerts in Spanish while a colleague who kept English reads
them in English, word for word as before."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open
from tests.conftest import build_cast, built_once, signed_in
from tests.test_translations_complete import template_source, untranslated_text

# The staff templates whose words are all translated. A template converted later belongs here.
STAFF_TEMPLATES = (
    "people/client_detail.html",
    "people/caseload.html",
    "people/caseload_filters.html",
    "people/caseload_pager.html",
    "people/caseload_table.html",
    "people/client_form.html",
    "people/client_directory.html",
    "people/guardian_new.html",
    "people/guardian_link_form.html",
    "people/break_glass.html",
    "alerts/inbox.html",
    "alerts/alert_list.html",
    "alerts/note.html",
    "care/session_detail.html",
    "care/session_schedule.html",
    "care/episode_close.html",
    "care/episode_team.html",
    "care/episode_transfer.html",
    "measures/episode_measures.html",
    "measures/response_detail.html",
    "measures/risk_flag.html",
    "measures/answer_staff.html",
    "measures/link_created.html",
    "measures/default_measures.html",
    "alliance/episode.html",
    "alliance/overview.html",
    "alliance/inbox.html",
    "alliance/rupture_detail.html",
    "alliance/rupture_new.html",
    "alliance/settings.html",
    "alliance/icc_not_estimable.html",
    "plans/client_panel.html",
    "plans/episode.html",
    "plans/version.html",
    "plans/compare.html",
    "plans/draft_new.html",
    "plans/goal_form.html",
    "plans/problem_form.html",
    "plans/review_form.html",
    "plans/_conflict.html",
    "progress/client_panel.html",
    "progress/episode.html",
    "reports/client_panel.html",
    "reports/send_panel.html",
    "reports/letter_form.html",
    "trajectories/client_panel.html",
    "trajectories/episode.html",
    "trajectories/overview.html",
    "trajectories/settings.html",
    "trajectories/rate_cell.html",
    "exposure/client_panel.html",
    "exposure/episode_ladders.html",
    "exposure/ladder_detail.html",
    "exposure/ladder_summary.html",
    "exposure/ladder_new.html",
    "exposure/ladder_edit.html",
    "exposure/step_edit.html",
    "exposure/attempt_new.html",
    "dashboards/therapist.html",
    "dashboards/completion.html",
    "dashboards/_completion_table.html",
    "practices/manage.html",
    "practices/settings.html",
    "practices/team.html",
    "practices/team_list.html",
    "practices/team_form.html",
    "practices/user_list.html",
    "practices/user_form.html",
    "audit/trail.html",
    "audit/emergency_banner.html",
    "interop/research_export.html",
    "accounts/api_tokens.html",
    "accounts/two_factor_setup.html",
    "accounts/two_factor_email_code.html",
    "accounts/two_factor_verify.html",
    "matching/_facts.html",
    "matching/client_panel.html",
    "matching/consultation_new.html",
    "matching/consultation_record.html",
    "matching/consultations.html",
    "matching/directory.html",
    "matching/fit_check.html",
    "matching/fit_check_new.html",
    "matching/fit_checks.html",
    "matching/fit_settings.html",
    "matching/handoff.html",
    "matching/handoff_begin.html",
    "matching/handoff_settings.html",
    "matching/handoffs.html",
    "matching/preferences.html",
    "matching/profile.html",
    "matching/rematch_outcomes.html",
    "matching/review.html",
    "matching/review_button.html",
)


# Names of standards, the same in every language.
STANDARDS = {"FHIR"}


@pytest.mark.parametrize("name", STAFF_TEMPLATES)
def test_a_converted_staff_template_has_no_untranslated_words(name):
    words = untranslated_text(template_source(name))
    assert [word for word in words if word not in STANDARDS] == []


def _build():  # type: ignore[no-untyped-def]
    cast = build_cast()
    alert_open(
        episode=cast.adult_episode,
        kind=Alert.Kind.LOW_ALLIANCE,
        reason="Client rated the bond 3 of 10.",
        session=cast.adult_session,
    )
    cast.co_clinician.language = "es"
    cast.co_clinician.save(update_fields=["language"])
    return cast


@pytest.fixture(scope="module")
def staff(django_db_blocker):  # type: ignore[no-untyped-def]
    """Two clinicians on the same episode: the primary kept English, the team member chose
    Spanish on their account page."""
    yield from built_once(django_db_blocker, _build)


def pages(cast):  # type: ignore[no-untyped-def]
    return {
        "client": reverse("people:client_detail", args=[cast.adult_client.pk]),
        "caseload": reverse("people:caseload"),
        "alerts": reverse("alerts:inbox"),
    }


SPANISH = {
    "client": ("Episodio de atención actual", "Sesiones", "Alianza terapéutica", "Medidas"),
    "caseload": ("Sus casos", "Próxima sesión", "Buscar por nombre", "1 alerta abierta"),
    "alerts": ("Alianza terapéutica baja", "Reconocer", "Incluir las resueltas", "Abierta"),
}
ENGLISH = {
    "client": ("Current episode", "Sessions", "Alliance", "Measures"),
    "caseload": ("Your caseload", "Next session", "Search by name", "1 open alert"),
    "alerts": ("Low alliance", "Acknowledge", "Include resolved", "Open"),
}


@pytest.mark.parametrize("page", ["client", "caseload", "alerts"])
def test_a_clinician_who_chose_spanish_reads_the_page_in_spanish(staff, page, db):
    response = signed_in(staff.co_clinician).get(pages(staff)[page])

    assert response.status_code == 200
    assert '<html lang="es">' in response.text
    for words in SPANISH[page]:
        assert words in response.text
    for words in ENGLISH[page][:2]:
        assert f">{words}<" not in response.text


@pytest.mark.parametrize("page", ["client", "caseload", "alerts"])
def test_a_clinician_who_kept_english_reads_the_same_page_in_english(staff, page, db):
    response = signed_in(staff.clinician).get(pages(staff)[page])

    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    for words in ENGLISH[page]:
        assert words in response.text
    assert "Episodio de atención" not in response.text
