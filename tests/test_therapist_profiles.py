"""Therapist profiles (issue 14, part 3): a clinician edits their own, the practice admin those
of the practice's clinicians; the self-described characteristics are kept only with consent."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rapport.audit.models import AuditEvent
from rapport.matching.models import TherapistProfile

PROFILE = {
    "languages": "English, polish, Polish, ",
    "approaches": "CBT, systemic",
    "populations": ["adults", "couples"],
    "modalities": ["video"],
    "days": ["tue"],
    "hours": "9:00 to 13:00",
    "capacity": "2",
    "gender": "Woman",
    "faith": "Quaker",
}


def test_a_clinician_saves_their_own_profile_and_sees_it_again(cast, web_as):
    web = web_as(cast.clinician)

    saved = web.post(reverse("matching:profile_own"), PROFILE)
    page = web.get(reverse("matching:profile_own")).content.decode()

    profile = TherapistProfile.objects.get(user=cast.clinician)
    assert saved.status_code == 302
    assert profile.languages == ["English", "polish"]  # repeats left out, as first typed
    assert profile.populations == ["adults", "couples"] and profile.capacity == 2
    assert 'value="English, polish"' in page
    assert AuditEvent.objects.filter(
        action="create", object_type="matching.therapistprofile"
    ).exists()


def test_characteristics_are_kept_only_with_consent_to_show_them(cast, web_as):
    web = web_as(cast.clinician)

    web.post(reverse("matching:profile_own"), PROFILE)
    without = TherapistProfile.objects.get(user=cast.clinician)
    web.post(reverse("matching:profile_own"), {**PROFILE, "share_characteristics": "on"})
    shared = TherapistProfile.objects.get(user=cast.clinician)

    assert (without.gender, without.faith) == ("", "")
    assert (shared.gender, shared.faith, shared.share_characteristics) == ("Woman", "Quaker", True)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"languages": " , "}, "languages"),
        ({"capacity": "-1"}, "capacity"),
        ({"modalities": []}, "modalities"),
    ],
)
def test_a_profile_without_a_language_a_modality_or_with_negative_places_is_refused(
    cast, web_as, change, field
):
    page = web_as(cast.clinician).post(reverse("matching:profile_own"), {**PROFILE, **change})

    assert page.status_code == 200 and page.context["form"].errors[field]
    assert not TherapistProfile.objects.exists()


def test_the_admin_edits_a_clinicians_profile_but_not_another_practices(cast, web_as):
    web = web_as(cast.admin)

    own = web.post(reverse("matching:profile_edit", args=[cast.clinician.pk]), PROFILE)
    foreign = web.post(reverse("matching:profile_edit", args=[cast.foreign_clinician.pk]), PROFILE)

    assert own.status_code == 302 and foreign.status_code == 404
    assert list(TherapistProfile.objects.values_list("user", flat=True)) == [cast.clinician.pk]


# --- Client preferences ---------------------------------------------------------------------------

KINDS = ("language", "approach", "modality", "days", "gender", "age_range")
KINDS += ("cultural_background", "faith", "directive", "challenge")
NO_MATTER = {f"{kind}_strength": "no_matter" for kind in KINDS}


def test_the_clinician_records_what_the_client_wants_each_marked_must_prefer_or_no_matter(
    cast, web_as
):
    from rapport.matching.models import ClientPreference

    url = reverse("matching:preferences", args=[cast.adult_client.pk])
    payload = {
        **NO_MATTER,
        "language": "Polish",
        "language_strength": "must",
        "modality": "video",
        "modality_strength": "prefer",
        "gender": "ignored when it does not matter",
    }

    saved = web_as(cast.clinician).post(url, payload)

    stored = {p.kind: (p.value, p.strength) for p in ClientPreference.objects.all()}
    assert saved.status_code == 302
    assert stored["language"] == ("Polish", "must")
    assert stored["modality"] == ("video", "prefer")
    assert stored["gender"] == ("", "no_matter") and len(stored) == len(KINDS)


def test_a_must_without_saying_what_is_refused_and_an_outsider_gets_404(cast, web_as):
    from rapport.matching.models import ClientPreference

    url = reverse("matching:preferences", args=[cast.adult_client.pk])

    refused = web_as(cast.clinician).post(url, {**NO_MATTER, "faith_strength": "must"})
    outsider = web_as(cast.outsider_clinician).get(url)

    assert refused.status_code == 200 and refused.context["form"].errors["faith"]
    assert outsider.status_code == 404
    assert not ClientPreference.objects.exists()
