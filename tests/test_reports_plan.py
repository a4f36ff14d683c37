"""The plan summary of the demo's clients: the plan in force, its goals with their benchmarks,
who accepted it and when, and what changed since the version before — never the therapist's
private formulation notes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from rapport.accounts.models import User
from rapport.care.models import Episode
from rapport.demo.practice import DemoSummary, demo_email
from rapport.plans.models import PlanVersion
from rapport.plans.queries import latest_version
from tests.conftest import signed_in
from tests.demo_snapshot import demo_practice
from tests.reports_pdf import first_page_image, pdf_info, pdf_text

# The module builds its data once (a module fixture): its tests share one worker, rather than
# both workers building it.
pytestmark = pytest.mark.xdist_group("reports_plan")

TODAY = dt.date(2026, 3, 18)


@dataclass
class Printed:
    demo: DemoSummary
    episode: Episode
    version: PlanVersion
    files: dict[str, Path]
    texts: dict[str, str]


@pytest.fixture(scope="module")
def printed(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Printed]:
    """The demo, built once for the module and rolled back afterwards, and the portal client's
    plan summary as the clinician and the client print it."""
    from django.db import transaction

    folder = tmp_path_factory.mktemp("plans")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            demo = demo_practice(today=TODAY)
            client_user = User.objects.get(email=demo_email("client"))
            episode = Episode.objects.get(client__user=client_user, status="active")
            version = latest_version(episode)
            assert version is not None
            # Something private the summary must never print, in every version.
            PlanVersion.objects.filter(episode=episode).update(
                private_formulation="PRIVATE-FORMULATION-7c2a"
            )
            url = reverse("reports:plan_pdf", args=[episode.pk])
            files = {}
            for name, user in (("clinician", episode.primary_clinician), ("client", client_user)):
                response = signed_in(user).get(url)
                assert response.status_code == 200
                files[name] = folder / f"{name}.pdf"
                files[name].write_bytes(response.content)
            yield Printed(demo, episode, version, files, {k: pdf_text(p) for k, p in files.items()})
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.mark.parametrize("name", ["clinician", "client"])
def test_the_plan_summary_is_a_tagged_pdf_whose_first_page_draws(
    printed: Printed, name: str, tmp_path: Path
) -> None:
    info = pdf_info(printed.files[name])

    assert info["Tagged"] == "yes"
    assert printed.demo.practice.name in info["Title"]
    assert first_page_image(printed.files[name], tmp_path / name).startswith(b"\x89PNG")


@pytest.mark.parametrize("name", ["clinician", "client"])
def test_the_plan_summary_names_the_version_its_goals_and_who_accepted_it(
    printed: Printed, name: str
) -> None:
    text = printed.texts[name]
    version = printed.version

    assert f"Version {version.number}" in text
    for goal in version.goals.all():
        assert goal.title in text
    assert "Aiming for" in text
    decision = version.decisions.get(decision="accepted")
    assert f"Accepted by {decision.who}" in text
    assert f"{decision.at:%-d %B %Y}" in text


@pytest.mark.parametrize("name", ["clinician", "client"])
def test_the_plan_summary_says_what_changed_since_the_version_before(
    printed: Printed, name: str
) -> None:
    text = printed.texts[name]
    assert printed.version.based_on is not None

    assert "What changed since the last version" in text
    assert f"Compared with version {printed.version.based_on.number}" in text


@pytest.mark.parametrize("name", ["clinician", "client"])
def test_the_plan_summary_never_prints_the_private_formulation(printed: Printed, name: str) -> None:
    assert "PRIVATE-FORMULATION-7c2a" not in printed.texts[name]
    assert "Private formulation" not in printed.texts[name]


def test_only_the_clinicians_summary_gives_the_reason_for_the_version(printed: Printed) -> None:
    assert "Why this version:" in printed.texts["clinician"]
    assert "Why this version:" not in printed.texts["client"]


def test_every_open_demo_episode_has_a_plan_summary_page(printed: Printed, db: None) -> None:
    episodes = Episode.objects.filter(practice=printed.demo.practice, status="active")
    assert episodes.count() > 10

    for episode in episodes.select_related("primary_clinician"):
        page = signed_in(episode.primary_clinician).get(reverse("reports:plan", args=[episode.pk]))
        assert page.status_code == 200
        assert "The plan in force" in page.content.decode(), episode.pk
