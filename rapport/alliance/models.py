from __future__ import annotations

from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.practices.models import PracticeSettingsRow


def _between(low: float, high: float) -> list[MinValueValidator | MaxValueValidator]:
    return [MinValueValidator(low), MaxValueValidator(high)]


class AllianceSettings(PracticeSettingsRow):
    """A practice's thresholds for alliance alerts; defaults are Rapport's (see core.alliance).

    Ranges keep every alert able to fire and not fire: a cut-off of 0 or less, or a difference
    of 0, would switch an alert off or raise it at every session without saying so.
    """

    practice = models.OneToOneField(
        "practices.Practice", on_delete=models.CASCADE, related_name="alliance_settings"
    )
    low_total_cutoff = models.FloatField(
        default=36,
        validators=_between(1, 40),
        help_text=_("Alert when the client's total (0–40) is below this."),
    )
    low_item_value = models.FloatField(
        default=7,
        validators=_between(0, 9),
        help_text=_("Alert when any single item (0–10) is at or below this."),
    )
    drop_from_previous = models.FloatField(
        default=1,
        validators=_between(1, 40),
        help_text=_("Alert when the total falls this much below the previous session."),
    )
    drop_from_recent_mean = models.FloatField(
        default=3,
        validators=_between(1, 40),
        help_text=_("Alert when the total falls this much below the mean of the last three."),
    )
    disagreement_total = models.FloatField(
        default=4,
        validators=_between(1, 40),
        help_text=_("Alert when the therapist's total is this much above the client's."),
    )
    disagreement_item = models.FloatField(
        default=2,
        validators=_between(1, 10),
        help_text=_("Alert when any therapist item is this much above the client's."),
    )
    child_guardian_discrepancy = models.FloatField(
        default=6,
        validators=_between(1, 40),
        help_text=_("Alert when a young person's and a guardian's totals differ this much."),
    )
    goals_item_low = models.FloatField(
        default=6,
        validators=_between(0, 9),
        help_text=_("A goals item at or below this suggests a plan review."),
    )
    ceiling_sessions = models.PositiveSmallIntegerField(
        default=4,
        validators=_between(2, 20),
        help_text=_("Prompt after this many sessions in a row at the maximum score."),
    )
    repair_window_sessions = models.PositiveSmallIntegerField(
        default=3,
        validators=_between(1, 20),
        help_text=_("Sessions within which a rupture must return to its baseline."),
    )
    overdue_alert_days = models.PositiveSmallIntegerField(
        default=7,
        validators=_between(1, 90),
        help_text=_("Supervisors see alerts left open longer than this."),
    )

    def __str__(self) -> str:
        return f"Alliance settings of {self.practice}"


class Rupture(models.Model):
    """A strain in the relationship, opened by an alert or by the therapist, until repaired.

    Whether it is repaired, and how many sessions that took, are computed from the client's
    feedback after it (core.alliance.rupture_status), never typed in.
    """

    class Kind(models.TextChoices):
        WITHDRAWAL = "withdrawal", _("Withdrawal")
        CONFRONTATION = "confrontation", _("Confrontation")
        UNCLEAR = "unclear", _("Unclear")

    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="ruptures")
    session = models.ForeignKey(
        "care.Session", on_delete=models.PROTECT, related_name="ruptures", null=True, blank=True
    )
    alert = models.OneToOneField(
        "alerts.Alert", on_delete=models.PROTECT, null=True, blank=True, related_name="rupture"
    )
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.UNCLEAR)
    client_words = models.TextField(blank=True, help_text=_("What the client said or showed."))
    understanding = models.TextField(
        blank=True, help_text=_("Your understanding of what happened.")
    )

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "episode__client"
    access_select_related: ClassVar[tuple[str, ...]] = ("episode__client", "session", "alert")

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"Rupture of {self.opened_at:%Y-%m-%d} in {self.episode}"


class RepairAction(models.Model):
    class Kind(models.TextChoices):
        TALKED = "talked", _("Talked about it in session")
        ADJUSTED_GOALS = "adjusted_goals", _("Adjusted the goals")
        CHANGED_APPROACH = "changed_approach", _("Changed the approach")
        INVOLVED_SUPERVISOR = "involved_supervisor", _("Involved the supervisor")
        APOLOGISED = "apologised", _("Acknowledged my part")
        OTHER = "other", _("Other")

    rupture = models.ForeignKey(Rupture, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    note = models.TextField(blank=True)
    taken_at = models.DateTimeField()
    taken_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["taken_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.taken_at:%Y-%m-%d})"
