"""Storing the practice-dashboard figures: one short write of what the refresh computed."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from rapport.accounts.models import User
from rapport.audit.services import audit_record
from rapport.dashboards.models import DashboardSnapshot
from rapport.practices.models import Practice


@transaction.atomic
def dashboard_snapshot_store(
    *, practice: Practice, values: dict[str, Any], actor: User | None = None
) -> DashboardSnapshot:
    """Store a practice's freshly computed figures (see dashboards.queries.snapshot_values)."""
    snapshot, _ = DashboardSnapshot.objects.update_or_create(practice=practice, defaults=values)
    audit_record(
        actor=actor,
        action="refresh",
        obj=snapshot,
        practice_id=practice.pk,
        detail={"episodes": values["episodes"], "administrations": values["administrations"]},
    )
    return snapshot
