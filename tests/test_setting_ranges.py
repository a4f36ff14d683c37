"""Every practice setting refuses a value outside its range, in the form and in the model."""

import pytest
from django.core.exceptions import ValidationError
from django.forms import BooleanField
from django.forms.models import model_to_dict
from django.urls import reverse

from rapport.alliance.forms import AllianceSettingsForm
from rapport.alliance.models import AllianceSettings
from rapport.matching.forms import FitCheckSettingsForm
from rapport.matching.handoff_forms import HandoffSettingsForm
from rapport.matching.models import FitCheckSettings, HandoffSettings
from rapport.measures.models import MeasurePlan
from rapport.practices.forms import PracticeSettingsForm
from rapport.practices.models import Practice
from rapport.trajectories.forms import TrajectorySettingsForm
from rapport.trajectories.models import TrajectorySettings

SETTINGS_PAGES = [
    "alliance:settings",
    "trajectories:settings",
    "practices:settings",
    "matching:fit_settings",
    "matching:handoff_settings",
]
NONSENSE = ["-1", "0", "1e23", "10000000", "-0.5"]


def stored(practice_id: int):  # type: ignore[no-untyped-def]
    return {
        "alliance:settings": (
            AllianceSettingsForm,
            AllianceSettings.objects.get_or_create(practice_id=practice_id)[0],
        ),
        "trajectories:settings": (
            TrajectorySettingsForm,
            TrajectorySettings.objects.get_or_create(practice_id=practice_id)[0],
        ),
        "practices:settings": (PracticeSettingsForm, Practice.objects.get(pk=practice_id)),
        "matching:fit_settings": (
            FitCheckSettingsForm,
            FitCheckSettings.objects.get_or_create(practice_id=practice_id)[0],
        ),
        "matching:handoff_settings": (
            HandoffSettingsForm,
            HandoffSettings.objects.get_or_create(practice_id=practice_id)[0],
        ),
    }


def valid_data(form_class, instance) -> dict[str, str]:  # type: ignore[no-untyped-def]
    form = form_class(instance=instance)
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, BooleanField):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    return data


def numeric_fields(form_class, instance) -> list[str]:  # type: ignore[no-untyped-def]
    form = form_class(instance=instance)
    return [n for n, f in form.fields.items() if "min" in f.widget.attrs or "max" in f.widget.attrs]


@pytest.mark.parametrize(
    "route",
    SETTINGS_PAGES,
)
def test_out_of_range_values_are_refused_with_a_form_error_and_nothing_stored(cast, web_as, route):
    form_class, instance = stored(cast.practice.pk)[route]
    before = model_to_dict(type(instance).objects.get(pk=instance.pk))
    fields = numeric_fields(form_class, instance)
    assert fields, f"{route} has no range-checked field"
    web = web_as(cast.admin)
    for name in fields:
        for value in NONSENSE:
            field = form_class(instance=instance).fields[name]
            low, high = field.widget.attrs.get("min"), field.widget.attrs.get("max")
            if low is not None and high is not None and float(low) <= float(value) <= float(high):
                continue  # in range for this field (0 is a fine lowest item score)
            data = valid_data(form_class, instance) | {name: value}
            page = web.post(reverse(route), data)
            assert page.status_code == 200, (route, name, value)
            assert page.context["form"].errors.get(name), (route, name, value)
            after = model_to_dict(type(instance).objects.get(pk=instance.pk))
            assert after == before, (route, name, value)


@pytest.mark.parametrize(
    "route",
    SETTINGS_PAGES,
)
def test_each_settings_form_shows_the_allowed_range_next_to_the_field(cast, web_as, route):
    form_class, instance = stored(cast.practice.pk)[route]
    page = web_as(cast.admin).get(reverse(route))
    for name in numeric_fields(form_class, instance):
        field = form_class(instance=instance).fields[name]
        assert "Allowed:" in str(field.help_text)
        assert f'name="{name}"' in page.text and 'min="' in page.text
    assert page.text.count("Allowed:") >= len(numeric_fields(form_class, instance))


def test_the_handoff_settings_say_each_default_and_why(cast, web_as):
    page = web_as(cast.admin).get(reverse("matching:handoff_settings"))
    assert "Default: 30 days. Long enough to book a joint session" in page.text
    assert "Default: 21 days. By then a weekly or fortnightly client" in page.text
    assert (
        reverse("matching:handoff_settings")
        in web_as(cast.admin).get(reverse("practices:manage")).text
    )


def test_minus_one_no_longer_switches_low_alliance_alerts_off(cast, web_as):
    settings = AllianceSettings.for_practice(cast.practice.pk)
    data = valid_data(AllianceSettingsForm, settings) | {"low_total_cutoff": "-1"}
    page = web_as(cast.admin).post(reverse("alliance:settings"), data)
    assert "Ensure this value is greater than or equal to 1" in page.text
    assert AllianceSettings.for_practice(cast.practice.pk).low_total_cutoff == 36


@pytest.mark.parametrize(
    ("model_field", "value"),
    [("low_total_cutoff", -1), ("low_total_cutoff", 1e23), ("ceiling_sessions", 0)],
)
def test_the_model_refuses_out_of_range_alliance_settings_outside_any_form(
    cast, model_field, value
):
    from rapport.alliance.services import alliance_settings_update

    settings = AllianceSettings.for_practice(cast.practice.pk)
    setattr(settings, model_field, value)
    with pytest.raises(ValidationError):
        alliance_settings_update(actor=cast.admin, settings=settings)
    assert getattr(AllianceSettings.for_practice(cast.practice.pk), model_field) != value


def test_practice_link_hours_are_range_checked_and_the_reminder_comes_after_the_link(cast):
    practice = Practice.objects.get(pk=cast.practice.pk)
    practice.link_valid_hours = 0
    with pytest.raises(ValidationError):
        practice.full_clean()
    practice.link_valid_hours, practice.link_reminder_hours = 72, 30
    with pytest.raises(ValidationError, match="reminder"):
        practice.full_clean()


@pytest.mark.parametrize("every_n", ["0", "-1", "53", "1e23"])
def test_a_measure_plan_every_n_sessions_out_of_range_is_refused(cast, web_as, every_n):
    page = web_as(cast.clinician).post(
        reverse("measures:episode_measures", args=[cast.adult_episode.pk]),
        {"family": "phq9", "respondent": "client", "schedule": "every_n", "every_n": every_n},
    )
    assert page.status_code == 200
    assert page.context["form"].errors.get("every_n")
    assert not MeasurePlan.objects.filter(episode=cast.adult_episode, family="phq9").exists()
    plan = MeasurePlan(episode=cast.adult_episode, family="phq9", every_n=0)
    with pytest.raises(ValidationError):
        plan.clean_fields(exclude=[f.name for f in MeasurePlan._meta.fields if f.name != "every_n"])
