from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from rapport.core.reliable import ReliableChangeRule
from rapport.core.text import said_again
from rapport.dashboards.figures import REASONS
from rapport.figures import figure_said
from rapport.measures.reliable import change_size_words, rule_name

register = template.Library()


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    """A share of 1 as a percentage: 0.457 → "46%"; a missing figure → "—"."""
    if value is None:
        return "—"
    return f"{100.0 * float(value):.{int(digits)}f}%"


@register.filter
def percent_interval(figure: dict[str, Any] | None, prefix: str = "") -> str:
    """A figure's interval from its `lower`/`upper` (or `<prefix>_lower`/…) keys: "38–55%"."""
    if not figure:
        return "—"
    low_key, high_key = (f"{prefix}_lower", f"{prefix}_upper") if prefix else ("lower", "upper")
    low, high = figure.get(low_key), figure.get(high_key)
    if low is None or high is None:
        return "—"
    return f"{100.0 * low:.0f}–{100.0 * high:.0f}%"


@register.filter
def number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    # The reader's decimal mark (1.36 in English, 1,36 in Spanish), a true minus sign.
    return number_format(round(float(value), int(digits)), int(digits)).replace("-", "−")


@register.filter
def bar_value(value: float | None) -> int:
    """A <progress> value out of 1000 (no inline style needed for a bar)."""
    return 0 if value is None else round(1000 * float(value))


@register.filter
def stored_words(value: str) -> str:
    """A label the figures keep in English ("Recovered", "Video"), in the reader's language."""
    return gettext(value) if value else value


@register.filter
def rule_read(measure: dict[str, Any]) -> dict[str, str]:
    """The reliable-change rule of a measure's figures in the reader's language: its name and
    the sizes of a reliable improvement and deterioration. Figures computed before the rule's
    `inclusive` was kept say it by whether the rule was published (the published ones are)."""
    stored = measure["rule"]
    inclusive = stored.get("inclusive", stored["published"])
    rule = ReliableChangeRule(
        points=stored["points"],
        direction=measure["direction"],
        inclusive=inclusive,
        caseness=None,
        name=stored["name"],
    )
    return {
        "name": rule_name(stored["name"]),
        "improvement": change_size_words(rule, better=True),
        "deterioration": change_size_words(rule, better=False),
    }


@register.filter
def stored_reason(value: str) -> str:
    """Why a figure is not estimated, stored in English with its counts, in the reader's
    language."""
    return said_again(value, REASONS, gettext, ngettext, figure_said) if value else value
