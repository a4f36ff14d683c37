"""Staff pages follow the staff member's own language (issue 17 §1): the staff templates listed
here have no text outside the translation tags, and a clinician who chose Spanish reads the
client page, the caseload and the alerts in Spanish while a colleague who kept English reads
them in English, word for word as before."""

from __future__ import annotations

import ast
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import MONTHS_3

import rapport
from rapport.accounts.services import enrolment_code_send, user_invite
from rapport.alerts.models import Alert
from rapport.alerts.notify import alert_escalate
from rapport.alerts.services import alert_open
from rapport.charts.progress import render_progress_svg
from rapport.core.reliable import CATEGORY_KEYS, ReliableChangeRule
from rapport.dashboards.refresh import dashboards_refresh
from rapport.measures.reliable import rule_explained
from rapport.plans.services import plan_draft_start
from rapport.progress.charts import clinician_chart
from tests.conftest import build_cast, built_once, signed_in
from tests.test_progress import svg_texts
from tests.test_progress_charts import full_progress
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
    "dashboards/practice.html",
    "reports/progress_clinician.html",
    "reports/practice.html",
    "interop/fhir_import.html",
    "trajectories/validation.html",
    # The emails staff receive, in the recipient's language.
    "accounts/email/invitation.txt",
    "accounts/email/enrolment_code.txt",
    "alerts/email/urgent.txt",
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
    cast.supervisor.language = "es"
    cast.supervisor.save(update_fields=["language"])
    dashboards_refresh(practice=cast.practice)
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


# --- The practice dashboard, the clinician's report, their chart and the staff emails -----------

# Who reads each page in each language: a supervisor who chose Spanish and an admin who kept
# English read the practice dashboard; the two clinicians of the episode read its report.
READERS = {
    ("dashboard", "es"): "supervisor",
    ("dashboard", "en"): "admin",
    ("report", "es"): "co_clinician",
    ("report", "en"): "clinician",
    ("practice report", "es"): "supervisor",
    ("practice report", "en"): "admin",
}
WORDS = {
    ("dashboard", "es"): ("Panel del centro", "Recalcular ahora", "Abandono por modalidad"),
    ("dashboard", "en"): ("Practice dashboard", "Recompute now", "Dropout by modality"),
    ("report", "es"): (
        "Informe de avances:",
        "Resultado de un vistazo",
        "Alertas y cómo se resolvió cada una",
        "Alianza terapéutica baja",
    ),
    ("report", "en"): (
        "Progress report:",
        "Outcome at a glance",
        "Alerts and how each was resolved",
        "Low alliance",
    ),
    ("practice report", "es"): (
        "Informe del centro:",
        "Rupturas y reparación",
        "Abiertas demasiado",
    ),
    ("practice report", "en"): ("Practice report:", "Ruptures and repair", "Open too long"),
}


def report_pages(cast):  # type: ignore[no-untyped-def]
    return {
        "dashboard": reverse("dashboards:practice"),
        "report": reverse("reports:progress", args=[cast.adult_episode.pk]),
        "practice report": reverse(
            "reports:practice",
            args=[f"{timezone.localdate(timezone.now(), cast.practice.zone):%Y-%m}"],
        ),
    }


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("page", ["dashboard", "report", "practice report"])
def test_the_practice_dashboard_and_the_clinicians_report_follow_the_readers_language(
    staff, page, language, db
):
    other = "en" if language == "es" else "es"
    reader = getattr(staff, READERS[page, language])

    response = signed_in(reader).get(report_pages(staff)[page])

    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.text
    for words in WORDS[page, language]:
        assert words in response.text, words
    for words in WORDS[page, other]:
        assert words not in response.text, words


def test_the_progress_chart_is_drawn_and_kept_apart_in_each_readers_language(staff, db):
    chart = reverse("progress:chart", args=[staff.adult_episode.pk])

    spanish = signed_in(staff.co_clinician).get(chart)
    english = signed_in(staff.clinician).get(chart)

    # The chart's version (its ETag and cache key) names its words: a drawing in one language
    # is never served to a reader of another.
    assert spanish["ETag"] != english["ETag"]
    assert svg_texts(spanish.content) == ["Aún no hay puntuaciones."]
    assert svg_texts(english.content) == ["No scores yet."]


def test_the_clinicians_chart_names_its_axes_key_and_marks_in_the_readers_language():
    with translation.override("es"):
        spanish = svg_texts(render_progress_svg(clinician_chart(full_progress())))
    english = svg_texts(render_progress_svg(clinician_chart(full_progress())))

    for words in ("Número de sesión (1 = primera sesión)", "alerta", "esperado 10–90 %", "Cliente"):
        assert words in spanish, words
    for words in ("Session number (1 = first session)", "alert", "expected 10–90%", "Therapist"):
        assert words in english and words not in spanish, words


@pytest.mark.parametrize("category", CATEGORY_KEYS)
@pytest.mark.parametrize("inclusive", [True, False])
def test_a_rule_said_in_english_on_a_page_is_word_for_word_the_stored_english(category, inclusive):
    rule = ReliableChangeRule(
        points=6 if inclusive else 4.26,
        direction="lower",
        inclusive=inclusive,
        caseness=10,
        name="NHS Talking Therapies criterion",
    )

    assert rule_explained(rule, category) == rule.explain(category)


def test_a_rule_is_said_in_spanish_to_a_spanish_reader():
    rule = ReliableChangeRule(
        points=6,
        direction="lower",
        inclusive=True,
        caseness=10,
        name="NHS Talking Therapies criterion",
    )

    with translation.override("es"):
        said = rule_explained(rule, "improved")

    assert (
        said == "mejoría fiable (criterio de NHS Talking Therapies: un descenso de 6 puntos o más)"
    )


def test_an_urgent_alerts_escalation_reaches_each_reader_in_their_own_language(staff, db, settings):
    staff.practice.duty_contact_email = "duty@northside.test"
    staff.practice.save(update_fields=["duty_contact_email"])
    alert = alert_open(
        episode=staff.adult_episode, kind=Alert.Kind.RISK, reason="Item 9 answered", urgent=True
    )

    alert_escalate(
        alert_id=alert.pk, now=timezone.now() + timedelta(days=1), base_url="https://x.test"
    )

    by_address = {message.to[0]: message for message in mail.outbox}
    spanish = by_address[staff.supervisor.email]
    assert spanish.subject == "Aún sin reconocer: una alerta urgente requiere atención"
    assert "Inicie sesión para verla:" in spanish.body
    english = by_address["duty@northside.test"]
    assert english.subject == "Not yet acknowledged: an urgent alert needs attention"
    assert "Sign in to see it:" in english.body


def test_a_new_colleague_who_reads_spanish_is_invited_and_sent_their_code_in_spanish(staff, db):
    details = {
        "full_name": "Lucía Ortega",
        "email": "lucia@northside.test",
        "role": "clinician",
        "language": "es",
    }

    user = user_invite(actor=staff.admin, details=details, base_url="https://x.test")
    enrolment_code_send(user=user)

    invitation, code = mail.outbox
    assert invitation.subject.startswith("Su cuenta de Rapport en")
    assert "Hola, Lucía:" in invitation.body and "Elija su contraseña aquí:" in invitation.body
    assert code.subject == "Su código de configuración de Rapport"
    assert "inicio de sesión en dos pasos" in code.body


def test_words_built_in_code_for_the_fit_check_and_the_settings_ranges_follow_the_reader(staff, db):
    # The co-clinician chose Spanish and works on the adult client's episode.
    spanish = signed_in(staff.co_clinician).get(
        reverse("matching:fit_check_new", args=[staff.adult_episode.pk])
    )
    english = signed_in(staff.clinician).get(
        reverse("matching:fit_check_new", args=[staff.adult_episode.pk])
    )
    assert spanish.status_code == english.status_code == 200
    assert "No conectamos, pese a haber intentado repararlo" in spanish.text
    assert "We are not connecting, despite trying to repair it" in english.text
    staff.admin.language = "es"
    staff.admin.save(update_fields=["language"])
    admin = signed_in(staff.admin).get(reverse("alliance:settings"))
    assert admin.status_code == 200
    assert "Permitido: de" in admin.text and "Allowed:" not in admin.text


# --- A service's refusal, in the reader's language ----------------------------------------------


# Where refusals are raised: every module but the pure core (no Django, no reader) and the
# management commands (run at a terminal, in English).
def refusing_modules() -> list[Path]:
    package = Path(rapport.__file__).parent
    return [
        path
        for path in sorted(package.rglob("*.py"))
        if not {"core", "management", "migrations"} & set(path.relative_to(package).parts)
    ]


# A refusal that stays in English on purpose, with the reason. None so far: no refusal's words
# are stored in a record, and the commands' own words are not checked.
ENGLISH_ON_PURPOSE: dict[str, str] = {}


def refusal_words(call: ast.Call) -> list[ast.expr]:
    """The words a refusal shows: `ValidationError(words)`, its {field: words or [words]}, or
    `form.add_error(field, words)`."""
    name = getattr(call.func, "id", getattr(call.func, "attr", None))
    if name == "add_error" and len(call.args) > 1:
        return [call.args[1]]
    if name != "ValidationError" or not call.args:
        return []
    if isinstance(call.args[0], ast.Dict):
        values = call.args[0].values
        return [e for v in values for e in (v.elts if isinstance(v, ast.List) else [v])]
    return [call.args[0]]


def untranslated_refusals(path: Path) -> list[str]:
    """Each refusal whose words are a literal or an f-string, not passed through gettext."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and any(
            isinstance(words, ast.JoinedStr)
            or (isinstance(words, ast.Constant) and isinstance(words.value, str))
            for words in refusal_words(node)
        ):
            found.append(f"{path.relative_to(path.parents[2]).as_posix()}:{node.lineno}")
    return found


def is_literal(words: ast.expr) -> bool:
    """Words written out in English: a literal, an f-string, or either one made into a
    sentence with % or chosen between (`a if x else b`, or a lambda giving one)."""
    if isinstance(words, ast.Lambda):
        return is_literal(words.body)
    if isinstance(words, ast.IfExp):
        return is_literal(words.body) or is_literal(words.orelse)
    if isinstance(words, ast.BinOp):
        return is_literal(words.left)
    return isinstance(words, ast.JoinedStr) or (
        isinstance(words, ast.Constant) and isinstance(words.value, str)
    )


NOTICES = {"success", "info", "warning", "error"}


def notice_words(call: ast.Call) -> list[ast.expr]:
    """The words a notice shows: `messages.success(request, words)` (and info, warning, error),
    or what a form or action says when it is done: `run_form(..., done=words)`."""
    name = getattr(call.func, "attr", None)
    owner = getattr(getattr(call.func, "value", None), "id", None)
    said = [call.args[1]] if owner == "messages" and name in NOTICES and len(call.args) > 1 else []
    return said + [k.value for k in call.keywords if k.arg == "done"]


def untranslated_notices(path: Path) -> list[str]:
    """Each notice whose words are written out in English, not passed through gettext."""
    return [
        f"{path.relative_to(path.parents[2]).as_posix()}:{node.lineno}"
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
        if isinstance(node, ast.Call) and any(is_literal(w) for w in notice_words(node))
    ]


def test_no_notice_is_left_in_untranslated_english():
    modules = refusing_modules()
    found = [place for path in modules for place in untranslated_notices(path)]

    assert found == []


def test_the_check_finds_a_notice_left_in_english(tmp_path):
    module = tmp_path / "rapport" / "example" / "views.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        'messages.success(request, "Saved.")\n'
        'messages.error(request, f"No {x}.")\n'
        'messages.info(request, _("Saved."))\n'
        'run_form(request, form, save, then=url, done="Booked.")\n'
        "run_form(request, form, save, then=url, done=lambda d: f\"{d['n']} is in.\")\n"
        'run_form(request, form, save, then=url, done=lambda d: _("In.") if d else "Out.")\n'
        'run_form(request, form, save, then=url, done=_("%(n)s in.") % {"n": n})\n'
        '_attempt(request, action, done="Removed.")\n'
        'messages.warning(request, "Careful: %s." % n)\n'
    )

    assert untranslated_notices(module) == [
        f"rapport/example/views.py:{line}" for line in (1, 2, 4, 5, 6, 8, 9)
    ]


def test_no_refusal_is_left_in_untranslated_english():
    modules = refusing_modules()
    found = [place for path in modules for place in untranslated_refusals(path)]

    assert len(modules) > 100
    assert [place for place in found if place not in ENGLISH_ON_PURPOSE] == []


def test_the_check_finds_a_refusal_left_in_english(tmp_path):
    module = tmp_path / "rapport" / "example" / "services.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        'raise ValidationError("No.")\n'
        'raise forms.ValidationError(f"No {x}.")\n'
        'raise ValidationError(_("Yes."))\n'
        'raise ValidationError({"when": ["Not then."]})\n'
        'form.add_error("when", "Not then.")\n'
        'form.add_error("when", _("Later."))\n'
    )

    assert untranslated_refusals(module) == [
        "rapport/example/services.py:1",
        "rapport/example/services.py:2",
        "rapport/example/services.py:4",
        "rapport/example/services.py:5",
    ]


@pytest.mark.parametrize(
    ("who", "words"),
    [
        ("co_clinician", "Un plan necesita al menos un objetivo antes de proponerlo."),
        ("clinician", "A plan needs at least one goal before it is proposed."),
    ],
)
def test_a_clinician_reads_a_services_refusal_in_their_own_language(staff, who, words, db):
    draft = plan_draft_start(actor=staff.clinician, episode=staff.adult_episode, reason="Intake")

    page = signed_in(getattr(staff, who)).post(
        reverse("plans:propose", args=[draft.pk]), follow=True
    )

    assert words in page.text


def test_a_client_who_reads_spanish_reads_a_services_refusal_in_spanish(staff, db):
    staff.adult_client.language = "es"
    staff.adult_client.save(update_fields=["language"])
    rating = {
        "rating-goal_key": str(uuid.uuid4()),
        "rating-value": "5",
        "rating-submission_key": str(uuid.uuid4()),
    }

    page = signed_in(staff.adult_client_user).post(
        reverse("plans:portal_rating", args=[staff.adult_client.pk]), rating, follow=True
    )

    assert "Ese objetivo no forma parte del plan de este cliente." in page.text
    assert "That goal is not part of" not in page.text


@pytest.mark.parametrize("page", ["client", "alerts"])
def test_a_spanish_reader_reads_the_months_in_lower_case_as_spanish_writes_them(staff, page, db):
    with translation.override("es"):
        months = [str(MONTHS_3[month]) for month in range(1, 13)]
    text = signed_in(staff.co_clinician).get(pages(staff)[page]).text

    assert re.search(rf"\d (?:{'|'.join(months)})\b", text)
    assert not re.search(rf"\d (?:{'|'.join(m.title() for m in months)})\b", text)
