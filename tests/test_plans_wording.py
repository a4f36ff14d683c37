"""What clients and parents read about their plan is in plain words: what changed between two
versions (no raw numbers like "4.0", no internal field names), who the printout is from, and a
parent's fear-ladder form asks about their child, not about "you"."""

from __future__ import annotations

import re

from django.urls import reverse

from rapport.exposure.services import ladder_create
from rapport.plans import services
from tests.conftest import signed_in, years_ago
from tests.test_plans import goal_fields, proposed_plan


def revised(cast):
    """Version 1 (a rating goal of 7, review every 6 sessions) asked to change, and version 2
    with the target at 6, a PHQ-9 goal, CBT and reviews every 4 sessions."""
    first = proposed_plan(cast, target=7.0)
    services.plan_decide(
        user=cast.adult_client_user,
        version=first,
        party="client",
        accept=False,
        comment="Smaller steps, please",
    )
    draft = services.plan_draft_start(
        actor=cast.clinician, episode=cast.adult_episode, reason="Smaller steps, as asked"
    )
    goal = draft.goals.get()
    services.goal_update(actor=cast.clinician, goal=goal, **goal_fields(target=6.0))
    services.goal_add(
        actor=cast.clinician,
        version=draft,
        **goal_fields(title="Feel like myself", benchmark="measure_target", family="phq9"),
    )
    services.plan_draft_update(
        actor=cast.clinician,
        version=draft,
        review_every=4,
        approach_tags=["CBT", "behavioural activation"],
    )
    return services.plan_propose(actor=cast.clinician, version=draft)


def test_the_client_reads_what_changed_in_plain_words(cast):
    revised(cast)

    page = signed_in(cast.adult_client_user).get(
        reverse("plans:portal_plan", args=[cast.adult_client.pk])
    )
    text = re.sub(r"<[^>]+>", "", page.text)

    assert "What changed since version 1" in text
    assert "Aiming for: at least 6 out of 10 (before: at least 7 out of 10)" in text
    assert "Looking back together: every 4 sessions (before: every 6 sessions)" in text
    assert "Approaches: CBT, Behavioural activation" in text
    for raw in ("7.0", "6.0", "Benchmark", "benchmark", "review_every", "phq9", "Family"):
        assert raw not in text


def test_a_spanish_speaking_client_reads_what_changed_in_spanish(cast):
    revised(cast)
    cast.adult_client.language = "es"
    cast.adult_client.save(update_fields=["language"])

    page = signed_in(cast.adult_client_user).get(
        reverse("plans:portal_plan", args=[cast.adult_client.pk])
    )
    text = re.sub(r"<[^>]+>", "", page.text)

    assert "Meta: al menos 6 de 10 (antes: al menos 7 de 10)" in text
    assert "Revisión conjunta: cada 4 sesiones (antes: cada 6 sesiones)" in text
    assert "Enfoques: TCC, Activación conductual" in text
    for english in ("Aiming for", "Looking back together", "Approaches", "every 4", "Behavioural"):
        assert english not in text, english


def test_the_staff_comparison_uses_the_same_words(cast):
    version = revised(cast)

    page = signed_in(cast.clinician).get(reverse("plans:compare", args=[version.pk]))

    assert "Aiming for" in page.text and "at least 6 out of 10" in page.text
    assert "7.0" not in page.text


def test_the_printout_names_the_practice_and_the_therapist(cast):
    version = proposed_plan(cast)

    for user, url in (
        (cast.adult_client_user, reverse("plans:portal_print", args=[version.pk])),
        (cast.clinician, reverse("plans:print", args=[version.pk])),
    ):
        printed = signed_in(user).get(url).text
        assert "Northside Therapy" in printed
        assert f"Therapist: {cast.clinician.full_name}" in printed


def test_a_parent_records_their_childs_practice_in_words_about_the_child(cast):
    cast.adolescent_client.date_of_birth = years_ago(9)
    cast.adolescent_client.save()
    ladder = ladder_create(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        title="Dogs",
        steps=[("Look at a dog across the park", 30)],
    )

    parent_page = signed_in(cast.guardian).get(reverse("exposure:portal", args=[ladder.pk]))

    assert "How anxious did Ti seem at the worst moment?" in parent_page.text
    assert "Which step did Ti practise?" in parent_page.text
    assert "Save Ti's practice" in parent_page.text
    for about_the_parent in ("how anxious did you", "most anxious you felt", "Save my practice"):
        assert about_the_parent not in parent_page.text


def test_the_child_still_reads_the_form_about_themselves(cast):
    ladder = ladder_create(
        actor=cast.clinician,
        episode=cast.adult_episode,
        title="Buses",
        steps=[("Ride one stop", 40)],
    )

    page = signed_in(cast.adult_client_user).get(reverse("exposure:portal", args=[ladder.pk]))

    assert "What was the most anxious you felt?" in page.text
    assert "Save my practice" in page.text
