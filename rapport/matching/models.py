"""The stuck-case review: what a clinician saw, thought and decided about a case that is not
moving (issue 14, part 1). The rules are in rapport.core.case_review."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from rapport.core import case_review as rules


class StuckCaseReview(models.Model):
    """One review of one episode: opened from a signal (or by hand), then completed with the
    checklist's answers, the ways forward chosen and a follow-up date.

    `facts` keeps what the review page showed of the data when the review was completed, so the
    record says what the clinician saw even after later scores change the picture."""

    class Trigger(models.TextChoices):
        OFF_TRACK = rules.Trigger.OFF_TRACK.value, rules.TRIGGER_WORDS[rules.Trigger.OFF_TRACK]
        RUPTURE = rules.Trigger.RUPTURE.value, rules.TRIGGER_WORDS[rules.Trigger.RUPTURE]
        PLAN_REVIEW = (
            rules.Trigger.PLAN_REVIEW.value,
            rules.TRIGGER_WORDS[rules.Trigger.PLAN_REVIEW],
        )
        BY_HAND = rules.Trigger.BY_HAND.value, rules.TRIGGER_WORDS[rules.Trigger.BY_HAND]

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    episode = models.ForeignKey(
        "care.Episode", on_delete=models.PROTECT, related_name="case_reviews"
    )
    opened_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    alert = models.ForeignKey(
        "alerts.Alert", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rupture = models.ForeignKey(
        "alliance.Rupture", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    facts = models.JSONField(default=dict, blank=True)
    # {item key: {"answer": "fine" | "concern" | "unsure", "note": "..."}}, CHECKLIST's keys.
    answers = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=list, blank=True)  # rules.Option values
    decision = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    follow_up_on = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "episode__client"
    access_select_related: ClassVar[tuple[str, ...]] = (
        "episode__client",
        "episode__primary_clinician",
        "opened_by",
        "decided_by",
        "alert",
        "rupture",
    )

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["episode", "status"])]

    def __str__(self) -> str:
        return f"Case review of {self.opened_at:%Y-%m-%d} in {self.episode}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def option_words(self) -> list[str]:
        return [rules.OPTION_WORDS[rules.Option(value)] for value in self.options]

    @property
    def answer_rows(self) -> list[tuple[rules.ChecklistItem, str, str]]:
        """Each checklist item with its answer in words and its note, in the checklist's order."""
        rows = []
        for item in rules.CHECKLIST:
            given = self.answers.get(item.key) or {}
            answer = given.get("answer", "")
            words = rules.ANSWER_WORDS.get(rules.Answer(answer), "") if answer else ""
            rows.append((item, words, str(given.get("note", ""))))
        return rows


class TherapistProfile(models.Model):
    """What a therapist offers, for matching a client to them (issue 14, part 3): edited by the
    therapist and by the practice admin. The self-described characteristics are shown, and may
    be filtered on, only with the therapist's consent (`share_characteristics`); similarity on
    them is never presented as a better outcome (the evidence is on retention, not outcomes)."""

    class Population(models.TextChoices):
        CHILDREN = "children", "Children"
        ADOLESCENTS = "adolescents", "Adolescents"
        ADULTS = "adults", "Adults"
        COUPLES = "couples", "Couples"

    class Modality(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        VIDEO = "video", "Video"
        PHONE = "phone", "Phone"

    class Day(models.TextChoices):
        MON = "mon", "Monday"
        TUE = "tue", "Tuesday"
        WED = "wed", "Wednesday"
        THU = "thu", "Thursday"
        FRI = "fri", "Friday"
        SAT = "sat", "Saturday"
        SUN = "sun", "Sunday"

    user = models.OneToOneField(
        "accounts.User", on_delete=models.PROTECT, related_name="therapist_profile"
    )
    practice = models.ForeignKey("practices.Practice", on_delete=models.PROTECT, related_name="+")
    languages = models.JSONField(default=list, blank=True)
    approaches = models.JSONField(default=list, blank=True)
    populations = models.JSONField(default=list, blank=True)  # Population values
    modalities = models.JSONField(default=list, blank=True)  # Modality values
    days = models.JSONField(default=list, blank=True)  # Day values
    hours = models.CharField(max_length=200, blank=True)
    capacity = models.PositiveSmallIntegerField(default=0, help_text="Open places.")
    gender = models.CharField(max_length=100, blank=True)
    age_range = models.CharField(max_length=100, blank=True)
    cultural_background = models.CharField(max_length=200, blank=True)
    faith = models.CharField(max_length=100, blank=True)
    share_characteristics = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Therapist profile of {self.user}"


class ClientPreference(models.Model):
    """One of a client's preferences about their therapist, marked must / prefer / no matter
    (issue 14, part 3). A "must" is a hard filter when matching; "prefer" ranks; "no matter"
    records that the client was asked. Style is two axes: directive or exploratory, gentle or
    challenging."""

    class Kind(models.TextChoices):
        LANGUAGE = "language", "Language"
        APPROACH = "approach", "Approach"
        MODALITY = "modality", "How sessions happen"
        DAYS = "days", "Days"
        GENDER = "gender", "Therapist's gender"
        AGE_RANGE = "age_range", "Therapist's age"
        CULTURAL_BACKGROUND = "cultural_background", "Therapist's cultural background"
        FAITH = "faith", "Therapist's faith"
        DIRECTIVE = "directive", "Directive or exploratory"
        CHALLENGE = "challenge", "Gentle or challenging"

    class Strength(models.TextChoices):
        MUST = "must", "Must"
        PREFER = "prefer", "Prefer"
        NO_MATTER = "no_matter", "No matter"

    client = models.ForeignKey(
        "people.Client", on_delete=models.PROTECT, related_name="therapist_preferences"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    value = models.CharField(max_length=200, blank=True)
    strength = models.CharField(max_length=12, choices=Strength.choices)
    updated_at = models.DateTimeField(auto_now=True)

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "client"
    access_select_related: ClassVar[tuple[str, ...]] = ("client",)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "kind"], name="one_preference_of_a_kind_per_client"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value} ({self.strength})"
