"""Two clinicians editing the same draft plan (or goal) at once: the later save never silently
overwrites the earlier one. It is refused with a 409 that shows what the other person saved,
keeps the sender's text in the form, and a deliberate second save then goes through."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from rapport.plans import services
from rapport.plans.models import PlanGoal, PlanVersion
from tests.conftest import signed_in
from tests.test_plans import goal_fields

CONTENT = {
    "reason": "First plan, agreed at intake",
    "shared_formulation": "",
    "private_formulation": "",
    "approach": "",
    "session_frequency": "Weekly",
    "modality": "video",
    "participants": "",
    "review_every": "6",
    "review_unit": "sessions",
    "reviewers": "client",
}


@pytest.fixture
def draft(cast) -> PlanVersion:
    return services.plan_draft_start(
        actor=cast.clinician, episode=cast.adult_episode, reason="First plan, agreed at intake"
    )


def loaded_edits(page) -> str:
    """The edit count a loaded page's form carries, as a browser would send it back."""
    found = re.search(r'name="edits" value="(\d+)"', page.content.decode())
    assert found, "the form carries the edit count it was loaded at"
    return found.group(1)


def test_the_second_of_two_saves_of_a_draft_loaded_together_is_refused_not_overwriting(cast, draft):
    url = reverse("plans:version", args=[draft.pk])
    mine, theirs = signed_in(cast.clinician), signed_in(cast.co_clinician)
    my_edits = loaded_edits(mine.get(url))
    their_edits = loaded_edits(theirs.get(url))

    first = theirs.post(url, {**CONTENT, "approach": "Worry time first", "edits": their_edits})
    assert first.status_code == 302
    second = mine.post(url, {**CONTENT, "approach": "Sleep diary first", "edits": my_edits})

    assert second.status_code == 409
    draft.refresh_from_db()
    assert draft.approach == "Worry time first"
    page = second.content.decode()
    assert "Someone else saved this while you were editing it" in page
    assert "Saved meanwhile by Co Clinician" in page
    # The other person's change and the sender's own text are both on the page.
    assert "Worry time first" in page
    assert "Sleep diary first" in page
    assert "What we will do" in page


def test_after_seeing_the_other_change_saving_again_keeps_the_senders_text(cast, draft):
    url = reverse("plans:version", args=[draft.pk])
    mine, theirs = signed_in(cast.clinician), signed_in(cast.co_clinician)
    my_edits = loaded_edits(mine.get(url))
    theirs.post(
        url, {**CONTENT, "approach": "Worry time first", "edits": loaded_edits(theirs.get(url))}
    )

    refused = mine.post(url, {**CONTENT, "approach": "Sleep diary first", "edits": my_edits})
    assert refused.status_code == 409
    # The re-shown form is now based on their save, so sending it again is a deliberate choice.
    again = mine.post(
        url, {**CONTENT, "approach": "Sleep diary first", "edits": loaded_edits(refused)}
    )

    assert again.status_code == 302
    draft.refresh_from_db()
    assert (draft.approach, draft.edits, draft.edited_by) == (
        "Sleep diary first",
        2,
        cast.clinician,
    )


def test_one_clinician_saving_twice_in_a_row_meets_no_conflict(cast, draft):
    url = reverse("plans:version", args=[draft.pk])
    web = signed_in(cast.clinician)
    assert (
        web.post(url, {**CONTENT, "approach": "A", "edits": loaded_edits(web.get(url))}).status_code
        == 302
    )
    assert (
        web.post(url, {**CONTENT, "approach": "B", "edits": loaded_edits(web.get(url))}).status_code
        == 302
    )
    draft.refresh_from_db()
    assert draft.approach == "B"


def test_a_save_without_the_edit_count_is_refused_with_a_reason(cast, draft):
    url = reverse("plans:version", args=[draft.pk])
    reply = signed_in(cast.clinician).post(url, {**CONTENT, "approach": "Blind save"})
    assert reply.status_code == 200
    assert "This page is out of date" in reply.content.decode()
    draft.refresh_from_db()
    assert draft.approach == ""


def test_the_service_refuses_a_save_based_on_an_older_edit_count(cast, draft):
    services.plan_draft_update(
        actor=cast.co_clinician, version=draft, based_on_edits=0, approach="Theirs"
    )
    with pytest.raises(services.EditConflict) as clash:
        services.plan_draft_update(
            actor=cast.clinician, version=draft, based_on_edits=0, approach="Mine"
        )
    assert clash.value.current.approach == "Theirs"
    draft.refresh_from_db()
    assert (draft.approach, draft.edits) == ("Theirs", 1)


def test_the_second_of_two_saves_of_a_goal_loaded_together_is_refused_not_overwriting(cast, draft):
    goal = services.goal_add(actor=cast.clinician, version=draft, **goal_fields())
    url = reverse("plans:goal_edit", args=[goal.pk])
    mine, theirs = signed_in(cast.clinician), signed_in(cast.co_clinician)
    my_edits, their_edits = loaded_edits(mine.get(url)), loaded_edits(theirs.get(url))
    fields = {"benchmark": "rating", "target": "7", "count_direction": "at_least"}

    first = theirs.post(url, {**fields, "title": "Asleep by eleven", "edits": their_edits})
    assert first.status_code == 302
    second = mine.post(url, {**fields, "title": "Asleep by midnight", "edits": my_edits})

    assert second.status_code == 409
    assert PlanGoal.objects.get(pk=goal.pk).title == "Asleep by eleven"
    page = second.content.decode()
    assert "Asleep by eleven" in page and "Asleep by midnight" in page
