"""`rapport fhir import`: a client's QuestionnaireResponses made by another tool, matched to an
instrument Rapport knows, checked whole before anything is stored, scored by Rapport, and a
second import of the same data changes nothing."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.audit.models import AuditEvent
from rapport.core.instruments import clean_answers, score
from rapport.measures.models import Response
from rapport.measures.registry import get_instrument
from tests.conftest import Cast

BASE = "https://fhir.northside.test/fhir"
PHQ9_ITEMS = [
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
]
LOINC_ANSWERS = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}


@pytest.fixture(autouse=True)
def _fhir_base(settings: Any) -> None:
    settings.RAPPORT_FHIR_BASE = BASE


def lhc_forms_phq9(cast: Cast, answers: list[int], *, sent_total: int = 27) -> dict[str, Any]:
    """A PHQ-9 as LHC-Forms writes it: the LOINC canonical, items named by their LOINC codes,
    answers as LOINC answer codes, and a total of its own (wrong here, on purpose)."""
    items = [
        {
            "linkId": f"/{code}",
            "answer": [
                {"valueCoding": {"system": "http://loinc.org", "code": LOINC_ANSWERS[value]}}
            ],
        }
        for code, value in zip(PHQ9_ITEMS, answers, strict=True)
    ]
    items.append({"linkId": "/44261-6", "answer": [{"valueInteger": sent_total}]})
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "lhc-1",
        "questionnaire": "http://loinc.org/q/44249-1",
        "status": "completed",
        "subject": {"reference": f"Patient/rapport-client-{cast.adult_client.pk}"},
        "authored": (timezone.now() - timedelta(days=3)).isoformat(),
        "item": items,
    }


def write_bundle(tmp_path: Path, *resources: dict[str, Any]) -> Path:
    path = tmp_path / "import.json"
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": resource} for resource in resources],
    }
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def run_import(path: Path, practice: int, *extra: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "fhir", "import", str(path), "--practice", str(practice), *extra, stdout=out, stderr=err
    )
    return out.getvalue(), err.getvalue()


def test_an_lhc_forms_phq9_is_matched_by_loinc_and_scored_by_rapport_not_by_its_sent_total(
    cast: Cast, tmp_path: Path
) -> None:
    path = write_bundle(tmp_path, lhc_forms_phq9(cast, [1, 1, 2, 0, 1, 0, 0, 1, 0]))

    out, _ = run_import(path, cast.practice.pk)

    response = Response.objects.get(episode=cast.adult_episode, instrument_id="phq9")
    assert response.total == 6
    assert response.answers["phq9-3"] == 2
    assert "1 responses stored" in out
    assert AuditEvent.objects.filter(action="import", object_type="interop.fhir_import").exists()


def test_a_second_import_of_the_same_responses_changes_nothing(cast: Cast, tmp_path: Path) -> None:
    path = write_bundle(tmp_path, lhc_forms_phq9(cast, [0, 1, 0, 1, 0, 1, 0, 1, 0]))
    run_import(path, cast.practice.pk)

    out, _ = run_import(path, cast.practice.pk)

    assert Response.objects.filter(episode=cast.adult_episode).count() == 1
    assert "0 responses stored, 0 other records created; 1 already there" in out


def test_a_risk_answer_imported_raises_the_alert_a_form_in_rapport_would(
    cast: Cast, tmp_path: Path
) -> None:
    path = write_bundle(tmp_path, lhc_forms_phq9(cast, [0, 0, 0, 0, 0, 0, 0, 0, 2]))

    run_import(path, cast.practice.pk)

    assert Alert.objects.filter(episode=cast.adult_episode, kind="risk").exists()


def test_a_dry_run_says_what_it_would_store_and_stores_nothing(cast: Cast, tmp_path: Path) -> None:
    path = write_bundle(tmp_path, lhc_forms_phq9(cast, [1] * 9))

    out, _ = run_import(path, cast.practice.pk, "--dry-run")

    assert "Would store QuestionnaireResponse/lhc-1: phq9" in out
    assert "scored 9" in out
    assert not Response.objects.filter(episode=cast.adult_episode).exists()


def test_every_problem_is_listed_with_its_resource_and_path_and_nothing_is_stored(
    cast: Cast, tmp_path: Path
) -> None:
    good = lhc_forms_phq9(cast, [1] * 9)
    unknown_item = {**lhc_forms_phq9(cast, [1] * 9), "id": "lhc-2"}
    unknown_item["item"][0]["linkId"] = "/99999-9"
    stranger = {
        **lhc_forms_phq9(cast, [1] * 9),
        "id": "lhc-3",
        "subject": {"reference": "Patient/x"},
    }
    not_fhir = {**lhc_forms_phq9(cast, [1] * 9), "id": "lhc-4", "status": 5}
    path = write_bundle(tmp_path, good, unknown_item, stranger, not_fhir)

    with pytest.raises(CommandError, match="nothing was stored") as raised:
        run_import(path, cast.practice.pk)

    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("fhir", "import", str(path), "--practice", str(cast.practice.pk), stderr=err)
    lines = err.getvalue().splitlines()
    assert any(line.startswith("QuestionnaireResponse/lhc-2 item[0].linkId:") for line in lines)
    assert any(line.startswith("QuestionnaireResponse/lhc-3 subject:") for line in lines)
    assert any(line.startswith("QuestionnaireResponse/lhc-4 status") for line in lines)
    assert "\n" not in str(raised.value)
    assert not Response.objects.filter(episode=cast.adult_episode).exists()


def test_rapports_own_export_reimported_into_its_practice_changes_nothing(
    cast: Cast, tmp_path: Path
) -> None:
    path = write_bundle(tmp_path, lhc_forms_phq9(cast, [2] * 9))
    run_import(path, cast.practice.pk)
    exported = tmp_path / "export"
    call_command(
        "fhir",
        "export",
        "--client",
        str(cast.adult_client.pk),
        "--format",
        "ndjson",
        "--out",
        str(exported),
        stdout=io.StringIO(),
    )

    out, _ = run_import(exported, cast.practice.pk)

    # The whole record came back (the client, their episodes, the staff...): all of it is
    # recognised as this practice's own, and nothing is made again.
    assert "0 responses stored, 0 other records created;" in out
    assert Response.objects.filter(episode=cast.adult_episode).count() == 1


@pytest.mark.parametrize(
    ("target", "message"),
    [("missing.json", "no such file or folder"), ("bad.json", "not JSON")],
)
def test_an_unreadable_import_fails_with_one_line(
    cast: Cast, tmp_path: Path, target: str, message: str
) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    err = io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command(
            "fhir",
            "import",
            str(tmp_path / target),
            "--practice",
            str(cast.practice.pk),
            stderr=err,
        )

    assert message in (str(raised.value) + err.getvalue())
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(("instrument_id", "panel"), [("phq9", "44249-1"), ("gad7", "69737-5")])
def test_a_response_named_only_by_loinc_codes_scores_as_the_same_answers_in_rapport(
    cast: Cast, tmp_path: Path, instrument_id: str, panel: str
) -> None:
    """As LOINC's own forms name them (LHC-Forms renders those): the panel's canonical, each item
    by its LOINC code, each answer by its LOINC answer code."""
    instrument = get_instrument(instrument_id)
    values = [(n * 2 + 1) % 4 for n in range(len(instrument.items))]
    sent = {
        **lhc_forms_phq9(cast, [0] * 9),
        "questionnaire": f"http://loinc.org/q/{panel}",
        "item": [
            {
                "linkId": f"/{item.loinc}",
                "answer": [{"valueCoding": {"code": item.options[v].code}}],
            }
            for item, v in zip(instrument.items, values, strict=False)
            if item.loinc and item.options
        ],
    }

    run_import(write_bundle(tmp_path, sent), cast.practice.pk)

    expected = score(
        instrument,
        clean_answers(
            instrument,
            {i.link_id: v for i, v in zip(instrument.items, values, strict=False) if i.options},
        ),
    )
    imported = Response.objects.get(episode=cast.adult_episode, instrument_id=instrument_id)
    assert imported.total == expected.total
    assert imported.total is not None and imported.total > 0
