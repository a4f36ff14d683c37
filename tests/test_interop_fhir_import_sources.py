"""Whose ids an import trusts: a record of this practice is recognised by Rapport's own id only
when the resource comes from this server (its entry under our FHIR base, or an NDJSON folder
whose manifest names it). Another server's file, whose ids may happen to name records here, is
matched only to what an earlier import of that same source stored, and otherwise created."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from rapport.care.models import Episode
from rapport.interop.importing import EXPORT_REQUEST
from rapport.measures.models import Response
from rapport.people.models import Client
from tests.conftest import Cast
from tests.test_interop_fhir_import import BASE, lhc_forms_phq9, run_import, write_bundle

OTHER = "https://fhir.elsewhere.test/r4"


@pytest.fixture
def exported(cast: Cast, tmp_path: Path, settings: Any) -> Path:
    """The adult client's record (with a PHQ-9 of theirs) as this server exports it."""
    settings.RAPPORT_FHIR_BASE = BASE
    run_import(write_bundle(tmp_path, lhc_forms_phq9(cast, [2] * 9)), cast.practice.pk)
    path = tmp_path / "export.json"
    call_command(
        "fhir", "export", "--client", str(cast.adult_client.pk), "--out", str(path),
        stdout=io.StringIO(),
    )  # fmt: skip
    return path


def counts(cast: Cast) -> tuple[int, int, int]:
    practice = cast.practice
    return (
        Client.objects.filter(practice=practice).count(),
        Episode.objects.filter(practice=practice).count(),
        Response.objects.filter(episode__practice=practice).count(),
    )


def test_this_servers_own_bundle_reimported_changes_nothing_and_the_dry_run_says_why(
    cast: Cast, exported: Path
) -> None:
    before = counts(cast)

    dry, _ = run_import(exported, cast.practice.pk, "--dry-run")
    out, _ = run_import(exported, cast.practice.pk)

    assert f"From this server ({BASE}):" in dry
    assert "matched by their ids" in dry
    assert "Would create" not in dry
    assert "0 responses stored, 0 other records created;" in out
    assert counts(cast) == before


def test_the_same_bundle_from_another_server_is_created_once_not_taken_for_our_records(
    cast: Cast, exported: Path
) -> None:
    text = exported.read_text(encoding="utf-8").replace(f'"{BASE}/', f'"{OTHER}/')
    elsewhere = exported.with_name("elsewhere.json")
    elsewhere.write_text(text, encoding="utf-8")
    clients, episodes, responses = counts(cast)
    ours = f"Patient/rapport-client-{cast.adult_client.pk}"

    dry, _ = run_import(elsewhere, cast.practice.pk, "--dry-run")
    run_import(elsewhere, cast.practice.pk)
    again, _ = run_import(elsewhere, cast.practice.pk)

    assert f"From another server ({OTHER}):" in dry
    assert f"Would create {ours}: client {cast.adult_client.full_name}" in dry
    assert "Would store QuestionnaireResponse/" in dry
    assert counts(cast) == (clients + 1, episodes + 1, responses + 1)
    assert "0 responses stored, 0 other records created;" in again
    assert counts(cast) == (clients + 1, episodes + 1, responses + 1)


def test_an_ndjson_folder_without_a_manifest_names_no_source_and_is_created(
    cast: Cast, exported: Path
) -> None:
    folder = exported.with_name("nd")
    folder.mkdir()
    entries = json.loads(exported.read_text(encoding="utf-8"))["entry"]
    lines = "".join(json.dumps(entry["resource"]) + "\n" for entry in entries)
    (folder / "All.ndjson").write_text(lines, encoding="utf-8")

    dry, _ = run_import(folder, cast.practice.pk, "--dry-run")

    assert "From a source the file does not name:" in dry
    assert f"Would create Patient/rapport-client-{cast.adult_client.pk}" in dry


@pytest.mark.parametrize(
    ("request_url", "base"),
    [
        (f"{OTHER}/$export", OTHER),
        (f"{OTHER}/Patient/$export?_type=Patient", OTHER),
        (f"{OTHER}/Group/g-1/$export", OTHER),
        (f"{BASE}/Patient/rapport-client-7/$everything", BASE),
        ("not a url/$export", None),
    ],
)
def test_a_bulk_data_manifest_names_the_base_it_was_exported_from(
    request_url: str, base: str | None
) -> None:
    found = EXPORT_REQUEST.fullmatch(request_url)

    assert (found.group(1) if found else None) == base
