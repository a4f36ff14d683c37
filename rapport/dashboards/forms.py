from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.dashboards.queries import DEFAULT_SORT, SORTS


class SortForm(forms.Form):
    sort = forms.ChoiceField(
        choices=[(key, label) for key, (label, _) in SORTS.items()]
        + [(f"-{key}", f"{label} (reversed)") for key, (label, _) in SORTS.items()],
        required=False,
        label=_("Sort by"),
    )

    def sort_key(self) -> str:
        return (self.cleaned_data.get("sort") or DEFAULT_SORT) if self.is_valid() else DEFAULT_SORT


class InstrumentForm(forms.Form):
    instrument = forms.CharField(required=False, max_length=64)
