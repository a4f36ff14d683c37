from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from rapport.accounts.forms import SubmitOnceMixin
from rapport.care.models import Episode, Modality
from rapport.plans.goal_status import family_choices
from rapport.plans.models import APPROACH_TAGS, PlanGoal, PlanVersion, Problem


class ProblemForm(forms.Form):
    title = forms.CharField(max_length=120, label=_("Short title"))
    client_words = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("In the client's words")
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Your description")
    )
    onset = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Onset and context")
    )
    status = forms.ChoiceField(choices=Problem.Status.choices, label=_("Status"))
    measure_families = forms.MultipleChoiceField(
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Measures that follow it"),
    )

    def __init__(self, *args: Any, practice_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measure_families"].choices = family_choices(practice_id)  # type: ignore[attr-defined]


class NewProblemForm(SubmitOnceMixin, ProblemForm):
    pass


class EditedSinceMixin(forms.Form):
    """Carries the edit count the page was loaded at (optimistic locking; see the services)."""

    edits = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A hidden field's error would not be shown beside any input: say it for the form.
        if "edits" in self.errors:
            del self.errors["edits"]
            self.add_error(None, _("This page is out of date: reload it, then make your change."))
        return data


class DraftForm(SubmitOnceMixin):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Why this version"),
        help_text=_(
            'For example "first plan, agreed at intake" or "client asked to focus on sleep first".'
        ),
    )


class PlanContentForm(EditedSinceMixin, forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Why this version"))
    shared_formulation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label=_("Our shared understanding (the client reads this)"),
    )
    private_formulation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label=_("Private formulation notes (never shown to the client or family)"),
    )
    approach = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("What we will do")
    )
    approach_tags = forms.MultipleChoiceField(
        choices=APPROACH_TAGS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Approaches"),
    )
    session_frequency = forms.CharField(max_length=60, required=False, label=_("How often we meet"))
    modality = forms.ChoiceField(
        choices=[("", "—"), *Modality.choices], required=False, label=_("How we meet")
    )
    participants = forms.CharField(max_length=200, required=False, label=_("Who takes part"))
    review_every = forms.IntegerField(min_value=1, max_value=52, label=_("Review every"))
    review_unit = forms.ChoiceField(choices=PlanVersion.ReviewUnit.choices, label=_("Unit"))
    reviewers = forms.ChoiceField(
        choices=PlanVersion.Reviewers.choices, label=_("Who reviews and accepts this version")
    )

    def __init__(self, *args: Any, private_notes: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not private_notes:
            # Someone who may not read the private notes (a therapist a handoff brought in,
            # on a draft from before it) neither sees nor overwrites them.
            del self.fields["private_formulation"]


class GoalForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Goal, in the client's words"))
    problems = forms.ModelMultipleChoiceField(
        queryset=Problem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Problems it addresses"),
    )
    target_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("Target date")
    )
    benchmark = forms.ChoiceField(choices=PlanGoal.Benchmark.choices, label=_("How we will know"))
    family = forms.ChoiceField(choices=[], required=False, label=_("Measure"))
    subscale = forms.CharField(max_length=64, required=False, label=_("Subscale (optional)"))
    target = forms.FloatField(
        required=False,
        label=_("Target"),
        help_text=_(
            "A score to get below (or reach, where higher is better), a rating, or a count."
        ),
    )
    count_direction = forms.ChoiceField(
        choices=PlanGoal.CountDirection.choices, label=_("For counts: the target is")
    )

    def __init__(self, *args: Any, episode: Episode, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["problems"].queryset = Problem.objects.filter(episode=episode)  # type: ignore[attr-defined]
        self.fields["family"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *family_choices(episode.practice_id),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        benchmark = data.get("benchmark")
        if benchmark in ("measure_target", "reliable_improvement") and not data.get("family"):
            self.add_error("family", _("Choose the measure this goal is judged on."))
        if benchmark != "reliable_improvement" and data.get("target") is None:
            self.add_error("target", _("Give the target this goal should reach."))
        target = data.get("target")
        if benchmark == "rating" and target is not None and not 0 <= target <= 10:
            self.add_error("target", _("A rating target is between 0 and 10."))
        return data


class NewGoalForm(SubmitOnceMixin, GoalForm):
    pass


class GoalEditForm(EditedSinceMixin, GoalForm):
    pass


class GoalRatingForm(SubmitOnceMixin):
    goal_key = forms.UUIDField(widget=forms.HiddenInput)
    value = forms.IntegerField(min_value=0, max_value=10, label=_("Rating (0–10)"))


class BehaviourCountForm(SubmitOnceMixin):
    goal_key = forms.UUIDField(widget=forms.HiddenInput)
    count = forms.IntegerField(min_value=0, max_value=100000, label=_("Count"))


class DecisionForm(forms.Form):
    accept = forms.TypedChoiceField(
        choices=[("yes", _("Accept")), ("no", _("Ask for changes"))],
        coerce=lambda value: value == "yes",
        widget=forms.HiddenInput,
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label=gettext_lazy("What would you like to change?"),
    )


class InSessionAnswerForm(DecisionForm):
    """The client's (or guardian's) answer given in session, recorded by the therapist."""

    party = forms.ChoiceField(choices=[], label=_("Whose answer"))

    field_order = ["party", "comment"]

    def __init__(self, *args: Any, parties: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = {"client": _("The client"), "guardian": _("The parent or guardian")}
        self.fields["party"].choices = [(p, names[p]) for p in parties]  # type: ignore[attr-defined]
        self.fields["comment"].label = _("What they would like to change (if they ask for changes)")


class ChangesReplyForm(SubmitOnceMixin):
    """The therapist's answer, in words, to a request for changes (when no new version is due)."""

    party = forms.ChoiceField(choices=[("client", "client"), ("guardian", "guardian")])
    reply = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=3,
        max_length=4000,
        label=_("Your answer (they read it in the portal)"),
    )


class ReviewForm(SubmitOnceMixin):
    working = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("What is working"))
    not_working = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("What is not working")
    )
    changes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("What we will change")
    )
    revise = forms.BooleanField(
        required=False, label=_("Start a new plan version from this review")
    )


class ReorderForm(forms.Form):
    order = forms.CharField()

    def clean_order(self) -> list[int]:
        try:
            return [int(pk) for pk in self.cleaned_data["order"].split(",") if pk.strip()]
        except ValueError as error:
            raise forms.ValidationError(_("Send the problems' ids, comma-separated.")) from error


def conflict_rows(form: forms.Form, current: object) -> list[tuple[str, str, str]]:
    """(label, as saved by the other person, as you sent it) for each field where they differ:
    shown beside a valid form whose save met someone else's newer one."""
    rows = []
    for name, field in form.fields.items():
        if name in ("edits", "submission_key") or not hasattr(current, name):
            continue
        saved, yours = getattr(current, name), form.cleaned_data.get(name)
        if isinstance(field, forms.ModelMultipleChoiceField):
            saved, yours = list(saved.all()), list(yours or [])
            if {o.pk for o in saved} == {o.pk for o in yours}:
                continue
        elif _blank_as_none(saved) == _blank_as_none(yours):
            continue
        rows.append((str(field.label), _shown(field, saved), _shown(field, yours)))
    return rows


def _blank_as_none(value: object) -> object:
    return None if value in ("", None, []) else value


def _shown(field: forms.Field, value: object) -> str:
    """A value in words, as the form offers it (choice labels, not stored codes)."""
    if value is None or value == "":
        return gettext("(empty)")
    choices = {str(k): v for k, v in getattr(field, "choices", None) or []}
    if isinstance(value, list | tuple):
        return ", ".join(str(choices.get(str(v), v)) for v in value) or gettext("(empty)")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(choices.get(str(value), value))


def target_date_default(today: date | None = None) -> date:
    """What a new goal's form offers as its target date: twelve weeks from today."""
    return (today or timezone.localdate()) + timedelta(weeks=12)
