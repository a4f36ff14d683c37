from __future__ import annotations

from django.db import models


class Alert(models.Model):
    """Something about a client that a clinician must look at, acknowledge and resolve.

    Opened by rules (a risk item, off track, low alliance, a plan review falling due, ...), never
    typed by hand; each carries its reason in words. Acknowledging needs a note of what was done.
    """

    class Kind(models.TextChoices):
        RISK = "risk", "Risk item"
        LOW_ALLIANCE = "low_alliance", "Low alliance"
        ALLIANCE_DROP = "alliance_drop", "Alliance drop"
        DISAGREEMENT = "disagreement", "Therapist and client disagree"
        CHILD_GUARDIAN = "child_guardian_discrepancy", "Young person and guardian disagree"
        GOALS_LOW = "goals_low", "Goals item low: plan review suggested"
        CEILING = "ceiling", "Always top scores: invite honest feedback"
        AT_RISK = "at_risk", "At risk of not improving"
        OFF_TRACK = "off_track", "Off track"
        DETERIORATION = "deterioration", "Reliable deterioration"
        PLAN_REVIEW = "plan_review", "Plan review due"
        PLAN_CHANGES = "plan_changes", "Changes to the plan asked for"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

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

    class Meta:
        ordering = ["-urgent", "-opened_at"]
        indexes = [models.Index(fields=["episode", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} alert for {self.client} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN
