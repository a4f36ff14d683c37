from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from rapport.dashboards.queries import DEFAULT_SORT, SORTS


class SortForm(forms.Form):
    sort = forms.ChoiceField(
        # The sorts' names are the table's column headings, whose translations they share.
        choices=[(key, _(label)) for key, (label, _order) in SORTS.items()]
        + [
            (f"-{key}", format_lazy("{} ({})", _(label), _("reversed")))
            for key, (label, _order) in SORTS.items()
        ],
        required=False,
        label=_("Sort by"),
    )

    def sort_key(self) -> str:
        return (self.cleaned_data.get("sort") or DEFAULT_SORT) if self.is_valid() else DEFAULT_SORT


class InstrumentForm(forms.Form):
    instrument = forms.CharField(required=False, max_length=64)
