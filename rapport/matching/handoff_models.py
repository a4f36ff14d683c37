"""The warm handoff to a new therapist (issue 14, part 5): the client's itemised, expiring
consent, the warm step (a joint session or a summary the client reads first), the transfer and
the follow-up. The rules are in rapport.core.handoff; who sees what in rapport.access."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.access import portal_handoff_clients
from rapport.core import handoff as rules
from rapport.practices.models import PracticeSettingsRow


class HandoffSettings(PracticeSettingsRow):
    """How long a client's consent lasts, and when a client who has not started with the new
    therapist is flagged (the defaults' reasons are in rapport.core.handoff)."""

    practice = models.OneToOneField(
        "practices.Practice", on_delete=models.CASCADE, related_name="handoff_settings"
    )
    consent_days = models.PositiveSmallIntegerField(
        default=rules.CONSENT_DAYS,
        validators=[
            MinValueValidator(rules.CONSENT_DAYS_RANGE[0]),
            MaxValueValidator(rules.CONSENT_DAYS_RANGE[1]),
        ],
        help_text=_("Days a client's agreement to share lasts before it is asked again."),
    )
    not_started_days = models.PositiveSmallIntegerField(
        default=rules.NOT_STARTED_DAYS,
        validators=[
            MinValueValidator(rules.NOT_STARTED_DAYS_RANGE[0]),
            MaxValueValidator(rules.NOT_STARTED_DAYS_RANGE[1]),
        ],
        help_text=_(
            "Days after the transfer with no session with the new therapist before the "
            "coordinator is told."
        ),
    )

    def __str__(self) -> str:
        return f"Handoff settings of {self.practice}"


class Handoff(models.Model):
    """One move of a client to a new therapist, begun by the coordinator from a fit check.

    The four `share_*` fields are what the client (or, for a child, the guardian: see
    rapport.access.may_consent_to_handoff) agreed may move; `shared_list` keeps the words they
    were shown when they agreed. Private notes are never an item."""

    class Status(models.TextChoices):
        CONSENT_ASKED = rules.Status.CONSENT_ASKED.value, _("Waiting for the client's consent")
        CONSENTED = rules.Status.CONSENTED.value, _("The client agreed")
        WITHDRAWN = rules.Status.WITHDRAWN.value, _("The client withdrew their consent")
        SUMMARY_SHARED = rules.Status.SUMMARY_SHARED.value, _("Handoff summary written")
        JOINT_BOOKED = rules.Status.JOINT_BOOKED.value, _("Joint session recorded")
        COMPLETED = rules.Status.COMPLETED.value, _("Completed: with the new therapist")
        CANCELLED = rules.Status.CANCELLED.value, _("Cancelled")

    fit_check = models.OneToOneField(
        "matching.FitCheck", on_delete=models.PROTECT, related_name="handoff"
    )
    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="handoffs")
    from_clinician = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="handoffs_from"
    )
    to_clinician = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="handoffs_to"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CONSENT_ASKED)
    started_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    share_measures = models.BooleanField(default=False)
    share_plan = models.BooleanField(default=False)
    share_alliance = models.BooleanField(default=False)
    share_risk_alerts = models.BooleanField(default=False)
    shared_list = models.JSONField(default=list, blank=True)
    consented_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    consented_at = models.DateTimeField(null=True, blank=True)
    consent_expires_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True)
    summary_written_at = models.DateTimeField(null=True, blank=True)
    summary_read_at = models.DateTimeField(null=True, blank=True)
    joint_session = models.ForeignKey(
        "care.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closing_session = models.ForeignKey(
        "care.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transfer = models.OneToOneField(
        "care.EpisodeTransfer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    follow_ups_sent = models.JSONField(default=list, blank=True)  # days, of FOLLOW_UP_DAYS

    client_path: ClassVar[str] = "episode__client"
    access_select_related: ClassVar[tuple[str, ...]] = (
        "episode__client",
        "episode__primary_clinician",
        "from_clinician",
        "to_clinician",
        "fit_check",
        "joint_session",
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["status", "completed_at"])]

    def __str__(self) -> str:
        return f"Handoff of {self.started_at:%Y-%m-%d} in {self.episode}"

    @property
    def rule_status(self) -> rules.Status:
        return rules.Status(self.status)

    @property
    def is_open(self) -> bool:
        return self.rule_status in rules.OPEN

    def consent_in_force(self, now: datetime) -> bool:
        return rules.consent_in_force(
            status=self.rule_status, expires_at=self.consent_expires_at, now=now
        )

    @property
    def shared_items(self) -> frozenset[rules.Item]:
        return frozenset(item for item in rules.ITEMS if getattr(self, f"share_{item.value}"))

    @property
    def warm_step_done(self) -> bool:
        """A joint session was recorded, or the client has read the summary."""
        return self.joint_session_id is not None or self.summary_read_at is not None

    @classmethod
    def portal_visible(cls, user: Any) -> models.QuerySet[Handoff]:
        """In the portal: the handoffs of the clients the person may consent for, or see the
        handoff of (rapport.access.portal_handoff_clients)."""
        return cls.objects.filter(episode__client__in=portal_handoff_clients(user))
