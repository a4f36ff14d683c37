"""What the candidates' pages say about a therapist's measured strengths, in plain words.

A strength is said as what the therapist has done for people ("has helped many people with low
mood"), never as a number, a rank or a promise; a caution is never shown to a client, and to
staff only to supervisors, as "less evidence of benefit here". Demographic similarity is never
presented as an outcome advantage: it helps people feel at ease and stay in therapy."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# Per outcome domain (an outcome measure's family, rapport.measures.registry.outcome_families).
STRENGTH_BADGES: dict[str, Any] = {
    "phq9": _("Has helped many people with low mood"),
    "gad7": _("Has helped many people with anxiety"),
    "checkin": _("Has helped many people feel better in everyday life"),
}
OTHER_STRENGTH = _("Has helped many people with difficulties like these")
CAUTION_WORDS = _("less evidence of benefit here")


def strength_badge(domain: str) -> Any:
    return STRENGTH_BADGES.get(domain, OTHER_STRENGTH)


def strength_badges(domains: list[str] | tuple[str, ...]) -> list[Any]:
    return [strength_badge(d) for d in domains]


# Staff pages name an outcome domain by what it measures and the measure's name.
DOMAIN_NAMES: dict[str, Any] = {
    "phq9": _("low mood (PHQ-9)"),
    "gad7": _("anxiety (GAD-7)"),
    "checkin": _("everyday life (check-in)"),
}


def domain_name(domain: str) -> str:
    return str(DOMAIN_NAMES.get(domain, domain))
