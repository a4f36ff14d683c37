from __future__ import annotations

from typing import Any

from django import forms

from rapport.accounts.forms import SubmitOnceMixin
from rapport.core import case_review as rules

ANSWER_CHOICES = [(answer.value, rules.ANSWER_WORDS[answer]) for answer in rules.Answer]
OPTION_CHOICES = [(option.value, rules.OPTION_WORDS[option]) for option in rules.Option]


class ReviewOpenForm(SubmitOnceMixin):
    """The "Review this case" button: what started it, if anything (checked by the view)."""

    alert = forms.IntegerField(required=False, widget=forms.HiddenInput)
    rupture = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReviewCompleteForm(SubmitOnceMixin):
    """The checklist (one answer and an optional note per item) and the decision."""

    options = forms.MultipleChoiceField(
        label="Ways forward",
        choices=OPTION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="One or more.",
        error_messages={"required": "Choose at least one way forward."},
    )
    decision = forms.CharField(
        label="What we decided",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Say what was decided."},
    )
    follow_up_on = forms.DateField(
        label="Look at the case again on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"Within {rules.MAX_FOLLOW_UP_DAYS} days.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The checklist's fields first, in its order, then the decision.
        checklist: dict[str, forms.Field] = {}
        for item in rules.CHECKLIST:
            checklist[f"{item.key}"] = forms.ChoiceField(
                label=item.title,
                help_text=item.question,
                choices=ANSWER_CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": "Answer this item."},
            )
            checklist[f"{item.key}_note"] = forms.CharField(
                label=f"Note on {item.title[0].lower()}{item.title[1:]} (optional)",
                required=False,
                max_length=1000,
            )
        self.fields = {**checklist, **self.fields}

    def checklist_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[item.key], self[f"{item.key}_note"]) for item in rules.CHECKLIST]

    def answers(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {
            item.key: {"answer": data[item.key], "note": data.get(f"{item.key}_note", "")}
            for item in rules.CHECKLIST
        }
