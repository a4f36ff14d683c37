"""Case conceptualization and the treatment plan: problems, versioned plans, goals and progress.

A plan is a series of versions. A draft may be edited until it is proposed to the client; from
then on its content is frozen (`PlanVersion.save` and `PlanGoal.save` refuse changes), so every
revision is a new version with its own reason, and the history can always be compared. Goals keep
a stable `key` from version to version, so ratings and counts follow the goal, not the version.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rapport.accounts.models import Role, User
from rapport.care.models import Modality

# The approaches a plan version may name (a form's choices and the plan's wording).
APPROACH_TAGS = [
    ("CBT", _("CBT")),
    ("exposure", _("Exposure")),
    ("behavioural activation", _("Behavioural activation")),
    ("family work", _("Family work")),
    ("parent training", _("Parent training")),
    ("psychoeducation", _("Psychoeducation")),
    ("relaxation", _("Relaxation")),
    ("sleep", _("Sleep")),
    ("problem solving", _("Problem solving")),
]


class Problem(models.Model):
    """One difficulty on an episode's problem list, in the client's words and the clinician's."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        IMPROVING = "improving", _("Improving")
        RESOLVED = "resolved", _("Resolved")
        DROPPED = "dropped", _("Dropped")

    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="problems")
    title = models.CharField(max_length=120)
    client_words = models.TextField(
        blank=True, help_text=_("How the client puts it, in their words.")
    )
    description = models.TextField(blank=True, help_text=_("Your description."))
    onset = models.TextField(blank=True, help_text=_("When it started and in what context."))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    measure_families = models.JSONField(
        default=list, blank=True, help_text=_("Measure families that follow this problem.")
    )
    priority = models.PositiveSmallIntegerField(help_text=_("1 is what the client wants first."))
    created_at = models.DateTimeField()
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "episode__client"
    access_select_related: ClassVar[tuple[str, ...]] = ("episode__client", "episode__practice")

    class Meta:
        ordering = ["priority", "pk"]

    def __str__(self) -> str:
        return self.title


class ProblemChange(models.Model):
    """The problem list's history: every create, edit and reorder, with what changed."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField()
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16)  # "created", "updated", "reordered"
    changes = models.JSONField(default=dict)  # field -> [before, after]

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.problem} at {self.at:%Y-%m-%d %H:%M}"


class PlanVersion(models.Model):
    """One version of an episode's treatment plan."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PROPOSED = "proposed", _("Proposed to the client")
        ACCEPTED = "accepted", _("Accepted")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        # A later version was proposed before anyone answered this one: it can't be answered.
        SUPERSEDED = "superseded", _("Replaced before an answer")

    class Reviewers(models.TextChoices):
        CLIENT = "client", _("The client")
        GUARDIAN = "guardian", _("The parent or guardian")
        BOTH = "both", _("The client and the parent or guardian")

    class ReviewUnit(models.TextChoices):
        SESSIONS = "sessions", _("sessions")
        WEEKS = "weeks", _("weeks")

    # What makes up the agreement: frozen once the version is proposed.
    CONTENT_FIELDS = (
        "reason",
        "shared_formulation",
        "private_formulation",
        "approach",
        "approach_tags",
        "session_frequency",
        "modality",
        "participants",
        "review_every",
        "review_unit",
        "reviewers",
    )

    episode = models.ForeignKey(
        "care.Episode", on_delete=models.PROTECT, related_name="plan_versions"
    )
    number = models.PositiveSmallIntegerField()
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="revisions"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    reason = models.TextField(help_text=_("Why this version: what the client asked, a review, ..."))
    shared_formulation = models.TextField(
        "how we understand things",
        blank=True,
        help_text=_("Our shared understanding, in plain language the client will read."),
    )
    private_formulation = models.TextField(
        blank=True,
        help_text=_("Your private formulation notes: never shown to the client or their family."),
    )
    approach = models.TextField(
        "what we will do", blank=True, help_text=_("What we will do, in plain language.")
    )
    approach_tags = models.JSONField("approaches", default=list, blank=True)
    session_frequency = models.CharField("how often we meet", max_length=60, blank=True)
    modality = models.CharField("how we meet", max_length=16, choices=Modality.choices, blank=True)
    participants = models.CharField("who takes part", max_length=200, blank=True)
    review_every = models.PositiveSmallIntegerField("review every", default=6)
    review_unit = models.CharField(
        "review counted in", max_length=8, choices=ReviewUnit.choices, default=ReviewUnit.SESSIONS
    )
    reviewers = models.CharField(
        "who reviews", max_length=10, choices=Reviewers.choices, default="client"
    )
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    proposed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Optimistic locking of the draft: each save adds one, and a form carries the number it was
    # loaded at, so two clinicians editing at once can't silently overwrite each other.
    edits = models.PositiveIntegerField(default=0)
    edited_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    edited_at = models.DateTimeField(null=True, blank=True)

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "episode__client"
    access_select_related: ClassVar[tuple[str, ...]] = (
        "episode__client",
        "episode__practice",
        "author",
    )

    class Meta:
        ordering = ["episode", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "number"], name="plan_version_number"),
            models.UniqueConstraint(
                fields=["episode"], condition=Q(status="draft"), name="one_plan_draft_per_episode"
            ),
            models.CheckConstraint(
                condition=Q(review_every__gte=1) & Q(review_every__lte=52),
                name="plan_review_every_sensible",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan version {self.number} ({self.get_status_display()})"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            stored = (
                PlanVersion.objects.filter(pk=self.pk)
                .values("status", *self.CONTENT_FIELDS)
                .first()
            )
            frozen = stored is not None and stored["status"] != self.Status.DRAFT
            if frozen and any(getattr(self, f) != stored[f] for f in self.CONTENT_FIELDS):
                raise ValidationError(
                    _("A proposed plan version can't be changed: start a revision instead.")
                )
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def portal_visible(cls, user: User) -> models.QuerySet[PlanVersion]:
        """Versions proposed or decided (never a draft) of a client's own plan, or of a linked
        young person's plan for a guardian whose link shares plan summaries."""
        shown = cls.objects.exclude(status="draft")
        if user.role == Role.CLIENT:
            return shown.filter(episode__client__user=user)
        if user.role == Role.GUARDIAN:
            return shown.filter(
                episode__client__guardian_links__guardian=user,
                episode__client__guardian_links__is_active=True,
                episode__client__guardian_links__may_see_plan_summary=True,
            ).distinct()
        return cls.objects.none()

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def parties(self) -> set[str]:
        """Who must accept this version: the client, the guardian, or both."""
        return {"both": {"client", "guardian"}}.get(self.reviewers, {self.reviewers})


class PlanGoal(models.Model):
    """A goal of one plan version; `key` is the same goal in every version."""

    class Benchmark(models.TextChoices):
        MEASURE_TARGET = "measure_target", _("A measure score reaching a target")
        RELIABLE_IMPROVEMENT = "reliable_improvement", _("Reliable improvement on a measure")
        RATING = "rating", _("The client's own 0–10 rating of this goal")
        COUNT = "count", _("A count of a behaviour, recorded in session")

    class CountDirection(models.TextChoices):
        AT_LEAST = "at_least", _("at least")
        AT_MOST = "at_most", _("at most")

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="goals")
    key = models.UUIDField(default=uuid.uuid4)
    title = models.CharField("goal", max_length=200, help_text=_("In the client's own words."))
    problems = models.ManyToManyField(Problem, blank=True, related_name="goals")
    target_date = models.DateField(null=True, blank=True)
    benchmark = models.CharField("how we will know", max_length=24, choices=Benchmark.choices)
    family = models.CharField("measure", max_length=64, blank=True)
    subscale = models.CharField(max_length=64, blank=True)
    target = models.FloatField(null=True, blank=True)
    count_direction = models.CharField(
        max_length=10, choices=CountDirection.choices, default=CountDirection.AT_LEAST
    )
    position = models.PositiveSmallIntegerField(default=0)
    # Optimistic locking, as on the version: the edit form carries the number it was loaded at.
    edits = models.PositiveIntegerField(default=0)

    # Whose record this is, for rapport.access.load.
    client_path: ClassVar[str] = "version__episode__client"
    access_select_related: ClassVar[tuple[str, ...]] = ("version__episode__client",)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="goal_key_once_per_version"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        if not PlanVersion.objects.filter(pk=self.version_id, status="draft").exists():
            raise ValidationError(_("Goals of a proposed plan version can't be changed."))
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if not PlanVersion.objects.filter(pk=self.version_id, status="draft").exists():
            raise ValidationError(_("Goals of a proposed plan version can't be removed."))
        return super().delete(*args, **kwargs)  # type: ignore[arg-type]


class PlanDecision(models.Model):
    """A client's or guardian's answer to a proposed version: accepted, or changes asked for."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        CHANGES_REQUESTED = "changes_requested", _("Asked for changes")

    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="decisions")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    party = models.CharField(max_length=10)  # "client" or "guardian"
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)
    at = models.DateTimeField()
    # The therapist's answer to a request for changes, shown to the person who asked.
    reply = models.TextField(blank=True)
    replied_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "party"], name="one_answer_per_party"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.party} on version {self.version_id}"

    @property
    def in_session(self) -> bool:
        """Given in session and recorded by the therapist, rather than in the portal."""
        return bool(self.by.is_practice_staff)

    @property
    def who(self) -> str:
        if self.in_session:
            return f"the {self.party} (in session, recorded by {self.by.full_name})"
        return self.by.full_name


class GoalRating(models.Model):
    """The client's 0–10 rating of progress on a goal (given by them, or taken in session)."""

    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="+")
    goal_key = models.UUIDField(db_index=True)
    value = models.PositiveSmallIntegerField()
    session = models.ForeignKey(
        "care.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(value__lte=10), name="goal_rating_0_to_10"),
        ]

    def __str__(self) -> str:
        return f"{self.value}/10 on {self.recorded_at:%Y-%m-%d}"


class BehaviourCount(models.Model):
    """How often a goal's behaviour happened, recorded in session."""

    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="+")
    goal_key = models.UUIDField(db_index=True)
    count = models.PositiveIntegerField()
    session = models.ForeignKey(
        "care.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.count} on {self.recorded_at:%Y-%m-%d}"


class PlanReview(models.Model):
    """A review of the plan with the client: what works, what does not, what changes."""

    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="reviews")
    working = models.TextField()
    not_working = models.TextField(blank=True)
    changes = models.TextField(blank=True)
    revision = models.OneToOneField(
        PlanVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="from_review"
    )
    at = models.DateTimeField()
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"Plan review on {self.at:%Y-%m-%d}"
