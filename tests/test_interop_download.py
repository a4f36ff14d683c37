"""Getting a client's FHIR Bundle out: the clinician's download and `rapport fhir export`.

Who may download is in the authorization matrix (tests/authorization/routes_interop.py); here,
what the download and the command give, and what they leave in the audit trail.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from rapport.audit.models import AuditEvent, BreakGlassGrant
from tests.conftest import Cast, make_session, signed_in

BASE = "https://fhir.northside.test/fhir"


@pytest.fixture(autouse=True)
def _fhir_base(settings: Any) -> None:
    settings.RAPPORT_FHIR_BASE = BASE


def url(cast: Cast) -> str:
    return reverse("interop:client_fhir", args=[cast.adult_client.pk])


def test_the_clinician_downloads_the_clients_record_as_a_fhir_bundle(cast: Cast) -> None:
    make_session(cast.adult_episode, days_from_now=-7, held=True)

    reply = signed_in(cast.clinician).get(url(cast))

    assert reply.status_code == 200
    assert reply["Content-Type"] == "application/fhir+json"
    assert "attachment" in reply["Content-Disposition"]
    bundle = json.loads(reply.content)
    Bundle.model_validate(bundle)
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert {"Organization", "Patient", "EpisodeOfCare", "Encounter"} <= set(kinds)


def test_the_download_is_audited_with_what_was_exported(cast: Cast) -> None:
    signed_in(cast.clinician).get(url(cast))

    event = AuditEvent.objects.get(action="export", actor_id=cast.clinician.pk)
    assert event.client_id == cast.adult_client.pk
    assert event.object_type == "interop.fhir_bundle"
    assert event.detail["via"] == "web"
    assert event.detail["resources"]["Patient"] == 1
    assert event.detail["episodes"] == [cast.adult_episode.pk]


def test_a_break_glass_reader_may_read_the_record_but_not_take_it_away(cast: Cast) -> None:
    now = timezone.now()
    BreakGlassGrant.objects.create(
        user=cast.admin,
        client=cast.adult_client,
        reason="Safeguarding call from the GP",
        granted_at=now,
        expires_at=now + timedelta(hours=1),
    )

    reply = signed_in(cast.admin).get(url(cast))

    assert reply.status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()
    assert AuditEvent.objects.filter(
        actor_id=cast.admin.pk, object_type="people.client", outcome="denied"
    ).exists()


# --- The command line ---------------------------------------------------------------------------


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("fhir", "export", *args, stdout=out)
    return out.getvalue()


def test_the_command_writes_the_bundle_and_is_audited_as_the_system(
    cast: Cast, tmp_path: Path
) -> None:
    path = tmp_path / "alex.json"

    said = export("--client", str(cast.adult_client.pk), "--out", str(path))

    bundle = json.loads(path.read_text(encoding="utf-8"))
    Bundle.model_validate(bundle)
    assert said.strip() == (
        f"Wrote {len(bundle['entry'])} resources of client {cast.adult_client.pk} to {path}"
    )
    event = AuditEvent.objects.get(action="export")
    assert (event.actor_id, event.client_id, event.detail["via"]) == (
        None,
        cast.adult_client.pk,
        "command line",
    )


def test_the_command_gives_the_same_file_twice(cast: Cast, tmp_path: Path) -> None:
    export("--client", str(cast.adolescent_client.pk), "--out", str(tmp_path / "a.json"))
    export("--client", str(cast.adolescent_client.pk), "--out", str(tmp_path / "b.json"))

    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--client", "999999", "--out", "{tmp}/x.json"], "no client with id 999999"),
        (["--client", "{client}", "--out", "{tmp}/missing/x.json"], "no such folder"),
        (["--client", "{client}", "--out", "{tmp}"], "is a folder"),
    ],
)
def test_bad_input_fails_with_one_line_and_writes_nothing(
    cast: Cast, tmp_path: Path, args: list[str], message: str
) -> None:
    filled = [a.format(tmp=tmp_path, client=cast.adult_client.pk) for a in args]

    with pytest.raises(CommandError) as raised:
        export(*filled)

    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert list(tmp_path.rglob("*.json")) == []
    assert not AuditEvent.objects.filter(action="export").exists()


def test_without_a_fhir_base_the_command_says_what_to_set(
    cast: Cast, tmp_path: Path, settings: Any
) -> None:
    settings.RAPPORT_FHIR_BASE = ""

    with pytest.raises(CommandError, match="RAPPORT_FHIR_BASE"):
        export("--client", str(cast.adult_client.pk), "--out", str(tmp_path / "x.json"))


@pytest.mark.parametrize("who", ["clinician", "admin"])
def test_without_a_fhir_base_the_downloads_say_what_to_set_and_export_nothing(
    cast: Cast, settings: Any, who: str
) -> None:
    settings.RAPPORT_FHIR_BASE = ""
    address = url(cast) if who == "clinician" else reverse("interop:practice_fhir")

    reply = signed_in(getattr(cast, who)).get(address)

    assert reply.status_code == 503
    assert "RAPPORT_FHIR_BASE" in reply.content.decode()
    assert "resourceType" not in reply.content.decode()


def test_a_format_other_than_bundle_is_refused(cast: Cast, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="format 'csv' is not one of bundle, ndjson"):
        export(
            "--client", str(cast.adult_client.pk), "--out", str(tmp_path / "x"), "--format", "csv"
        )
