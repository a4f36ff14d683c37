"""The stuck-case review: what a clinician saw, thought and decided about a case that is not
moving (issue 14, part 1). The rules are in rapport.core.case_review."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rapport.core import case_review as rules
from rapport.core import fit_check as fit_rules
from rapport.practices.models import PracticeSettingsRow


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
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

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
        # The core's English words, translated for the reader (matching.forms lists them).
        return [gettext(rules.OPTION_WORDS[rules.Option(value)]) for value in self.options]

    @property
    def answer_rows(self) -> list[tuple[rules.ChecklistItem, str, str]]:
        """Each checklist item with its answer in words and its note, in the checklist's order."""
        rows = []
        for item in rules.CHECKLIST:
            given = self.answers.get(item.key) or {}
            answer = given.get("answer", "")
            words = gettext(rules.ANSWER_WORDS[rules.Answer(answer)]) if answer else ""
            rows.append((item, words, str(given.get("note", ""))))
        return rows


class TherapistProfile(models.Model):
    """What a therapist offers, for matching a client to them (issue 14, part 3): edited by the
    therapist and by the practice admin. The self-described characteristics are shown, and may
    be filtered on, only with the therapist's consent (`share_characteristics`); similarity on
    them is never presented as a better outcome (the evidence is on retention, not outcomes)."""

    class Population(models.TextChoices):
        CHILDREN = "children", _("Children")
        ADOLESCENTS = "adolescents", _("Adolescents")
        ADULTS = "adults", _("Adults")
        COUPLES = "couples", _("Couples")

    class Modality(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        VIDEO = "video", _("Video")
        PHONE = "phone", _("Phone")

    class Day(models.TextChoices):
        MON = "mon", _("Monday")
        TUE = "tue", _("Tuesday")
        WED = "wed", _("Wednesday")
        THU = "thu", _("Thursday")
        FRI = "fri", _("Friday")
        SAT = "sat", _("Saturday")
        SUN = "sun", _("Sunday")

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
    capacity = models.PositiveSmallIntegerField(default=0, help_text=_("Open places."))
    gender = models.CharField(max_length=100, blank=True)
    age_range = models.CharField(max_length=100, blank=True)
    cultural_background = models.CharField(max_length=200, blank=True)
    faith = models.CharField(max_length=100, blank=True)
    share_characteristics = models.BooleanField(default=False)
    # How they tend to work, for a client's style preferences (blank: not said).
    directive = models.CharField(
        max_length=12,
        blank=True,
        choices=[("directive", _("More directive")), ("exploratory", _("More exploratory"))],
    )
    challenge = models.CharField(
        max_length=12,
        blank=True,
        choices=[("gentle", _("Gentler")), ("challenging", _("More challenging"))],
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Therapist profile of {self.user}"


class ClientPreference(models.Model):
    """One of a client's preferences about their therapist, marked must / prefer / no matter
    (issue 14, part 3). A "must" is a hard filter when matching; "prefer" ranks; "no matter"
    records that the client was asked. Style is two axes: directive or exploratory, gentle or
    challenging."""

    class Kind(models.TextChoices):
        LANGUAGE = "language", _("Language")
        APPROACH = "approach", _("Approach")
        MODALITY = "modality", _("How sessions happen")
        DAYS = "days", _("Days")
        GENDER = "gender", _("Therapist's gender")
        AGE_RANGE = "age_range", _("Therapist's age")
        CULTURAL_BACKGROUND = "cultural_background", _("Therapist's cultural background")
        FAITH = "faith", _("Therapist's faith")
        DIRECTIVE = "directive", _("Directive or exploratory")
        CHALLENGE = "challenge", _("Gentle or challenging")

    class Strength(models.TextChoices):
        MUST = "must", _("Must")
        PREFER = "prefer", _("Prefer")
        NO_MATTER = "no_matter", _("No matter")

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


def _between(low: int, high: int) -> list[MinValueValidator | MaxValueValidator]:
    return [MinValueValidator(low), MaxValueValidator(high)]


class FitCheckSettings(PracticeSettingsRow):
    """Who coordinates fit checks in a practice, and when Rapport suggests a fit conversation
    (the defaults' reasons are in rapport.core.fit_check.SuggestionSettings)."""

    class Coordinator(models.TextChoices):
        # Supervisors by default: a private request carries the client's own words, clinical
        # content that an admin otherwise reads only under break-glass; a supervisor also knows
        # the therapists' caseloads and ways of working. A practice without supervisors (or
        # whose admin is its intake coordinator) chooses admins.
        SUPERVISORS = "supervisors", _("Supervisors")
        ADMINS = "admins", _("Practice admins")

    practice = models.OneToOneField(
        "practices.Practice", on_delete=models.CASCADE, related_name="fit_check_settings"
    )
    coordinator = models.CharField(
        max_length=12,
        choices=Coordinator.choices,
        default=Coordinator.SUPERVISORS,
        help_text=_(
            "Who receives the fit checks clients send privately, and finds a new therapist."
        ),
    )
    alliance_window = models.PositiveSmallIntegerField(
        default=fit_rules.SuggestionSettings.alliance_window,
        validators=_between(*fit_rules.ALLIANCE_WINDOW_RANGE),
        help_text=_("Sessions looked at for a low alliance."),
    )
    alliance_low_sessions = models.PositiveSmallIntegerField(
        default=fit_rules.SuggestionSettings.alliance_low_sessions,
        validators=_between(*fit_rules.ALLIANCE_LOW_RANGE),
        help_text=_(
            "Of those, how many rated low suggest a fit conversation (with a rupture still "
            "open after a repair attempt)."
        ),
    )
    off_track_in_a_row = models.PositiveSmallIntegerField(
        default=fit_rules.SuggestionSettings.off_track_in_a_row,
        validators=_between(*fit_rules.OFF_TRACK_RANGE),
        help_text=_("Consecutive off-track scores that suggest a fit conversation."),
    )
    after_session = models.PositiveSmallIntegerField(
        default=fit_rules.SuggestionSettings.after_session,
        validators=_between(*fit_rules.AFTER_SESSION_RANGE),
        help_text=_("Off-track scores count only after this session."),
    )

    def __str__(self) -> str:
        return f"Fit check settings of {self.practice}"

    def clean(self) -> None:
        problems = fit_rules.settings_problems(self.rules())
        if problems:
            raise ValidationError(problems)

    def rules(self) -> fit_rules.SuggestionSettings:
        return fit_rules.SuggestionSettings(
            alliance_window=self.alliance_window,
            alliance_low_sessions=self.alliance_low_sessions,
            off_track_in_a_row=self.off_track_in_a_row,
            after_session=self.after_session,
        )


class FitCheck(models.Model):
    """A question of whether client and therapist are the right match (issue 14, part 2).

    Started in the portal by the client (or a guardian, see rapport.access), or by the
    therapist; its route is rapport.core.fit_check.first_status. A private one (from the portal,
    not to be talked over with the therapist first) is never shown to the current therapist."""

    class Status(models.TextChoices):
        OPEN = fit_rules.Status.OPEN.value, _("Open: talking with the therapist first")
        WITH_COORDINATOR = fit_rules.Status.WITH_COORDINATOR.value, _("With the coordinator")
        AWAITING_APPROVAL = fit_rules.Status.AWAITING_APPROVAL.value, _("Awaiting the supervisor")
        APPROVED = fit_rules.Status.APPROVED.value, _("Approved: with the coordinator")
        DECLINED = fit_rules.Status.DECLINED.value, _("Declined by the supervisor")
        CHOSEN = fit_rules.Status.CHOSEN.value, _("New therapist chosen")
        CLOSED = fit_rules.Status.CLOSED.value, _("Closed")

    class Starter(models.TextChoices):
        CLIENT = fit_rules.Starter.CLIENT.value, _("The client")
        GUARDIAN = fit_rules.Starter.GUARDIAN.value, _("A parent or guardian")
        THERAPIST = fit_rules.Starter.THERAPIST.value, _("The therapist")

    class Reason(models.TextChoices):
        NOT_CONNECTING = (
            fit_rules.Reason.NOT_CONNECTING.value,
            _(fit_rules.REASON_WORDS[fit_rules.Reason.NOT_CONNECTING]),
        )
        DIFFERENT_APPROACH = (
            fit_rules.Reason.DIFFERENT_APPROACH.value,
            _(fit_rules.REASON_WORDS[fit_rules.Reason.DIFFERENT_APPROACH]),
        )
        SPECIALIST_NEED = (
            fit_rules.Reason.SPECIALIST_NEED.value,
            _(fit_rules.REASON_WORDS[fit_rules.Reason.SPECIALIST_NEED]),
        )
        PRACTICAL = (
            fit_rules.Reason.PRACTICAL.value,
            _(fit_rules.REASON_WORDS[fit_rules.Reason.PRACTICAL]),
        )
        CLIENT_PREFERENCE = (
            fit_rules.Reason.CLIENT_PREFERENCE.value,
            _(fit_rules.REASON_WORDS[fit_rules.Reason.CLIENT_PREFERENCE]),
        )
        OTHER = fit_rules.Reason.OTHER.value, _(fit_rules.REASON_WORDS[fit_rules.Reason.OTHER])

    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="fit_checks")
    starter = models.CharField(max_length=12, choices=Starter.choices)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices)
    words = models.TextField(help_text=_("What is not working, in the client's own words."))
    reason = models.CharField(max_length=24, choices=Reason.choices, blank=True)
    talk_first = models.BooleanField(default=False)
    client_asked = models.BooleanField(default=False)
    share_reason = models.BooleanField(
        default=False, help_text=_("The client allows the current therapist to learn the reason.")
    )
    rupture = models.ForeignKey(
        "alliance.Rupture", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_to_coordinator_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    closed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(blank=True)
    # The candidates offered to the client to choose from in the portal (issue 14, part 5):
    # [{"clinician": user id, "strengths": [domain, ...], "met": [preference kind, ...]}], kept
    # as offered so the client chooses among what they were shown (never a caution).
    offered = models.JSONField(default=list, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    chosen_clinician = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    chosen_at = models.DateTimeField(null=True, blank=True)
    chosen_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "episode__client"
    access_select_related: ClassVar[tuple[str, ...]] = (
        "episode__client",
        "episode__primary_clinician",
        "requested_by",
        "decided_by",
        "closed_by",
        "chosen_clinician",
        "chosen_by",
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["episode", "status"])]

    def __str__(self) -> str:
        return f"Fit check of {self.requested_at:%Y-%m-%d} in {self.episode}"

    @property
    def is_private(self) -> bool:
        return fit_rules.is_private(
            starter=fit_rules.Starter(self.starter), talk_first=self.talk_first
        )

    @property
    def is_active(self) -> bool:
        return fit_rules.Status(self.status) in fit_rules.ACTIVE

    @property
    def with_coordinator(self) -> bool:
        return fit_rules.Status(self.status) in fit_rules.WITH_COORDINATOR

    @property
    def choosing(self) -> bool:
        """Candidates are offered and one may be chosen now."""
        return fit_rules.Status(self.status) in fit_rules.CHOOSING

    @property
    def offered_ids(self) -> list[int]:
        return [int(row["clinician"]) for row in self.offered]

    @classmethod
    def portal_visible(cls, user: Any) -> models.QuerySet[FitCheck]:
        """In the portal each person sees the fit checks they asked for themselves: a young
        person's request is their own (as their free text is), and a guardian's is theirs."""
        return cls.objects.filter(requested_by=user).exclude(starter=fit_rules.Starter.THERAPIST)


class FitSuggestionDismissal(models.Model):
    """The therapist set aside Rapport's suggestion of a fit conversation for an episode: it
    comes back only when a session or score later than the dismissal calls for it again."""

    episode = models.ForeignKey("care.Episode", on_delete=models.CASCADE, related_name="+")
    dismissed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    dismissed_at = models.DateTimeField()

    client_path: ClassVar[str] = "episode__client"
    access_select_related: ClassVar[tuple[str, ...]] = ("episode__client",)

    class Meta:
        ordering = ["-dismissed_at", "-pk"]

    def __str__(self) -> str:
        return f"Fit suggestion set aside on {self.dismissed_at:%Y-%m-%d} in {self.episode}"


class ConsultationRecord(models.Model):
    """How a consultation with a possible new therapist went (kind "consultation" sessions),
    recorded once by the candidate therapist or the coordinator. The attendance itself is on the
    session; the note is for the coordinator who helps the client choose, never for the client."""

    session = models.OneToOneField(
        "care.Session", on_delete=models.PROTECT, related_name="consultation_record"
    )
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    client_path: ClassVar[str] = "session__episode__client"
    access_select_related: ClassVar[tuple[str, ...]] = ("session__episode__client",)

    def __str__(self) -> str:
        return f"Consultation of {self.session}"


# The handoff lives in its own module (this one is long enough); imported here so Django finds it.
from rapport.matching.handoff_models import Handoff, HandoffSettings  # noqa: E402, F401
