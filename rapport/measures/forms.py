from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.accounts.forms import SubmitOnceMixin
from rapport.core.instruments import MAX_TEXT_LENGTH, Instrument
from rapport.core.schedules import LEAD_HOURS_DEFAULT, LEAD_HOURS_MAX
from rapport.measures.defaults import SCHEDULE_CHOICES, DefaultEntry, choice_of, entry_from_choice
from rapport.measures.models import (
    LINK_VALID_HOURS_MAX,
    LINK_VALID_HOURS_MIN,
    DefaultMeasurePlan,
    Respondent,
    Schedule,
)
from rapport.people.languages import whole_number
from rapport.ranges import show_ranges

ITEM_PREFIX = "item:"


def posted_answers(data: Any) -> dict[str, str]:
    """The answers in a POST, by linkId (unknown ones included, so they can be refused)."""
    return {
        key[len(ITEM_PREFIX) :]: value
        for key, value in data.items()
        if key.startswith(ITEM_PREFIX) and value != ""
    }


class AnswerField:
    """What a template needs to draw one item: its text, choices, value and error."""

    def __init__(self, instrument: Instrument, link_id: str, value: Any, error: str | None) -> None:
        self.item = instrument.item(link_id)
        self.name = f"{ITEM_PREFIX}{link_id}"
        self.id = "q-" + "".join(ch if ch.isalnum() else "-" for ch in link_id)
        self.value = "" if value is None else str(value)
        self.error = error

    @property
    def max_length(self) -> str:
        """The longest written answer accepted, as people read numbers ("4,000"; "4000" in
        Spanish)."""
        return whole_number(MAX_TEXT_LENGTH)

    @property
    def choices(self) -> list[tuple[str, str]]:
        item = self.item
        if item.kind == "choice":
            return [(str(option.value), option.label) for option in item.options]
        if item.kind == "slider":
            low, high = item.min_value or 0, item.max_value if item.max_value is not None else 10
            return [(str(n), str(n)) for n in range(low, high + 1)]
        return []


def answer_fields(
    instrument: Instrument, values: dict[str, Any], errors: dict[str, str]
) -> list[AnswerField]:
    return [
        AnswerField(instrument, item.link_id, values.get(item.link_id), errors.get(item.link_id))
        for item in instrument.items
    ]


class MeasurePlanForm(SubmitOnceMixin):
    family = forms.ChoiceField(label=_("Measure"))
    respondent = forms.ChoiceField(choices=Respondent.choices, label=_("Who answers"))
    schedule = forms.ChoiceField(choices=Schedule.choices, label=_("When"))
    every_n = forms.IntegerField(
        min_value=1, max_value=52, initial=1, label=_("N (for every N sessions)")
    )
    lead_hours = forms.IntegerField(
        min_value=0,
        max_value=LEAD_HOURS_MAX,
        initial=LEAD_HOURS_DEFAULT,
        label=_("Hours before the session a form from home opens"),
        help_text=_("For check-ins between sessions or before a video or phone session."),
    )
    reminders = forms.IntegerField(
        min_value=0,
        max_value=3,
        required=False,
        label=_("Reminders if not done"),
        help_text=_("Leave empty for the practice's setting (shown above)."),
    )
    link_valid_hours = forms.IntegerField(
        min_value=LINK_VALID_HOURS_MIN,
        max_value=LINK_VALID_HOURS_MAX,
        required=False,
        label=_("Hours a link works"),
        help_text=_("Leave empty for the practice's setting (shown above)."),
    )

    def __init__(self, *args: Any, families: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["family"].choices = families  # type: ignore[attr-defined]
        show_ranges(self)


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=5,
        label=_("What you did"),
        help_text=_("For example: phoned the client, did a risk assessment, agreed a safety plan."),
    )


class DefaultMeasuresForm(forms.Form):
    """One choice per measure and respondent for each age band: when a new client answers it."""

    def __init__(
        self,
        *args: Any,
        options: dict[str, list[tuple[str, str, str]]],
        current: dict[str, list[DefaultEntry]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.options = options
        self.bands: list[tuple[str, str, list[forms.BoundField]]] = []
        labels = dict(DefaultMeasurePlan.AgeBandChoice.choices)
        for band, measures in options.items():
            chosen = {(e.family, e.respondent): choice_of(e) for e in current.get(band, [])}
            names = []
            for family, respondent, label in measures:
                name = f"{band}:{family}:{respondent}"
                self.fields[name] = forms.ChoiceField(
                    label=label,
                    choices=SCHEDULE_CHOICES,
                    required=False,
                    initial=chosen.get((family, respondent), ""),
                )
                names.append(name)
            self.bands.append((band, str(labels.get(band, band)), [self[n] for n in names]))

    def entries(self) -> dict[str, list[DefaultEntry]]:
        """The chosen measures by age band (only after is_valid)."""
        chosen: dict[str, list[DefaultEntry]] = {}
        for band, measures in self.options.items():
            chosen[band] = [
                entry
                for family, respondent, _ in measures
                if (
                    entry := entry_from_choice(
                        family, respondent, self.cleaned_data[f"{band}:{family}:{respondent}"]
                    )
                )
            ]
        return chosen
