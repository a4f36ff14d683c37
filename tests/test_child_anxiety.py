"""The SCARED, child and parent versions: scoring facts shipped, wording imported by a practice."""

from __future__ import annotations

import csv
import io
import json

from django.core.management import call_command
from django.urls import reverse

from rapport.core.instruments import score
from rapport.measures.registry import builtin_documents, choose_version, get_instrument
from rapport.measures.services import measure_plan_set, response_submit, session_assignments_ensure
from tests.conftest import make_session

PANIC = [1, 6, 9, 12, 15, 18, 19, 22, 24, 27, 30, 34, 38]
GENERALIZED = [5, 7, 14, 21, 23, 28, 33, 35, 37]
SEPARATION = [4, 8, 13, 16, 20, 25, 29, 31]
SOCIAL = [3, 10, 26, 32, 39, 40, 41]
SCHOOL = [2, 11, 17, 36]


def answers(twos: list[int], ones: list[int] = ()) -> dict[str, str]:  # type: ignore[assignment]
    return {f"scared-{n}": "2" if n in twos else "1" if n in ones else "0" for n in range(1, 42)}


def test_both_versions_are_shipped_for_children_and_adolescents_with_the_right_respondent():
    child, parent = get_instrument("scared-child"), get_instrument("scared-parent")
    assert (child.family, child.respondent) == ("scared", "client")
    assert (parent.family, parent.respondent) == ("scared", "guardian")
    for instrument in (child, parent):
        assert instrument.age_bands == {"child", "adolescent"}
        assert len(instrument.items) == 41 and instrument.score_range == (0, 82)
        assert instrument.cutoff == 25


def test_the_subscales_split_the_41_items_with_their_published_cut_offs():
    instrument = get_instrument("scared-child")
    members = {
        name: sorted(int(i.split("-")[1]) for i in ids)
        for name, ids in instrument.subscales.items()
    }
    assert members == {
        "panic_somatic": PANIC,
        "generalized": GENERALIZED,
        "separation": SEPARATION,
        "social": SOCIAL,
        "school": SCHOOL,
    }
    cutoffs = {instrument.subscale_title(n): instrument.subscale_cutoff(n) for n in members}
    assert cutoffs == {
        "Panic or somatic symptoms": 7,
        "Generalized anxiety": 9,
        "Separation anxiety": 5,
        "Social anxiety": 8,
        "Significant school avoidance": 3,
    }


def test_no_question_wording_is_shipped_only_the_numbers_of_the_form():
    for instrument_id in ("scared-child", "scared-parent"):
        document = builtin_documents()[instrument_id]
        texts = [item["text"] for item in document["questionnaire"]["item"]]
        assert texts == [f"Question {n} on the form" for n in range(1, 42)]
        assert "not reproduced" in document["scoring"]["attribution"]


def test_a_total_of_25_falls_in_the_band_that_may_indicate_an_anxiety_disorder():
    instrument = get_instrument("scared-parent")
    above = score(instrument, answers(SEPARATION + SCHOOL, ones=[3, 10, 26, 32]))  # 24 + 4
    assert above.total == 28 and above.band.label == "May indicate an anxiety disorder"
    just = score(instrument, answers(SEPARATION + SCHOOL[:2], ones=[3, 10, 26, 32, 39]))
    assert just.total == 25 and just.band.label == "May indicate an anxiety disorder"
    under = score(instrument, answers(SEPARATION + SCHOOL[:2], ones=[3, 10, 26, 32]))
    assert under.total == 24 and under.band.label == "Below the anxiety cut-off"
    assert under.subscales == {
        "panic_somatic": 0,
        "generalized": 0,
        "separation": 16,
        "social": 4,
        "school": 4,
    }


def scared_session(cast):  # type: ignore[no-untyped-def]
    for respondent in ("client", "guardian"):
        measure_plan_set(
            actor=cast.clinician,
            episode=cast.adolescent_episode,
            family="scared",
            respondent=respondent,
            schedule="every_session",
        )
    session = make_session(cast.adolescent_episode, days_from_now=-1, held=True)
    assignments = {
        a.respondent: a
        for a in session_assignments_ensure(session=session)
        if a.plan.family == "scared"
    }
    assert assignments["client"].instrument_id == "scared-child"
    assert assignments["guardian"].instrument_id == "scared-parent"
    for respondent, given in (("client", answers(SEPARATION)), ("guardian", answers(SCHOOL))):
        response_submit(
            assignment=assignments[respondent], answers=given, mode="in_session", actor=None
        )
    return session


def test_subscales_are_shown_on_the_session_page_the_response_and_the_progress_page(cast, web_as):
    session = scared_session(cast)
    web = web_as(cast.clinician)
    page = web.get(reverse("care:session_detail", args=[session.pk])).text
    assert "Separation anxiety 16 (at or above the cut-off of 5)" in page
    assert "Significant school avoidance 8 (at or above the cut-off of 3)" in page
    assert "Social anxiety 0 (below the cut-off of 8)" in page
    response = cast.adolescent_episode.responses.get(instrument_id="scared-child")
    detail = web.get(reverse("measures:response_detail", args=[response.pk])).text
    assert "Separation anxiety 16 (at or above the cut-off of 5)" in detail
    progress = web.get(reverse("progress:episode", args=[cast.adolescent_episode.pk]))
    [scared] = [f for f in progress.context["families"] if f["family"].family == "scared"]
    by_who = {
        row.who.split(" ")[0]: {s.title: s.value for s in row.scores} for row in scared["subscales"]
    }
    assert by_who["Client"]["Separation anxiety"] == "16"
    assert by_who["Guardian"]["Significant school avoidance"] == "8"
    assert "Subscales" in progress.text


def test_the_score_export_has_one_column_per_subscale(tmp_path):
    source = tmp_path / "scared.csv"
    header = ["child"] + [f"scared-{n}" for n in range(1, 42)]
    row = ["A"] + [answers(SOCIAL)[f"scared-{n}"] for n in range(1, 42)]
    source.write_text(",".join(header) + "\n" + ",".join(row) + "\n")
    out = io.StringIO()
    call_command("score", "scared-child", str(source), stdout=out)
    [scored] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert scored["total"] == "14" and scored["subscale_social"] == "14"
    assert scored["subscale_separation"] == "0"


def test_a_practice_imports_the_wording_as_the_readme_says_and_its_version_is_chosen(
    cast, tmp_path
):
    exported = io.StringIO()
    call_command("instruments", "export", "scared-child", "--definition", stdout=exported)
    document = json.loads(exported.getvalue())
    assert document["scoring"]["subscale_details"]["school"]["cutoff"] == 3
    questionnaire = document["questionnaire"]
    questionnaire["id"] = "scared-child-worded"
    questionnaire["url"] = "https://clinic.example/fhir/Questionnaire/scared-child-worded"
    questionnaire["title"] = "SCARED, child version"
    for item in questionnaire["item"]:
        item["text"] = f"Licensed wording of question {item['linkId'].split('-')[1]}"
    path = tmp_path / "scared-child-worded.json"
    path.write_text(json.dumps(document))
    call_command(
        "instruments",
        "import",
        str(path),
        "--practice",
        str(cast.practice.pk),
        stdout=io.StringIO(),
    )
    chosen = choose_version(
        "scared", respondent="client", age_band="adolescent", practice_id=cast.practice.pk
    )
    assert chosen.id == "scared-child-worded"
    assert chosen.item("scared-7").text == "Licensed wording of question 7"
    elsewhere = choose_version(
        "scared", respondent="client", age_band="adolescent", practice_id=cast.other_practice.pk
    )
    assert elsewhere.id == "scared-child"


def test_a_new_child_starts_with_the_scared_for_themselves_and_a_parent(cast, web_as):
    from tests.test_default_measures import plans_of, register, years_old

    client = register(
        web_as(cast.clinician), name="Nina Nine", born=years_old(9), clinician=cast.clinician
    )
    plans = plans_of(client)
    assert ("scared", "client", "every_n_sessions", 4) in plans
    assert ("scared", "guardian", "every_n_sessions", 4) in plans
