"""Reading `scoring.subscale_details`: each subscale's title and published cut-off."""

from __future__ import annotations

from collections.abc import Mapping

from rapport.core.instruments.model import SubscaleDetail


def parse_subscale_details(
    raw: object, subscales: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, SubscaleDetail], list[str]]:
    """The details by subscale name, and every problem found (one line each).

    Optional: {"panic": {"title": "Panic or somatic symptoms", "cutoff": 7}}. A cut-off is the
    lowest score read as "may indicate" the problem, as the instrument's authors publish it.
    """
    if raw is None:
        return {}, []
    if not isinstance(raw, Mapping):
        return {}, ["must be an object of subscale name: {title, cutoff}"]
    details: dict[str, SubscaleDetail] = {}
    problems: list[str] = []
    for name, detail in raw.items():
        if name not in subscales:
            problems.append(f"'{name}' is not a subscale")
            continue
        title = detail.get("title") if isinstance(detail, Mapping) else None
        if not isinstance(title, str) or not title.strip() or len(title) > 60:
            problems.append(f"'{name}' needs a title of 1 to 60 characters")
            continue
        cutoff = detail.get("cutoff")
        if cutoff is not None and (isinstance(cutoff, bool) or not isinstance(cutoff, int | float)):
            problems.append(f"'{name}' cutoff must be a number")
            continue
        details[name] = SubscaleDetail(title.strip(), None if cutoff is None else float(cutoff))
    return details, problems
