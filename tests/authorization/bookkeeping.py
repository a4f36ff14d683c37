"""What a denied request must leave untouched, and what any request may write."""

from __future__ import annotations

import functools
import re
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.alliance.models import AllianceSettings, RepairAction, Rupture
from rapport.audit.models import BreakGlassGrant
from rapport.care.models import Episode, EpisodeTransfer, Session
from rapport.measures.models import AccessLink, Assignment, MeasurePlan
from rapport.measures.models import Response as MeasureResponse
from rapport.people.models import Client, GuardianLink
from rapport.practices.models import Practice, Team


def recorded_state() -> dict[str, list[dict[str, Any]]]:
    """Everything a denied request must leave untouched (sign-in bookkeeping aside)."""
    user_fields = [f.attname for f in User._meta.concrete_fields if f.name != "last_login"]
    return {
        "practices": list(Practice.objects.order_by("pk").values()),
        "teams": list(Team.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values(*user_fields)),
        "clients": list(Client.objects.order_by("pk").values()),
        "guardian_links": list(GuardianLink.objects.order_by("pk").values()),
        "episodes": list(Episode.objects.order_by("pk").values()),
        "episode_team": list(Episode.team_members.through.objects.order_by("pk").values()),
        "transfers": list(EpisodeTransfer.objects.order_by("pk").values()),
        "sessions": list(Session.objects.order_by("pk").values()),
        "break_glass": list(BreakGlassGrant.objects.order_by("pk").values()),
        "measure_plans": list(MeasurePlan.objects.order_by("pk").values()),
        "assignments": list(Assignment.objects.order_by("pk").values()),
        "access_links": list(AccessLink.objects.order_by("pk").values()),
        "responses": list(MeasureResponse.objects.order_by("pk").values()),
        "alerts": list(Alert.objects.order_by("pk").values()),
        "alliance_settings": list(AllianceSettings.objects.order_by("pk").values()),
        "ruptures": list(Rupture.objects.order_by("pk").values()),
        "repair_actions": list(RepairAction.objects.order_by("pk").values()),
    }


WRITE_STATEMENT = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
# What any request may write, allowed or not: the audit trail, the sign-in session and the count
# of tries at measure links (their rate limit).
BOOKKEEPING_TABLES = {
    "audit_auditevent",
    "audit_auditchainhead",
    "django_session",
    "measures_linkattempt",
}


def tables_written(queries: CaptureQueriesContext) -> set[str]:
    return {
        match.group(1)
        for query in queries.captured_queries
        if (match := WRITE_STATEMENT.match(query["sql"]))
    }


# What opening a page may leave besides the bookkeeping: django-axes' record of a sign-in attempt.
OPENING_MAY_WRITE = BOOKKEEPING_TABLES | {
    "axes_accessattempt",
    "axes_accesslog",
    "axes_accessfailurelog",
}


def row_counts() -> dict[str, int]:
    """Every table's row count, in one statement: a statement per table made this check cost
    more than the request it checks (thousands of round trips per module on PostgreSQL)."""
    tables = counted_tables()
    counts = ", ".join(f'(SELECT COUNT(*) FROM "{table}")' for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")  # noqa: S608 - names from the schema
        return dict(zip(tables, cursor.fetchone(), strict=True))


@functools.cache
def counted_tables() -> tuple[str, ...]:
    """The tables to count: the schema does not change while the tests run."""
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    return tuple(table for table in names if table not in OPENING_MAY_WRITE)
