"""`rapport instruments` and `rapport score`, the registry, importing, and FHIR output."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from rapport.audit.models import AuditEvent
from rapport.core.fhir import questionnaire_json, questionnaire_response_json
from rapport.core.instruments import FHIR_ITEM_TYPES, Instrument, InstrumentError
from rapport.measures.importing import instrument_import
from rapport.measures.models import InstrumentDefinition
from rapport.measures.registry import (
    builtin_documents,
    choose_version,
    get_instrument,
    instruments_for,
)

SHIPPED = sorted(builtin_documents())
BASE = "https://fhir.clinic.test/fhir"
PUBLICATION_STATUSES = {"draft", "active", "retired", "unknown"}  # FHIR R4 PublicationStatus
RESPONSE_STATUSES = {"in-progress", "completed", "amended", "entered-in-error", "stopped"}
ITEM_CONTROLS = {  # FHIR R4 questionnaire-item-control code system
    "group": {"list", "table", "header", "footer"},
    "text": {"inline", "prompt", "unit", "lower", "upper", "flyover", "help", "legal"},
    "question": {
        "autocomplete",
        "drop-down",
        "check-box",
        "lookup",
        "radio-button",
        "slider",
        "spinner",
        "text-box",
    },
}
ALL_CONTROLS = set().union(*ITEM_CONTROLS.values())


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def demo_definition(version: str = "1.0.0") -> dict[str, Any]:
    """A made-up three-item practice measure (not any published instrument)."""

    def option(value: int, label: str) -> dict[str, Any]:
        return {
            "valueCoding": {
                "system": "https://northside.example/codes",
                "code": f"d{value}",
                "display": label,
            },
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/ordinalValue",
                    "valueDecimal": value,
                }
            ],
        }

    labels = ["Not at all", "A little", "Some", "A lot", "Completely"]

    def item(link_id: str, text: str) -> dict[str, Any]:
        return {
            "linkId": link_id,
            "text": text,
            "type": "choice",
            "required": True,
            "answerOption": [option(n, label) for n, label in enumerate(labels)],
        }

    return {
        "questionnaire": {
            "resourceType": "Questionnaire",
            "id": "demo-outcome",
            "url": "https://northside.example/fhir/Questionnaire/demo-outcome",
            "version": version,
            "name": "DemoOutcomeScale",
            "title": "Demo Outcome Scale",
            "status": "active",
            "description": "Think about the past week.",
            "item": [
                item("demo-cope", "I felt able to cope with my day."),
                item("demo-hope", "I felt hopeful about the future."),
                item("demo-stuck", "I felt stuck."),
            ],
        },
        "scoring": {
            "short_title": "Demo",
            "kind": "outcome",
            "respondent": "client",
            "age_bands": ["adult"],
            "family": "demo",
            "total_items": ["demo-cope", "demo-hope", "demo-stuck"],
            "reverse_items": ["demo-stuck"],
            "missing": {"max_missing": 0, "prorate": False},
            "direction": "higher",
            "bands": [
                {"min": 0, "max": 5, "label": "Struggling", "severity": 1},
                {"min": 6, "max": 12, "label": "Managing", "severity": 0},
            ],
            "cutoff": 6,
            "attribution": "Made up by Northside Therapy for testing.",
            "sources": [{"supports": ["bands", "cutoff"], "citation": "Invented for this test."}],
        },
    }


def write_json(tmp_path: Path, name: str, document: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def write_csv(tmp_path: Path, rows: list[list[str]], name: str = "scores.csv") -> str:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return str(path)


PHQ_HEADER = ["client", "date", *(f"phq9-{n}" for n in range(1, 10))]


# --- list and export -----------------------------------------------------------------------


def test_list_shows_every_built_in_instrument_with_respondent_ages_kind_and_source():
    out, _ = run("instruments", "list")
    lines = out.splitlines()
    assert lines[0].split() == ["id", "version", "title", "respondent", "ages", "kind", "source"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert sorted(rows) == SHIPPED
    assert rows["phq9"].split()[-4:] == ["client", "adult", "outcome", "built-in"]
    assert rows["checkin-caregiver"].split()[-4:] == [
        "guardian",
        "child,adolescent",
        "outcome",
        "built-in",
    ]
    assert "Rapport Session Feedback" in rows["feedback-client"]


@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_export_prints_a_valid_fhir_r4_questionnaire_for_every_shipped_instrument(
    instrument_id, settings
):
    settings.RAPPORT_FHIR_BASE = BASE
    out, _ = run("instruments", "export", instrument_id)
    document = json.loads(out)
    questionnaire = Questionnaire.model_validate(document)
    assert questionnaire.url == f"{BASE}/Questionnaire/{instrument_id}"
    assert "rapport.example" not in out
    assert questionnaire.version
    assert document["status"] in PUBLICATION_STATUSES

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            assert item["type"] in FHIR_ITEM_TYPES
            for extension in item.get("extension", []):
                if extension["url"].endswith("questionnaire-itemControl"):
                    (coding,) = extension["valueCodeableConcept"]["coding"]
                    assert coding["system"] == "http://hl7.org/fhir/questionnaire-item-control"
                    assert coding["code"] in ALL_CONTROLS
            walk(item.get("item", []))

    walk(document["item"])
    assert out.startswith("{\n  ")  # pretty-printed


def test_export_of_an_unknown_instrument_fails_with_one_clear_line():
    with pytest.raises(CommandError) as raised:
        run("instruments", "export", "ors")
    assert str(raised.value) == "no built-in instrument 'ors'"


# --- import and the registry ----------------------------------------------------------------


def test_importing_a_practice_definition_stores_it_for_that_practice_only(cast, tmp_path):
    path = write_json(tmp_path, "demo.json", demo_definition())
    out, _ = run("instruments", "import", path, "--practice", str(cast.practice.pk))
    assert out.strip() == (
        "Imported demo-outcome version 1.0.0 (Demo Outcome Scale) for Northside Therapy."
    )
    definition = InstrumentDefinition.objects.get()
    assert (definition.practice, definition.instrument_id, definition.version) == (
        cast.practice,
        "demo-outcome",
        "1.0.0",
    )
    demo = get_instrument("demo-outcome", practice_id=cast.practice.pk)
    assert demo.title == "Demo Outcome Scale"
    with pytest.raises(LookupError):
        get_instrument("demo-outcome", practice_id=cast.other_practice.pk)
    with pytest.raises(LookupError):
        get_instrument("demo-outcome")
    event = AuditEvent.objects.get(action="instrument_import")
    assert event.object_id == str(definition.pk)
    assert event.practice_id == cast.practice.pk
    listed, _ = run("instruments", "list", "--practice", str(cast.practice.pk))
    assert any(
        line.startswith("demo-outcome") and line.endswith("imported")
        for line in listed.splitlines()
    )
    exported, _ = run("instruments", "export", "demo-outcome", "--practice", str(cast.practice.pk))
    Questionnaire.model_validate(json.loads(exported))


def test_an_imported_definition_scores_with_its_reverse_item(cast):
    instrument_import(practice=cast.practice, document=demo_definition())
    demo = get_instrument("demo-outcome", practice_id=cast.practice.pk)
    from rapport.core.instruments import score

    result = score(demo, {"demo-cope": 4, "demo-hope": 3, "demo-stuck": 4})
    assert result.total == 4 + 3 + 0
    assert result.band is not None and result.band.label == "Managing"


def test_the_newest_import_of_an_instrument_is_the_one_used(cast):
    instrument_import(practice=cast.practice, document=demo_definition("1.0.0"))
    newer = demo_definition("1.1.0")
    newer["questionnaire"]["title"] = "Demo Outcome Scale (revised)"
    instrument_import(practice=cast.practice, document=newer)
    assert get_instrument("demo-outcome", practice_id=cast.practice.pk).version == "1.1.0"
    ids = [i.id for i in instruments_for(cast.practice.pk)]
    assert ids.count("demo-outcome") == 1


def test_importing_the_same_file_twice_stores_it_once(cast):
    first = instrument_import(practice=cast.practice, document=demo_definition())
    again = instrument_import(practice=cast.practice, document=demo_definition())
    assert first.pk == again.pk
    assert InstrumentDefinition.objects.count() == 1
    assert AuditEvent.objects.filter(action="instrument_import").count() == 1


def test_a_changed_file_under_an_imported_version_is_refused(cast):
    instrument_import(practice=cast.practice, document=demo_definition())
    changed = demo_definition()
    changed["questionnaire"]["item"][0]["text"] = "I coped."
    with pytest.raises(InstrumentError) as raised:
        instrument_import(practice=cast.practice, document=changed)
    assert "already imported with different content" in raised.value.problems[0]
    assert InstrumentDefinition.objects.count() == 1


def test_an_import_may_not_shadow_a_built_in_instrument(cast):
    shadow = demo_definition()
    shadow["questionnaire"]["id"] = "phq9"
    with pytest.raises(InstrumentError) as raised:
        instrument_import(practice=cast.practice, document=shadow)
    assert raised.value.problems == [
        "questionnaire: id 'phq9' is a built-in Rapport instrument; choose another id"
    ]
    assert not InstrumentDefinition.objects.exists()


def test_importing_a_malformed_file_lists_every_problem_and_stores_nothing(cast, tmp_path):
    broken = demo_definition()
    broken["questionnaire"]["status"] = "final"
    del broken["questionnaire"]["item"][1]["answerOption"][2]["extension"]
    broken["scoring"]["bands"][1]["min"] = 7
    broken["scoring"]["risk_rules"] = [{"item": "demo-nope", "min_value": 1, "message": "x"}]
    path = write_json(tmp_path, "broken.json", broken)
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("instruments", "import", path, "--practice", str(cast.practice.pk), stderr=err)
    assert raised.value.returncode != 0
    assert str(raised.value) == f"{path}: not imported (5 problems); nothing was stored"
    assert err.getvalue().splitlines() == [
        "questionnaire: status 'final' is not one of active, draft, retired, unknown",
        "item 'demo-hope': answerOption 3 has no ordinalValue",
        "scoring.bands: gap between 'Struggling' (to 5) and 'Managing' (from 7)",
        "scoring.risk_rules[1]: item 'demo-nope' is not an item",
        "scoring.risk_rules[1]: urgent must be true or false",
    ]
    assert not InstrumentDefinition.objects.exists()
    assert not AuditEvent.objects.filter(action="instrument_import").exists()


def test_importing_a_file_that_is_not_json_says_where_it_broke(cast, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"questionnaire": ', encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        run("instruments", "import", str(path), "--practice", str(cast.practice.pk))
    assert str(raised.value).startswith(f"{path}: not valid JSON (line 1, column 19")
    assert not InstrumentDefinition.objects.exists()


def test_importing_for_a_practice_that_does_not_exist_fails(db, tmp_path):
    path = write_json(tmp_path, "demo.json", demo_definition())
    with pytest.raises(CommandError, match="no practice with id 999"):
        run("instruments", "import", path, "--practice", "999")


@pytest.mark.parametrize(
    ("family", "respondent", "age_band", "expected"),
    [
        ("checkin", "client", "adult", "checkin-adult"),
        ("checkin", "client", "adolescent", "checkin-adult"),
        ("checkin", "client", "child", "checkin-child"),
        ("checkin", "guardian", "child", "checkin-caregiver"),
        ("checkin", "guardian", "adolescent", "checkin-caregiver"),
        ("feedback", "client", "child", "feedback-child"),
        ("feedback", "client", "adult", "feedback-client"),
        ("feedback", "guardian", "adolescent", "feedback-guardian"),
        ("feedback", "therapist", "child", "feedback-therapist"),
        ("goal", "client", "child", "goal-progress"),
        ("phq9", "client", "adult", "phq9"),
    ],
)
def test_choose_version_picks_the_age_appropriate_version(family, respondent, age_band, expected):
    assert choose_version(family, respondent=respondent, age_band=age_band).id == expected


def test_choose_version_explains_when_no_version_fits():
    with pytest.raises(LookupError, match="no version of 'checkin' for a guardian of a client"):
        choose_version("checkin", respondent="guardian", age_band="adult")
    with pytest.raises(LookupError, match="no measure family 'ors'"):
        choose_version("ors", respondent="client", age_band="adult")


def test_a_practice_version_made_for_fewer_age_bands_is_preferred(cast):
    teen = copy.deepcopy(builtin_documents()["checkin-adult"])
    teen["questionnaire"]["id"] = "checkin-teen"
    teen["questionnaire"]["url"] = "https://northside.example/fhir/Questionnaire/checkin-teen"
    teen["scoring"]["age_bands"] = ["adolescent"]
    instrument_import(practice=cast.practice, document=teen)
    chosen = choose_version(
        "checkin", respondent="client", age_band="adolescent", practice_id=cast.practice.pk
    )
    assert chosen.id == "checkin-teen"
    assert choose_version("checkin", respondent="client", age_band="adolescent").id == (
        "checkin-adult"
    )


# --- score ----------------------------------------------------------------------------------


def scored_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_score_adds_total_band_prorated_missing_and_flags_to_each_row(tmp_path):
    path = write_csv(
        tmp_path,
        [
            PHQ_HEADER,
            ["A", "2026-01-05", "1", "1", "1", "1", "1", "0", "0", "0", "0"],  # 5: mild
            ["B", "2026-01-05", "3", "3", "3", "3", "3", "3", "3", "2", "0"],  # 23: severe
            ["C", "2026-01-05", "1", "0", "0", "0", "0", "0", "0", "0", "1"],  # 2 + item 9
            ["D", "2026-01-05", "2", "2", "2", "2", "2", "2", "2", "", ""],  # 14 / 7 * 9 = 18
            ["E", "2026-01-05", "", "", "", "1", "1", "1", "1", "1", "0"],  # 3 missing
        ],
    )
    out, _ = run("score", "phq9", path)
    rows = scored_rows(out)
    assert list(rows[0]) == [*PHQ_HEADER, "total", "band", "prorated", "missing", "flags"]
    summary = [
        (r["client"], r["total"], r["band"], r["prorated"], r["missing"], r["flags"]) for r in rows
    ]
    assert summary == [
        ("A", "5", "Mild", "false", "", ""),
        ("B", "23", "Severe", "false", "", ""),
        ("C", "2", "Minimal", "false", "", "phq9-9 (urgent)"),
        ("D", "18", "Moderately severe", "true", "phq9-8;phq9-9", ""),
        ("E", "", "", "false", "phq9-1;phq9-2;phq9-3", ""),
    ]
    assert rows[0]["date"] == "2026-01-05"


def test_score_writes_to_an_output_file_when_asked(tmp_path):
    path = write_csv(tmp_path, [PHQ_HEADER, ["A", "x", *["3"] * 9]])
    target = tmp_path / "out.csv"
    out, err = run("score", "phq9", path, "--output", str(target))
    assert out == ""
    assert "Scored 1 rows" in err
    assert scored_rows(target.read_text(encoding="utf-8"))[0]["total"] == "27"


def test_score_adds_a_column_per_subscale_for_instruments_that_have_them(cast, tmp_path):
    document = demo_definition()
    document["scoring"]["subscales"] = {"mood": ["demo-cope", "demo-hope"]}
    instrument_import(practice=cast.practice, document=document)
    path = write_csv(tmp_path, [["demo-cope", "demo-hope", "demo-stuck"], ["4", "2", "1"]])
    out, _ = run("score", "demo-outcome", path, "--practice", str(cast.practice.pk))
    (row,) = scored_rows(out)
    assert (row["total"], row["subscale_mood"], row["band"]) == ("9", "6", "Managing")


def test_an_out_of_range_value_stops_scoring_with_one_line_naming_row_and_column(tmp_path):
    path = write_csv(
        tmp_path,
        [PHQ_HEADER, ["A", "d", *["1"] * 9], ["B", "d", "1", "1", "4", *["1"] * 6]],
    )
    with pytest.raises(CommandError) as raised:
        run("score", "phq9", path)
    message = str(raised.value)
    assert message == (
        f"{path}: row 2 (line 3), column 'phq9-3': Choose one of the answers "
        "(found '4'; allowed: 0, 1, 2, 3)"
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([PHQ_HEADER, ["A", "d", "1", "x", *["1"] * 7]], "row 1 (line 2), column 'phq9-2'"),
        ([PHQ_HEADER, ["A", "d", "1"]], "row 1 (line 2): 3 values for 11 columns"),
        ([["client", "phq9-1"], ["A", "1"]], "no column for item(s) phq9-2, phq9-3"),
        ([[*PHQ_HEADER, "total"], ["A", "d", *["1"] * 9, "9"]], "already has a column named"),
        ([], "the file is empty"),
    ],
)
def test_a_bad_file_gives_one_clear_line(tmp_path, rows, expected):
    path = write_csv(tmp_path, rows)
    with pytest.raises(CommandError) as raised:
        run("score", "phq9", path)
    assert expected in str(raised.value)
    assert "\n" not in str(raised.value)


def test_scoring_an_unknown_instrument_or_a_missing_file_fails_clearly(tmp_path):
    with pytest.raises(CommandError, match="no built-in instrument 'oq45'"):
        run("score", "oq45", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="No such file"):
        run("score", "phq9", str(tmp_path / "x.csv"))


def test_the_rapport_command_exits_non_zero_with_the_error_on_stderr(tmp_path):
    path = write_csv(tmp_path, [PHQ_HEADER, ["A", "d", *["9"] * 9]])
    env = {**os.environ, "RAPPORT_DEBUG": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "rapport", "score", "phq9", path],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"CommandError: {path}: row 1 (line 2), column 'phq9-1': Choose one of the answers "
        "(found '9'; allowed: 0, 1, 2, 3)"
    ]


# --- FHIR QuestionnaireResponse ----------------------------------------------------------


def full_answers(instrument: Instrument) -> dict[str, object]:
    answers: dict[str, object] = {}
    for item in instrument.items:
        if item.kind == "choice":
            answers[item.link_id] = str(item.options[1].value)
        elif item.kind == "slider":
            answers[item.link_id] = "7"
        else:
            answers[item.link_id] = "Nothing, thank you."
    return answers


@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_questionnaire_responses_validate_as_fhir_r4(instrument_id):
    instrument = get_instrument(instrument_id)
    document = questionnaire_response_json(
        instrument,
        full_answers(instrument),
        response_id="resp-1",
        subject_reference="Patient/42",
        authored=datetime(2026, 3, 18, 9, 30, tzinfo=UTC),
        base=BASE,
        context={"goal": "Sleep through most nights"},
    )
    response = QuestionnaireResponse.model_validate(document)
    assert document["status"] in RESPONSE_STATUSES
    assert response.questionnaire == (f"{BASE}/Questionnaire/{instrument_id}|{instrument.version}")
    assert [item["linkId"] for item in document["item"]] == [i.link_id for i in instrument.items]
    assert document["authored"] == "2026-03-18T09:30:00+00:00"


def test_a_phq9_response_carries_loinc_coded_answers_and_no_total():
    phq9 = get_instrument("phq9")
    answers = {f"phq9-{n}": "1" for n in range(1, 10)}
    document = questionnaire_response_json(
        phq9,
        answers,
        response_id="r2",
        subject_reference="Patient/1",
        authored=datetime(2026, 3, 18, tzinfo=UTC),
        base=BASE,
    )
    first = document["item"][0]
    assert first["answer"] == [
        {
            "valueCoding": {
                "system": "http://loinc.org",
                "code": "LA6569-3",
                "display": "Several days",
            }
        }
    ]
    assert len(document["item"]) == 9  # the unanswered difficulty item is left out
    assert "44261-6" not in json.dumps(document)


def test_slider_and_text_answers_become_integer_and_string_values():
    feedback = get_instrument("feedback-client")
    document = questionnaire_response_json(
        feedback,
        {"feedback-bond": "9", "feedback-better": " More time. "},
        response_id="r3",
        subject_reference="Patient/1",
        authored=datetime(2026, 3, 18, tzinfo=UTC),
        base=BASE,
        status="in-progress",
    )
    assert [item["answer"] for item in document["item"]] == [
        [{"valueInteger": 9}],
        [{"valueString": "More time."}],
    ]
    goal = get_instrument("goal-progress")
    document = questionnaire_response_json(
        goal,
        {"goal-progress": 6},
        response_id="r4",
        subject_reference="Patient/1",
        authored=datetime(2026, 3, 18, tzinfo=UTC),
        base=BASE,
        context={"goal": "Go back to school"},
    )
    assert document["item"][0]["text"] == "How close are you to this goal? (Go back to school)"


def test_a_response_needs_a_valid_status_and_a_time_zone():
    phq9 = get_instrument("phq9")
    common: dict[str, Any] = {"response_id": "r", "subject_reference": "Patient/1", "base": BASE}
    with pytest.raises(ValueError, match="status 'done'"):
        questionnaire_response_json(
            phq9, {}, authored=datetime(2026, 1, 1, tzinfo=UTC), status="done", **common
        )
    with pytest.raises(ValueError, match="time zone"):
        questionnaire_response_json(phq9, {}, authored=datetime(2026, 1, 1), **common)
    with pytest.raises(ValueError):
        questionnaire_response_json(
            phq9, {"phq9-1": "5"}, authored=datetime(2026, 1, 1, tzinfo=UTC), **common
        )


def test_exported_questionnaires_are_copies_that_cannot_change_the_instrument():
    phq9 = get_instrument("phq9")
    exported = questionnaire_json(phq9, BASE)
    exported["item"].clear()
    assert questionnaire_json(phq9, BASE)["item"]


def test_rapports_own_names_go_under_the_configured_base_and_others_stay_as_they_are():
    scared = questionnaire_json(get_instrument("scared-child"), BASE)
    goal = questionnaire_json(get_instrument("goal-progress"), BASE)
    phq9 = questionnaire_json(get_instrument("phq9"), BASE)

    systems = {
        option["valueCoding"]["system"]
        for item in scared["item"]
        for option in item.get("answerOption", [])
    }
    extensions = {e["url"] for item in goal["item"] for e in item.get("extension", [])}
    assert systems == {f"{BASE}/CodeSystem/scared-answer"}
    assert f"{BASE}/StructureDefinition/item-context" in extensions
    assert "http://hl7.org/fhir/StructureDefinition/minValue" in extensions
    assert phq9["item"][0]["answerOption"][0]["valueCoding"]["system"] == "http://loinc.org"


def test_exporting_a_questionnaire_without_a_fhir_base_says_what_to_set(settings):
    settings.RAPPORT_FHIR_BASE = ""
    with pytest.raises(CommandError, match="RAPPORT_FHIR_BASE"):
        run("instruments", "export", "phq9")


def test_the_definition_keeps_rapports_own_names_relative_for_editing_and_import():
    out, _ = run("instruments", "export", "phq9", "--definition")
    assert json.loads(out)["questionnaire"]["url"] == "Questionnaire/phq9"
