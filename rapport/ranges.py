"""Every practice setting is range-checked, and its form shows the range next to the field.

The range lives once, in the model field's validators (so forms, services and the admin all refuse
a value outside it); `show_ranges` copies it into the form's inputs (min/max) and help text.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import BaseValidator, MaxValueValidator, MinValueValidator
from django.utils.translation import gettext


def _bound(field: forms.Field, kind: type) -> float | None:
    values = [
        v.limit_value for v in field.validators if isinstance(v, BaseValidator) and type(v) is kind
    ]
    if not values:
        return None
    return max(values) if kind is MinValueValidator else min(values)  # type: ignore[no-any-return]


def _plain(value: float) -> str:
    return f"{value:g}"


def show_ranges(form: forms.BaseForm) -> None:
    """Put each numeric field's allowed range in its input and under its label. A model form's
    fields are given their model field's range first: Django's model forms do not carry a
    model's MaxValueValidator (only a positive field's floor), which showed "0 or more"."""
    model = getattr(getattr(form, "_meta", None), "model", None)
    for name, field in form.fields.items():
        if not isinstance(field, forms.IntegerField | forms.FloatField):
            continue
        if model is not None:
            try:
                bounds = model._meta.get_field(name).validators
            except FieldDoesNotExist:  # a field of the form alone
                bounds = []
            field.validators += [v for v in bounds if v not in field.validators]
        low, high = _bound(field, MinValueValidator), _bound(field, MaxValueValidator)
        if low is None and high is None:
            continue
        if low is not None:
            field.widget.attrs["min"] = _plain(low)
        if high is not None:
            field.widget.attrs["max"] = _plain(high)
        if low is not None and high is not None:
            allowed = gettext("Allowed: %(low)s to %(high)s.") % {
                "low": _plain(low),
                "high": _plain(high),
            }
        elif low is not None:
            allowed = gettext("Allowed: %(low)s or more.") % {"low": _plain(low)}
        else:
            allowed = gettext("Allowed: up to %(high)s.") % {"high": _plain(high)}  # type: ignore[arg-type]
        help_text = str(field.help_text or "").strip()
        if allowed not in help_text:
            field.help_text = f"{help_text} {allowed}".strip()
