"""The session-feedback chart of an episode."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.dates import MONTHS_3
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from rapport.alerts.models import Alert
from rapport.alliance.models import AllianceSettings
from rapport.alliance.queries import SessionAlliance, alliance_by_session, alliance_score_range
from rapport.care.models import Episode
from rapport.charts.layout import score_axis
from rapport.charts.lines import LineChart, Marker, Series
from rapport.consent import viewer_shared
from rapport.measures.models import Response


def alliance_chart(episode: Episode) -> LineChart:
    """Client, therapist and guardian totals over sessions, with alerts and ruptures marked."""
    rows = alliance_by_session(episode)

    def series(label: str, pick: Callable[[SessionAlliance], Response | None]) -> Series:
        points = [(row.session.scheduled_start, pick(row)) for row in rows]
        kept = [(x, float(r.total or 0)) for x, r in points if r is not None]
        return Series(label, [x for x, _ in kept], [y for _, y in kept])

    # What a handoff's consent withholds from the reader is left out (rapport.consent).
    alerts = viewer_shared(
        Alert.objects.filter(episode=episode, session__isnull=False), episode.client_id
    ).exclude(kind="risk")
    cutoff = AllianceSettings.for_practice(episode.practice_id).low_total_cutoff
    lines = [
        series(_("Client"), lambda row: row.client),
        series(_("Therapist"), lambda row: row.therapist),
        series(_("Guardian"), lambda row: row.guardians[0] if row.guardians else None),
    ]
    scale = alliance_score_range(episode, rows)
    rupture = _("rupture")
    return LineChart(
        title=_("Session feedback (total of %(high)s)") % {"high": f"{scale[1]:g}"},
        y_label=_("Total"),
        y_range=score_axis(scale),
        series=lines,
        alerts=[
            Marker(a.session.scheduled_start, a.get_kind_display())
            for a in alerts.select_related("session")
            if a.session
        ],
        ruptures=[
            Marker(r.session.scheduled_start if r.session else r.opened_at, rupture)
            for r in viewer_shared(episode.ruptures.all(), episode.client_id).select_related(
                "session"
            )
        ],
        threshold=cutoff,
        threshold_label=_("practice cut-off"),
        rupture_label=rupture,
        alert_label=_("alert"),
        month_names=month_names(),
    )


def month_names() -> tuple[str, ...]:
    """The dates' month abbreviations in the reader's language ("jun" in Spanish, written in
    lower case as Spanish does); none in English, whose dates stay as they were drawn."""
    if (get_language() or "en").startswith("en"):
        return ()
    return tuple(str(MONTHS_3[month]) for month in range(1, 13))
