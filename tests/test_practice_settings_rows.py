"""A practice's settings rows (alliance alerts, trajectories): one row per practice at most,
read as the defaults until an admin saves them, and never written by reading."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rapport.alliance.models import AllianceSettings
from rapport.alliance.services import alliance_settings_update
from rapport.practices.models import PracticeSettingsRow
from rapport.trajectories.models import TrajectorySettings
from rapport.trajectories.services import trajectory_settings_update

ROWS = [AllianceSettings, TrajectorySettings]


@pytest.mark.parametrize("model", ROWS)
def test_a_practice_without_a_row_reads_the_defaults_and_nothing_is_written(cast, model):
    settings = model.for_practice(cast.practice.pk)

    assert settings.pk is None and settings.practice_id == cast.practice.pk
    assert not model.objects.exists()


def test_the_alliance_pages_show_the_settings_without_storing_a_row(cast, web_as):
    assert web_as(cast.clinician).get(reverse("alliance:overview")).status_code == 200
    assert web_as(cast.admin).get(reverse("alliance:settings")).status_code == 200

    assert not AllianceSettings.objects.exists()


@pytest.mark.parametrize("model", ROWS)
def test_every_settings_row_shares_the_one_way_of_reading_it(model):
    assert issubclass(model, PracticeSettingsRow)
    assert model.for_practice.__func__ is PracticeSettingsRow.for_practice.__func__


def test_saving_the_alliance_settings_stores_the_one_row_and_later_reads_find_it(cast):
    settings = AllianceSettings.for_practice(cast.practice.pk)
    settings.low_total_cutoff = 30

    alliance_settings_update(actor=cast.admin, settings=settings)
    again = AllianceSettings.for_practice(cast.practice.pk)
    again.low_total_cutoff = 32
    alliance_settings_update(actor=cast.admin, settings=again)

    [stored] = AllianceSettings.objects.filter(practice=cast.practice)
    assert stored.low_total_cutoff == 32
    assert AllianceSettings.for_practice(cast.practice.pk) == stored


def test_saving_the_trajectory_settings_stores_the_row_for_that_practice_only(cast):
    settings = TrajectorySettings.for_practice(cast.practice.pk)
    settings.off_track_percentile = 5

    trajectory_settings_update(settings=settings, actor=cast.admin)

    assert TrajectorySettings.for_practice(cast.practice.pk).off_track_percentile == 5
    other = TrajectorySettings.for_practice(cast.other_practice.pk)
    assert other.pk is None and other.off_track_percentile != 5
