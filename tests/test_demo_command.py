"""The demo command and the demo's build, each on an empty database (tests/test_demo.py reads
one demo built once for its module)."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django import Settings

from rapport.demo.practice import DEMO_PASSWORD, build_demo_practice
from rapport.practices.models import Practice

TODAY = dt.date(2026, 3, 18)


@pytest.mark.django_db
def test_demo_refuses_under_production_settings(settings: Settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development only"):
        call_command("demo", stdout=StringIO())
    assert not Practice.objects.exists()


@pytest.mark.django_db
def test_demo_if_empty_leaves_an_existing_database_alone(settings: Settings) -> None:
    settings.DEBUG = True
    Practice.objects.create(name="Real Practice")
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "Database already has data; demo not loaded." in out.getvalue()
    assert list(Practice.objects.values_list("name", flat=True)) == ["Real Practice"]


# One test for the three: each load of the demo through the command takes seconds.
@pytest.mark.django_db
def test_demo_if_empty_loads_into_an_empty_database_refuses_a_second_load_then_prints_the_logins(
    settings: Settings,
) -> None:
    settings.DEBUG = True
    out = StringIO()
    call_command("demo", "--if-empty", "--seed", "3", stdout=out)
    assert Practice.objects.get().is_demo
    assert "clinician@demo.rapport.test" in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()
    assert "guardian." not in out.getvalue()  # guardians without a password are not listed
    with pytest.raises(CommandError, match="already loaded"):
        call_command("demo", stdout=StringIO())
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "demo not loaded" in out.getvalue()
    assert "clinician@demo.rapport.test" in out.getvalue()
    assert "rapport-demo-2026" in out.getvalue()
    assert Practice.objects.count() == 1


def test_demo_builds_with_a_few_bulk_queries(db: None, django_assert_max_num_queries: Any) -> None:
    # Bulk inserts only, nothing per row: ~40 clients and ~700 sessions would need thousands.
    # The build takes 160 queries on SQLite and 161 on PostgreSQL (its score-status batch goes
    # through a temporary table); the margin lets the demo grow by a few kinds of record.
    with django_assert_max_num_queries(175):
        summary = build_demo_practice(today=TODAY)
    assert summary.counts["responses"] > 500 and summary.counts["alerts"] == 2
