from __future__ import annotations

from typing import Any

from django import template

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
    return f"{float(value):.{int(digits)}f}".replace("-", "−")


@register.filter
def bar_value(value: float | None) -> int:
    """A <progress> value out of 1000 (no inline style needed for a bar)."""
    return 0 if value is None else round(1000 * float(value))
