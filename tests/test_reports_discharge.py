"""The discharge letter: of a closed episode only, the clinician's recommendations written once,
printed for the referrer and as the client's copy, which leaves the closure note out.

Printed from the demo (built once for the module): a closed episode with client-rated scores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from rapport.accounts.models import User
from rapport.audit.models import AuditEvent
from rapport.care.models import ClosureReason, Episode, EpisodeStatus
from rapport.measures.queries import score_histories
from rapport.reports.models import RECOMMENDATIONS_MAX, DischargeLetter
from tests.conftest import signed_in
from tests.demo_snapshot import demo_practice
from tests.reports_pdf import pdf_info, pdf_text

# The module builds its data once (a module fixture): its tests share one worker, rather than
# both workers building it.
pytestmark = pytest.mark.xdist_group("reports_discharge")

TODAY = dt.date(2026, 3, 18)
RECOMMENDATIONS = "Review in three months; the relapse-prevention plan is with the client."


@dataclass
class Demo:
    episode: Episode  # closed, completed, with client-rated outcome scores
    clinician: User


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[Demo]:
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            demo_practice(today=TODAY)
            closed = Episode.objects.filter(
                status=EpisodeStatus.CLOSED, closure_reason=ClosureReason.COMPLETED
            ).select_related("primary_clinician", "client", "practice")
            episode = next(
                e
                for e in closed
                if any(
                    len(h.rows) >= 2 and h.rule
                    for h in score_histories(e, respondents=("client",), kinds=("outcome",))
                )
            )
            Episode.objects.filter(pk=episode.pk).update(closure_note="CLOSURE-NOTE-7c1d")
            episode.refresh_from_db()
            yield Demo(episode, episode.primary_clinician)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def write(web: Any, episode: Episode, **changes: str) -> Any:
    data = {
        "submission_key": "6f1c1a8e-0d4c-4a57-9a1e-3f0c7b0f2b11",
        "addressee": "Dr Rivers",
        "organisation": "Riverside Surgery",
        "recommendations": RECOMMENDATIONS,
        **changes,
    }
    return web.post(reverse("reports:discharge_write", args=[episode.pk]), data)


def test_before_it_is_written_the_clinician_gets_the_form_and_no_pdf(demo: Demo, db: None) -> None:
    web = signed_in(demo.clinician)

    page = web.get(reverse("reports:discharge", args=[demo.episode.pk]))
    pdf = web.get(reverse("reports:discharge_pdf", args=[demo.episode.pk]))

    assert page.status_code == 200 and "Save the letter" in page.content.decode()
    assert pdf.status_code == 409
    assert "has not written this episode" in pdf.content.decode()


def test_the_letter_of_an_open_episode_is_refused_with_its_reason(demo: Demo, db: None) -> None:
    open_episode = Episode.objects.filter(
        primary_clinician=demo.clinician, status=EpisodeStatus.ACTIVE
    ).first()
    assert open_episode is not None

    response = signed_in(demo.clinician).get(reverse("reports:discharge", args=[open_episode.pk]))

    assert response.status_code == 409
    assert "this episode is still open" in response.content.decode()


def test_the_letter_is_written_once_and_audited_without_its_words(demo: Demo, db: None) -> None:
    web = signed_in(demo.clinician)

    first = write(web, demo.episode)
    second = write(web, demo.episode, submission_key="0b8f5f0e-2f8e-4c55-8f7e-9a3c2d1e4f50")

    assert first.status_code == 302
    assert second.status_code == 400
    assert "already been written" in second.content.decode()
    letter = DischargeLetter.objects.get(episode=demo.episode)
    assert letter.recommendations == RECOMMENDATIONS
    event = AuditEvent.objects.get(action="create", object_type="reports.dischargeletter")
    assert event.client_id == demo.episode.client_id
    assert RECOMMENDATIONS not in str(event.detail)


def test_recommendations_too_long_are_refused_and_nothing_is_stored(demo: Demo, db: None) -> None:
    response = write(
        signed_in(demo.clinician), demo.episode, recommendations="x" * (RECOMMENDATIONS_MAX + 1)
    )

    assert response.status_code == 400
    assert not DischargeLetter.objects.filter(episode=demo.episode).exists()


def test_the_letter_to_the_referrer_and_the_clients_copy_say_what_they_must(
    demo: Demo, db: None, tmp_path: Path
) -> None:
    web = signed_in(demo.clinician)
    assert write(web, demo.episode).status_code == 302
    url = reverse("reports:discharge_pdf", args=[demo.episode.pk])
    (tmp_path / "referrer.pdf").write_bytes(web.get(url).content)
    (tmp_path / "client.pdf").write_bytes(web.get(url + "?audience=client").content)

    referrer = pdf_text(tmp_path / "referrer.pdf")
    client = pdf_text(tmp_path / "client.pdf")

    assert pdf_info(tmp_path / "referrer.pdf")["Tagged"] == "yes"
    assert "Dear Dr Rivers" in referrer and "Riverside Surgery" in referrer
    assert f"Treatment summary: {demo.episode.client.full_name}" in referrer
    assert "Reason for ending: completed" in referrer and "sessions attended" in referrer
    # The category comes with the rule it was judged by, as on the progress report.
    assert "Outcome:" in referrer
    assert "criterion" in referrer or "Jacobson" in referrer
    assert RECOMMENDATIONS in referrer and "CLOSURE-NOTE-7c1d" in referrer
    assert "this is your copy" in client and RECOMMENDATIONS in client
    assert "CLOSURE-NOTE-7c1d" not in client and "Closure note" not in client
    issued = AuditEvent.objects.filter(action="report", object_type="reports.discharge")
    assert sorted(e.detail["for"] for e in issued) == ["client", "clinician"]
