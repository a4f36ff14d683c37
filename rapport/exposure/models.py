"""Fear ladders: feared situations, easiest first, and every practice attempt at each step.

A step's status (not started, practising, mastered) is computed from its attempts by the
ladder's mastery rule (core.exposure), never typed in.
"""

from __future__ import annotations

from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.accounts.models import Role, User
from rapport.core import exposure as rules
from rapport.people.models import GuardianLink

SUDS_VALIDATORS = [MinValueValidator(rules.SUDS_MIN), MaxValueValidator(rules.SUDS_MAX)]


class Ladder(models.Model):
    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="ladders")
    # The plan's stable goal key, not a foreign key: goals are versioned by the plans app, and
    # a ladder stays with its goal across versions.
    goal_key = models.UUIDField(null=True, blank=True)
    title = models.CharField(
        max_length=120, help_text=_("What the ladder is about, in the client's words.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    mastery_peak_suds = models.PositiveSmallIntegerField(
        default=rules.MASTERY_PEAK_SUDS,
        validators=SUDS_VALIDATORS,
        help_text=_("A step is mastered when the peak distress is at most this…"),
    )
    mastery_fall_percent = models.PositiveSmallIntegerField(
        default=rules.MASTERY_FALL_PERCENT,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("…or this many per cent below the first attempt…"),
    )
    mastery_consecutive = models.PositiveSmallIntegerField(
        default=rules.MASTERY_CONSECUTIVE,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("…on this many attempts in a row."),
    )

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "episode__client"
    access_select_related: ClassVar[tuple[str, ...]] = ("episode__client", "episode__practice")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def portal_visible(cls, user: User) -> models.QuerySet[Ladder]:
        """Ladders of an open episode: a client's own, or a linked young person's for a guardian
        when the clinician shares plan summaries with them."""
        open_ladders = cls.objects.filter(episode__status__in=["active", "on_hold"])
        if user.role == Role.CLIENT:
            return open_ladders.filter(episode__client__user=user)
        if user.role == Role.GUARDIAN:
            shared = GuardianLink.objects.filter(
                guardian=user, is_active=True, may_see_plan_summary=True
            ).values("client_id")
            return open_ladders.filter(episode__client__in=shared)
        return cls.objects.none()

    @property
    def rule(self) -> rules.MasteryRule:
        return rules.MasteryRule(
            peak_at_most=self.mastery_peak_suds,
            fall_percent=self.mastery_fall_percent,
            consecutive=self.mastery_consecutive,
        )


class Step(models.Model):
    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="steps")
    situation = models.CharField(max_length=200)
    expected_suds = models.PositiveSmallIntegerField(
        validators=SUDS_VALIDATORS,
        help_text=_("Expected distress (0–100) when the ladder was set up."),
    )
    position = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "ladder__episode__client"
    access_select_related: ClassVar[tuple[str, ...]] = ("ladder__episode__client",)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.situation


class Attempt(models.Model):
    class Setting(models.TextChoices):
        IN_SESSION = "in_session", _("In session")
        HOMEWORK = "homework", _("Homework")

    class Via(models.TextChoices):
        CLINIC = "clinic", _("Recorded by the clinician")
        PORTAL = "portal", _("Recorded in the portal")

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="attempts")
    practised_on = models.DateField()
    setting = models.CharField(max_length=16, choices=Setting.choices)
    anticipated_suds = models.PositiveSmallIntegerField(validators=SUDS_VALIDATORS)
    peak_suds = models.PositiveSmallIntegerField(validators=SUDS_VALIDATORS)
    end_suds = models.PositiveSmallIntegerField(validators=SUDS_VALIDATORS, null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_via = models.CharField(max_length=8, choices=Via.choices)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["practised_on", "recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.step} on {self.practised_on:%Y-%m-%d}"
