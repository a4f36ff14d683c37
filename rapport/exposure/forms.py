from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.accounts.forms import SubmitOnceMixin
from rapport.core import exposure as rules
from rapport.exposure.models import Attempt, Ladder, Step

SUDS_HELP = gettext_lazy("0 = completely calm, 100 = the worst distress imaginable.")
NO_GOAL = ""


def suds_field(label: Any, *, required: bool = True, help_text: Any = SUDS_HELP) -> forms.Field:
    return forms.IntegerField(
        label=label,
        min_value=rules.SUDS_MIN,
        max_value=rules.SUDS_MAX,
        required=required,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )


class GoalChoiceMixin(forms.Form):
    """The plan goal a ladder serves; shown only when the plan has goals."""

    goal_key = forms.TypedChoiceField(
        label=gettext_lazy("Plan goal"),
        required=False,
        coerce=uuid.UUID,
        empty_value=None,
    )

    def set_goals(self, goals: dict[uuid.UUID, str], current: uuid.UUID | None) -> None:
        choices = [(NO_GOAL, _("— not linked to a goal —"))]
        choices += [(str(key), title) for key, title in goals.items()]
        if current is not None and current not in goals:
            choices.append((str(current), _("A goal no longer in the plan")))
        if len(choices) == 1:
            del self.fields["goal_key"]
        else:
            self.fields["goal_key"].choices = choices  # type: ignore[attr-defined]


class LadderForm(SubmitOnceMixin, GoalChoiceMixin):
    title = forms.CharField(
        max_length=120,
        label=gettext_lazy("What the ladder is about"),
        help_text=gettext_lazy("In the client's words, e.g. “Travelling by bus again”."),
    )
    steps = forms.CharField(
        required=False,
        label=gettext_lazy("First steps (optional)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "One per line: the situation, a comma, the expected distress 0–100. "
            "They are put easiest first; you can add and reorder steps later."
        ),
    )

    def clean_steps(self) -> list[tuple[str, int]]:
        parsed = []
        for number, line in enumerate(self.cleaned_data["steps"].splitlines(), start=1):
            if not line.strip():
                continue
            situation, _comma, value = line.rpartition(",")
            try:
                expected = int(value.strip())
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(number)s: end the line with a comma and a number from 0 to 100.")
                    % {"number": number}
                ) from None
            if not rules.SUDS_MIN <= expected <= rules.SUDS_MAX or not situation.strip():
                raise forms.ValidationError(
                    _("Line %(number)s: describe the situation and rate it from 0 to 100.")
                    % {"number": number}
                )
            parsed.append((situation.strip()[:200], expected))
        return parsed


class LadderEditForm(GoalChoiceMixin, forms.ModelForm[Ladder]):
    class Meta:
        model = Ladder
        fields = [
            "title",
            "goal_key",
            "mastery_peak_suds",
            "mastery_fall_percent",
            "mastery_consecutive",
        ]
        labels = {
            "title": gettext_lazy("What the ladder is about"),
            "mastery_peak_suds": gettext_lazy("Mastered at a peak distress of at most"),
            "mastery_fall_percent": gettext_lazy(
                "or a fall from the first attempt of at least (%)"
            ),
            "mastery_consecutive": gettext_lazy("on this many attempts in a row"),
        }


class StepForm(forms.ModelForm[Step]):
    expected_suds = suds_field(gettext_lazy("Expected distress (0–100)"))

    class Meta:
        model = Step
        fields = ["situation", "expected_suds"]
        labels = {"situation": gettext_lazy("Situation")}


class NewStepForm(SubmitOnceMixin, StepForm):
    pass


class AttemptForm(SubmitOnceMixin):
    step = forms.ModelChoiceField(queryset=Step.objects.none(), label=gettext_lazy("Step"))
    practised_on = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        initial=timezone.localdate,
    )
    setting = forms.ChoiceField(
        choices=Attempt.Setting.choices,
        widget=forms.RadioSelect,
        label=gettext_lazy("Where"),
        initial=Attempt.Setting.IN_SESSION,
    )
    anticipated_suds = suds_field(gettext_lazy("Distress expected beforehand (0–100)"))
    peak_suds = suds_field(gettext_lazy("Highest distress during it (0–100)"))
    end_suds = suds_field(
        gettext_lazy("Distress at the end (optional)"), required=False, help_text=""
    )
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("How long (minutes, optional)"),
        min_value=1,
        max_value=600,
        required=False,
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, *args: Any, ladder: Ladder, initial_step: Step | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["step"]
        field.queryset = ladder.steps.all()  # type: ignore[attr-defined]
        field.label_from_instance = lambda step: (  # type: ignore[attr-defined]
            _("%(number)s. %(situation)s (expected %(suds)s)")
            % {"number": step.position, "situation": step.situation, "suds": step.expected_suds}
        )
        if initial_step is not None:
            field.initial = initial_step.pk

    def clean_practised_on(self) -> Any:
        day = self.cleaned_data["practised_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The practice cannot be in the future."))
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        peak, end = data.get("peak_suds"), data.get("end_suds")
        if peak is not None and end is not None and end > peak:
            self.add_error("end_suds", _("The distress at the end cannot be above the peak."))
        return data


class PortalAttemptForm(AttemptForm):
    """The same record in the client's words, or — for a parent recording a child's practice
    (`child_name`) — in a parent's, about what they saw."""

    def __init__(self, *args: Any, child_name: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if child_name:
            self._word_for_parent(child_name)
            return
        labels = {
            "step": _("Which step did you practise?"),
            "practised_on": _("When?"),
            "setting": _("Was it"),
            "anticipated_suds": _(
                "Before you started, how anxious did you expect to feel? (0–100)"
            ),
            "peak_suds": _("What was the most anxious you felt? (0–100)"),
            "end_suds": _("How anxious were you at the end? (optional)"),
            "duration_minutes": _("How many minutes did you stay? (optional)"),
            "notes": _("Anything you noticed (optional)"),
        }
        for name, label in labels.items():
            self.fields[name].label = label
            self.fields[name].help_text = ""  # the page explains the scale once
        self.fields["setting"].choices = [  # type: ignore[attr-defined]
            (Attempt.Setting.HOMEWORK, _("On my own, between sessions")),
            (Attempt.Setting.IN_SESSION, _("With my therapist, in a session")),
        ]
        self.fields["step"].label_from_instance = lambda step: (  # type: ignore[attr-defined]
            _("Step %(number)s: %(situation)s")
            % {"number": step.position, "situation": step.situation}
        )
        self.fields["setting"].initial = Attempt.Setting.HOMEWORK

    def _word_for_parent(self, name: str) -> None:
        labels = {
            "step": _("Which step did %(name)s practise?") % {"name": name},
            "practised_on": _("When?"),
            "setting": _("Was it"),
            "anticipated_suds": _(
                "Before starting, how anxious did %(name)s expect to feel? (0–100)"
            )
            % {"name": name},
            "peak_suds": _("How anxious did %(name)s seem at the worst moment? (0–100)")
            % {"name": name},
            "end_suds": _("How anxious did %(name)s seem at the end? (optional)") % {"name": name},
            "duration_minutes": _("How many minutes did %(name)s stay with it? (optional)")
            % {"name": name},
            "notes": _("Anything you noticed (optional)"),
        }
        for field_name, label in labels.items():
            self.fields[field_name].label = label
            self.fields[field_name].help_text = ""
        self.fields["setting"].choices = [  # type: ignore[attr-defined]
            (Attempt.Setting.HOMEWORK, _("Between sessions, at home or out")),
            (Attempt.Setting.IN_SESSION, _("With the therapist, in a session")),
        ]
        self.fields["step"].label_from_instance = lambda step: (  # type: ignore[attr-defined]
            _("Step %(number)s: %(situation)s")
            % {"number": step.position, "situation": step.situation}
        )
        self.fields["setting"].initial = Attempt.Setting.HOMEWORK
