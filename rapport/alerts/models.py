from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rapport.core.text import gettext_noop

if TYPE_CHECKING:
    from rapport.care.models import Episode, Session
    from rapport.measures.models import Response

# A risk alert's reason, in English like every stored reason (rapport.alerts.wording says it).
RISK_REASON = gettext_noop("%(instrument)s: %(message)s")


class AlertQuerySet(models.QuerySet["Alert"]):
    def unresolved(self) -> AlertQuerySet:
        """Open or acknowledged: an acknowledged alert has someone on it but is not dealt with."""
        return self.exclude(status=Alert.Status.RESOLVED)

    def risk_unresolved(self) -> AlertQuerySet:
        """Risk alerts (raised by a response that carries a risk flag) not yet resolved: an
        acknowledged risk has been seen but not yet dealt with, so it still shows as "Risk"
        on the caseload and the dashboard."""
        return self.filter(kind=Alert.Kind.RISK).unresolved()


class Alert(models.Model):
    """Something about a client that a clinician must look at, acknowledge and resolve.

    Opened by rules (a risk item, off track, low alliance, a plan review falling due, ...), never
    typed by hand; each carries its reason in words. Acknowledging needs a note of what was done.
    """

    class Kind(models.TextChoices):
        RISK = "risk", _("Risk question answered")
        LOW_ALLIANCE = "low_alliance", _("Low alliance")
        ALLIANCE_DROP = "alliance_drop", _("Alliance fell")
        DISAGREEMENT = "disagreement", _("Therapist rated the session higher than the client")
        CHILD_GUARDIAN = "child_guardian_discrepancy", _("Young person and guardian disagree")
        GOALS_LOW = "goals_low", _("Goals rated low")
        CEILING = "ceiling", _("Top marks every session")
        AT_RISK = "at_risk", _("At risk of not improving")
        OFF_TRACK = "off_track", _("Off track")
        DETERIORATION = "deterioration", _("Reliably worse than at the start")
        PLAN_REVIEW = "plan_review", _("Plan review due")
        PLAN_CHANGES = "plan_changes", _("Changes to the plan asked for")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("alert status", "Open")
        ACKNOWLEDGED = "acknowledged", pgettext_lazy("alert status", "Acknowledged")
        RESOLVED = "resolved", pgettext_lazy("alert status", "Resolved")

    practice = models.ForeignKey("practices.Practice", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("people.Client", on_delete=models.PROTECT, related_name="alerts")
    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    session = models.ForeignKey(
        "care.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    urgent = models.BooleanField(default=False)
    reason = models.TextField()
    source_response = models.ForeignKey(
        "measures.Response", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledgement_note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    # Urgent alerts: when the clinicians were emailed that one opened from a form done at home,
    # and when an unacknowledged one was escalated to the supervisor and the duty contact.
    notified_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "client"
    access_select_related: ClassVar[tuple[str, ...]] = ("client", "episode")

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-urgent", "-opened_at"]
        indexes = [models.Index(fields=["episode", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} alert for {self.client} ({self.status})"

    @classmethod
    def raised(
        cls,
        *,
        episode: Episode,
        kind: str,
        reason: str,
        opened_at: datetime,
        urgent: bool = False,
        session: Session | None = None,
        source_response: Response | None = None,
    ) -> Alert:
        """An unsaved alert a rule raises about an episode (its practice and client are the
        episode's): the one way one is made, by alert_open and by the demo practice alike."""
        return cls(
            practice_id=episode.practice_id,
            client_id=episode.client_id,
            episode=episode,
            session=session,
            kind=kind,
            urgent=urgent,
            reason=reason,
            source_response=source_response,
            opened_at=opened_at,
        )

    @staticmethod
    def risk_reason(instrument_title: str, flag: dict[str, object]) -> str:
        """Why a risk alert opened: the instrument and the flag's message (see Response.flags)."""
        return RISK_REASON % {"instrument": instrument_title, "message": flag["message"]}

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN
