"""Demo expected trajectories: fit the demo practice's measures, classify every score, and store
the alerts the open episodes' latest scores call for.

With its former clients the demo meets the product's default minimums, so it uses the
defaults: the PHQ-9 and GAD-7 get a model, the Rapport check-in (a handful of young clients)
stays on the transparent rule. Both paths show.
Alerts are stored in bulk and dated at their score, like the other demo alerts: those of the
last two weeks are open, older ones acknowledged and resolved.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from rapport.alerts.models import Alert
from rapport.care.models import Episode, EpisodeStatus
from rapport.practices.models import Practice
from rapport.trajectories.alert_reasons import alert_reason
from rapport.trajectories.models import TrajectorySettings
from rapport.trajectories.services import refit_practice

OPEN_FOR = timedelta(days=14)
ACKNOWLEDGEMENT = "Reviewed the course with the client; adjusting the plan."
RESOLUTION = "Scores back within the expected range after the change of plan."


def build_demo_trajectories(
    *, practice: Practice, episodes: list[Episode], today: date
) -> dict[str, int]:
    settings = TrajectorySettings.objects.create(practice=practice)
    fits = refit_practice(practice=practice, settings=settings)
    by_id = {episode.pk: episode for episode in episodes}
    open_since = datetime.combine(today, time(), tzinfo=practice.zone) - OPEN_FOR
    alerts: dict[tuple[int, str], Alert] = {}
    for fit in fits:
        intake = {row.episode_id: row.total for row in fit.rows if row.session == 1}
        latest = {row.episode_id: (row, c) for row, c in fit.classified}  # rows are in order
        for episode_id, (row, classification) in sorted(latest.items()):
            episode = by_id[episode_id]
            kind = settings.alert_kind_for(classification)
            if episode.status == EpisodeStatus.CLOSED or kind is None:
                continue
            alert = Alert.raised(
                episode=episode,
                kind=kind,
                reason=alert_reason(
                    fit.instruments[0],
                    fit.expected,
                    settings,
                    row,
                    intake[episode_id],
                    classification,
                ),
                opened_at=row.at,
            )
            # The fit's rows carry ids only; loading each session and response would be slower.
            alert.session_id, alert.source_response_id = row.session_id, row.response_id
            if row.at < open_since:
                alert.status = Alert.Status.RESOLVED
                alert.acknowledged_at = row.at + timedelta(days=2)
                alert.acknowledged_by = episode.primary_clinician
                alert.acknowledgement_note = ACKNOWLEDGEMENT
                alert.resolved_at = row.at + timedelta(days=9)
                alert.resolved_by = episode.primary_clinician
                alert.resolution_note = RESOLUTION
            alerts.setdefault((episode_id, kind), alert)  # one per kind and episode
    Alert.objects.bulk_create(alerts.values())
    return {
        "trajectory_models": sum(1 for fit in fits if fit.expected.method == "model"),
        "trajectory_rules": sum(1 for fit in fits if fit.expected.method == "rule"),
        "classified_scores": sum(len(fit.classified) for fit in fits),
        "trajectory_alerts": len(alerts),
    }
