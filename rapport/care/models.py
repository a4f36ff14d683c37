from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EpisodeStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ON_HOLD = "on_hold", _("On hold")
    CLOSED = "closed", _("Closed")


class ClosureReason(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    DROPPED_OUT = "dropped_out", _("Dropped out")
    REFERRED_OUT = "referred_out", _("Referred out")
    TRANSFERRED = "transferred", _("Transferred")


class Episode(models.Model):
    """An episode of care: one client, a primary clinician and possibly a wider team."""

    practice = models.ForeignKey(
        "practices.Practice", on_delete=models.PROTECT, related_name="episodes"
    )
    client = models.ForeignKey("people.Client", on_delete=models.PROTECT, related_name="episodes")
    primary_clinician = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="primary_episodes"
    )
    team_members = models.ManyToManyField(
        "accounts.User", blank=True, related_name="member_episodes"
    )
    referral_reason = models.TextField(blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=EpisodeStatus.choices, default=EpisodeStatus.ACTIVE
    )
    closure_reason = models.CharField(max_length=16, choices=ClosureReason.choices, blank=True)
    closure_note = models.TextField(blank=True)

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "client"
    access_select_related: ClassVar[tuple[str, ...]] = ("client", "primary_clinician")

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status=EpisodeStatus.CLOSED, end_date__isnull=False) & ~Q(closure_reason="")
                )
                | (~Q(status=EpisodeStatus.CLOSED) & Q(closure_reason="")),
                name="episode_closed_has_reason_and_end",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="episode_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Episode {self.start_date:%d %b %Y} — {self.client}"

    @property
    def is_open(self) -> bool:
        return self.status != EpisodeStatus.CLOSED


class EpisodeTransfer(models.Model):
    """History of who was primary clinician: a transfer never rewrites the episode's past."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="transfers")
    from_clinician = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    to_clinician = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    transferred_at = models.DateTimeField()
    transferred_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["transferred_at"]

    def __str__(self) -> str:
        return f"Transfer on {self.transferred_at:%Y-%m-%d}"


class Modality(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video")
    PHONE = "phone", _("Phone")
    TEXT = "text", _("Text / chat")


class Attendance(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    ATTENDED = "attended", _("Attended")
    CANCELLED_CLIENT = "cancelled_client", _("Cancelled by client")
    CANCELLED_CLINICIAN = "cancelled_clinician", _("Cancelled by clinician")
    NO_SHOW = "no_show", _("Did not attend")


class SessionKind(models.TextChoices):
    THERAPY = "therapy", _("Therapy session")
    # A short meeting of the client with a possible new therapist (issue 14, part 5): not part
    # of the course of therapy, so no session number, no forms, no attendance figures count it.
    CONSULTATION = "consultation", _("Consultation with a possible new therapist")


def when_label(moment: datetime, zone: tzinfo | None = None) -> str:
    """ "Tue 3 Nov 2026, 14:00" in the given zone, else the active one (the practice's)."""
    local = timezone.localtime(moment, zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


class Session(models.Model):
    """One appointment or encounter within an episode."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="sessions")
    clinician = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="sessions"
    )
    scheduled_start = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=50)
    modality = models.CharField(max_length=16, choices=Modality.choices)
    attendance = models.CharField(
        max_length=24, choices=Attendance.choices, default=Attendance.SCHEDULED
    )
    # A database default too: bulk loaders that write rows directly get therapy sessions.
    kind = models.CharField(
        max_length=16,
        choices=SessionKind.choices,
        default=SessionKind.THERAPY,
        db_default=SessionKind.THERAPY,
    )
    private_notes = models.TextField(
        blank=True,
        help_text=_(
            "Seen only by clinicians on this episode and their supervisor — never by the client "
            "or their family."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "episode__client"
    access_select_related: ClassVar[tuple[str, ...]] = ("episode", "episode__client", "clinician")

    class Meta:
        ordering = ["scheduled_start"]
        indexes = [models.Index(fields=["episode", "scheduled_start"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5) & Q(duration_minutes__lte=480),
                name="session_duration_sensible",
            )
        ]

    def __str__(self) -> str:
        # Every chooser and label shows the session as people read it, in the practice's zone
        # (the active one in a request), never as a UTC timestamp.
        return when_label(self.scheduled_start)

    @property
    def scheduled_end(self) -> datetime:
        return self.scheduled_start + timedelta(minutes=self.duration_minutes)

    @property
    def is_consultation(self) -> bool:
        return self.kind == SessionKind.CONSULTATION

    @property
    def is_cancelled(self) -> bool:
        return self.attendance in {Attendance.CANCELLED_CLIENT, Attendance.CANCELLED_CLINICIAN}
