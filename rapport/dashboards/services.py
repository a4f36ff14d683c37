"""Refreshing the stored dashboard figures: on demand, and from the worker when data changed."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import Role, User
from rapport.audit.services import audit_record
from rapport.core.instruments import Instrument
from rapport.dashboards.figures import MIN_CASELOAD, Names, practice_figures
from rapport.dashboards.models import DashboardSnapshot
from rapport.dashboards.reading import data_mark, read_practice
from rapport.measures.reliable import change_rule
from rapport.practices.models import Practice

# The worker refreshes a practice whose data changed at most this often, and every practice at
# least daily (a therapist's name, a transfer between clinicians).
REFRESH_AFTER_CHANGE = timedelta(minutes=10)
REFRESH_ANYWAY = timedelta(days=1)
ALLIANCE_INSTRUMENT = "feedback-client"


def min_caseload() -> int:
    return int(getattr(settings, "RAPPORT_DASHBOARD_MIN_CASELOAD", MIN_CASELOAD))


def outcome_instruments(practice_id: int) -> list[Instrument]:
    """Client-rated outcome measures with a published reliability: those change can be judged on."""
    from rapport.measures.registry import outcome_families

    return [
        instrument
        for found in outcome_families(practice_id).values()
        for instrument in found
        if instrument.reliability is not None
    ]


def _alliance_instrument(practice_id: int) -> Instrument | None:
    from rapport.measures.registry import get_instrument

    try:
        return get_instrument(ALLIANCE_INSTRUMENT, practice_id=practice_id)
    except LookupError:
        return None


def _alliance_cutoff(practice_id: int) -> float:
    """The practice's low-alliance cut-off."""
    from rapport.alliance.models import AllianceSettings

    return float(AllianceSettings.for_practice(practice_id).low_total_cutoff)


def dashboards_refresh(*, practice: Practice, actor: User | None = None) -> DashboardSnapshot:
    """Recompute every practice-dashboard figure from the database and store them."""
    started = time.perf_counter()
    mark = data_mark(practice.pk)
    outcomes = outcome_instruments(practice.pk)
    alliance = _alliance_instrument(practice.pk)
    data = read_practice(practice.pk, [i.id for i in outcomes], alliance.id if alliance else None)
    names = Names(
        therapists=dict(
            User.objects.filter(
                practice=practice, role__in=[Role.CLINICIAN, Role.SUPERVISOR]
            ).values_list("pk", "full_name")
        )
    )
    figures = practice_figures(
        data,
        outcome_instruments=outcomes,
        alliance_instrument=alliance,
        alliance_cutoff=_alliance_cutoff(practice.pk),
        names=names,
        min_caseload=min_caseload(),
        rules={i.id: change_rule(i, practice_id=practice.pk) for i in outcomes},
    )
    values = {
        "computed_at": timezone.now(),
        "seconds": time.perf_counter() - started,
        "figures": figures,
        "clients": len(set(data.client_ids.tolist())),
        "episodes": data.n_episodes,
        "closed_episodes": int(data.closed.sum()),
        "administrations": int(data.response_total.shape[0] + data.rating_counts.sum()),
        "data_mark": mark,
    }
    with transaction.atomic():
        snapshot, _ = DashboardSnapshot.objects.update_or_create(practice=practice, defaults=values)
        audit_record(
            actor=actor,
            action="refresh",
            obj=snapshot,
            practice_id=practice.pk,
            detail={"episodes": values["episodes"], "administrations": values["administrations"]},
        )
    return snapshot


def refresh_is_due(snapshot: DashboardSnapshot | None, mark: str, now: datetime) -> bool:
    if snapshot is None:
        return True
    age = now - snapshot.computed_at
    changed = snapshot.data_mark != mark
    return (changed and age >= REFRESH_AFTER_CHANGE) or age >= REFRESH_ANYWAY


def dashboards_refresh_due(*, now: datetime | None = None) -> int:
    """Refresh every practice whose figures are stale; how many were refreshed."""
    now = now or timezone.now()
    stored = {s.practice_id: s for s in DashboardSnapshot.objects.all()}
    refreshed = 0
    for practice in Practice.objects.all():
        snapshot = stored.get(practice.pk)
        if refresh_is_due(snapshot, data_mark(practice.pk), now):
            dashboards_refresh(practice=practice)
            refreshed += 1
    return refreshed
